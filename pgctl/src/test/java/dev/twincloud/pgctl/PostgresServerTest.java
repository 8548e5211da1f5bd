package dev.twincloud.pgctl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Lifecycle of one server on the system binaries: initdb, start, query, stop in each mode, clear errors. */
class PostgresServerTest {
    static Path base;
    static PostgresServer server;

    @BeforeAll
    static void initAndStartOnce() {
        base = TempDirs.create("pgctl-test-");
        server = PostgresServer.builder(base.resolve("data")).setting("fsync", "off")
                .setting("work_mem", "7MB").stopOnJvmExit(true).initdbNoSync(true).build();
        server.initdb().start();
    }

    @AfterAll
    static void cleanUp() {
        server.stop();
        TempDirs.deleteQuietly(base);
    }

    @Test
    void startsOnAFreeLoopbackPortAndAnswersQueries() throws Exception {
        assertThat(server.port()).isPositive();
        try (Connection c = server.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_user, inet_server_addr()::text, current_setting('server_encoding')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("postgres");
            assertThat(rs.getString(2)).startsWith("127.0.0.1");
            assertThat(rs.getString(3)).isEqualTo("UTF8");
        }
        assertThat(server.show("work_mem")).isEqualTo("7MB");
        assertThat(server.show("wal_log_hints")).isEqualTo("on");
        assertThat(server.queryString("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'logical replication launcher'"))
                .as("no launcher for a fast shutdown to wait for").isEqualTo("0");
        ServerStatus st = server.status();
        assertThat(st.running()).isTrue();
        assertThat(st.port()).isEqualTo(server.port());
        assertThat(st.pid()).isPresent();
        assertThat(st.inRecovery()).contains(false);
    }

    @Test
    void stopsAndRestartsInEveryModeKeepingItsData() {
        server.execute("CREATE TABLE IF NOT EXISTS kept(v int)");
        server.execute("INSERT INTO kept VALUES (1)");
        for (StopMode mode : StopMode.values()) {
            server.stop(mode);
            assertThat(server.isRunning()).as("running after stop " + mode).isFalse();
            // the signal of that mode reached the postmaster (StopMode.signalName)
            assertThat(server.logTail(40)).contains("received " + mode.pgCtlName() + " shutdown request");
            assertThat(server.status().running()).isFalse();
            server.start();
        }
        assertThat(server.queryString("SELECT count(*) FROM kept")).isEqualTo("1");
    }

    @Test
    void refusesToStartWhenPortIsTaken() throws IOException {
        try (ServerSocket squatter = new ServerSocket()) {
            squatter.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            PostgresServer other = PostgresServer.builder(base.resolve("other")).binaries(server.binaries())
                    .port(squatter.getLocalPort()).initdbNoSync(true).build();
            other.initdb();
            assertThatThrownBy(other::start).isInstanceOf(PortInUseException.class)
                    .hasMessageContaining("Port " + squatter.getLocalPort()).hasMessageContaining("already in use");
            assertThat(other.isRunning()).isFalse();
        }
    }

    @Test
    void detectsPortTakenFromTheServerLogWhenTheCheckIsRaced() {
        // The pre-start check passes only when the port is free; here another postmaster holds it via SO_REUSEADDR
        // semantics, which our check treats as free, so the failure comes from the log.
        PostgresServer clash = PostgresServer.builder(base.resolve("clash")).binaries(server.binaries())
                .port(server.port()).initdbNoSync(true).build();
        clash.initdb();
        assertThatThrownBy(clash::start).isInstanceOf(PortInUseException.class)
                .hasMessageContaining(Integer.toString(server.port()));
    }

    @Test
    void refusesToStartWhenTheDataDirIsInUse() {
        PostgresServer twin = PostgresServer.builder(server.dataDir()).binaries(server.binaries()).build();
        assertThatThrownBy(twin::start).isInstanceOf(DataDirInUseException.class)
                .hasMessageContaining("in use by a running postmaster")
                .hasMessageContaining(Long.toString(server.status().pid().getAsLong()));
    }

    @Test
    void reportsMissingBinariesClearly() throws IOException {
        Path empty = Files.createDirectories(base.resolve("no-bin"));
        assertThatThrownBy(() -> PgBinaries.at(empty)).isInstanceOf(BinariesNotFoundException.class)
                .hasMessageContaining("initdb is missing");
        BinaryLocator nothingInstalled = new BinaryLocator(java.util.Optional.empty(), BinaryLocator.Mode.SYSTEM,
                empty.toString(), empty);
        assertThatThrownBy(nothingInstalled::locate).isInstanceOf(BinariesNotFoundException.class)
                .hasMessageContaining("No PostgreSQL server binaries found");
    }

    /** docs/logging.md: jsonlog through the collector into one file, the server's own and readable by us, in UTC. */
    @Test
    void logsJsonLinesToItsJsonLogAndShowsTheirTailToo() throws Exception {
        Path logs = base.resolve("json-logs");
        PostgresServer json = PostgresServer.builder(base.resolve("json-data")).binaries(server.binaries())
                .logFile(logs.resolve("x-postgres.log")).jsonLog(logs.resolve("x-postgres.json")).initdbNoSync(true)
                .stopOnJvmExit(true).build();
        json.initdb().start();
        try {
            try (Connection c = json.connect("postgres"); Statement s = c.createStatement()) {
                s.execute("set application_name = 'twincloud-api/json-test'");
                s.execute("select 1/0");
            } catch (java.sql.SQLException expected) {
                assertThat(expected.getSQLState()).isEqualTo("22012");
            }
            Path file = json.jsonLog().orElseThrow();
            String line = null;
            for (int i = 0; i < 100 && line == null; i++) {
                line = Files.readAllLines(file).stream().filter(l -> l.contains("twincloud-api/json-test")).findFirst().orElse(null);
                Thread.sleep(100);
            }
            assertThat(line).as("the error's line in %s", file).isNotNull()
                    .startsWith("{\"timestamp\":\"").contains(" UTC\"").contains("\"error_severity\":\"ERROR\"")
                    .contains("\"state_code\":\"22012\"").contains("\"statement\":\"select 1/0\"");
            assertThat(Files.readString(logs.resolve("x-postgres.log"))).as("stderr: only until the collector took over")
                    .contains("redirecting log output to logging collector process").doesNotContain("json-test");
            assertThat(json.logTail(20)).contains("x-postgres.json (tail)").contains("twincloud-api/json-test");
        } finally {
            json.stop();
        }
        assertThatThrownBy(() -> PostgresServer.builder(base.resolve("bad")).jsonLog(base.resolve("bad.log")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("must end in .json");
    }

    @Test
    void includesTheServerLogTailWhenStartFails() {
        PostgresServer broken = PostgresServer.builder(base.resolve("broken")).binaries(server.binaries())
                .setting("shared_buffers", "not-a-size").initdbNoSync(true).startTimeout(java.time.Duration.ofSeconds(20))
                .build();
        broken.initdb();
        assertThatThrownBy(broken::start).isInstanceOf(StartFailedException.class)
                .hasMessageContaining("server log (tail)").hasMessageContaining("shared_buffers");
    }

    /**
     * A postmaster killed with SIGKILL leaves its children and a postmaster.pid whose process may stay
     * a zombie for seconds (an init that reaps late): start() kills the left-overs and starts at once.
     */
    @Test
    void startsAgainAtOnceAfterItsPostmasterWasKilledWithSigkill() throws Exception {
        Path dir = base.resolve("killed");
        PostgresServer s = PostgresServer.builder(dir).setting("fsync", "off").stopOnJvmExit(true).initdbNoSync(true).build();
        s.initdb().start();
        try (Connection busy = s.connect()) { // a backend that lives on after its postmaster
            long pid = s.status().pid().orElseThrow();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            assertThat(Poll.until(java.time.Duration.ofSeconds(10), () -> !Processes.running(pid))).isTrue();
            assertThat(s.isRunning()).isFalse();
            long t = System.nanoTime();
            s.start();
            long ms = (System.nanoTime() - t) / 1_000_000;
            System.out.println("restart after SIGKILL of the postmaster took " + ms + " ms");
            assertThat(s.queryBoolean("SELECT pg_is_in_recovery()")).isFalse();
            assertThat(ms).as("no wait for the old postmaster to be reaped").isLessThan(5000);
        } finally {
            s.stop();
        }
    }

    /**
     * CrashStart's settings on this machine: a server killed with SIGKILL starts again with crash recovery (the
     * data-directory sync then goes through {@code syncfs} on Linux), and the value is in force — PostgreSQL refuses
     * a value it does not know at start, so the start itself proves it is accepted. Elsewhere nothing is set.
     */
    @Test
    void aCrashStartWithCrashStartsSettingsRecoversAndUsesThem() throws Exception {
        assertThat(CrashStart.settings("Mac OS X", 17)).isEmpty();
        assertThat(CrashStart.settings("Linux", 13)).as("PostgreSQL 13 does not know it").isEmpty();
        assertThat(CrashStart.settings("Linux", 14)).containsEntry("recovery_init_sync_method", "syncfs");
        Path dir = base.resolve("crash-start");
        PgBinaries bins = PgBinaries.locate();
        PostgresServer s = PostgresServer.builder(dir).binaries(bins).settings(CrashStart.settings(bins)).stopOnJvmExit(true)
                .initdbNoSync(true).build();
        s.initdb().start();
        try {
            s.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) i");
            long pid = s.status().pid().orElseThrow();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            assertThat(Poll.until(java.time.Duration.ofSeconds(10), () -> !Processes.running(pid))).isTrue();
            s.start();
            assertThat(s.queryString("SELECT count(*) FROM t")).isEqualTo("1000");
            assertThat(s.queryString("SHOW recovery_init_sync_method"))
                    .isEqualTo(CrashStart.settings(bins).getOrDefault("recovery_init_sync_method", "fsync"));
            assertThat(s.logTail(200)).contains("automatic recovery in progress");
        } finally {
            s.stop();
        }
    }

    @Test
    void autoConfIsEditedOnlyWhileStoppedAndReadLastAtTheNextStart() {
        Path dir = base.resolve("autoconf");
        PostgresServer s = PostgresServer.builder(dir).setting("fsync", "off").setting("twincloud.site", "gcp")
                .stopOnJvmExit(true).initdbNoSync(true).build();
        s.initdb().start();
        try {
            assertThatThrownBy(() -> s.editAutoConf(java.util.Map.of("twincloud.site", ""))).hasMessageContaining("running");
            s.stop();
            s.editAutoConf(java.util.Map.of("twincloud.site", ""));
            assertThat(s.autoConf()).containsEntry("twincloud.site", "");
            s.start(); // twincloud.conf says gcp again; postgresql.auto.conf wins
            assertThat(s.queryString("SELECT current_setting('twincloud.site')")).isEmpty();
            s.stop();
            var lift = new java.util.HashMap<String, String>();
            lift.put("twincloud.site", null);
            s.editAutoConf(lift);
            s.start();
            assertThat(s.queryString("SELECT current_setting('twincloud.site')")).isEqualTo("gcp");
        } finally {
            s.stop();
        }
    }
}
