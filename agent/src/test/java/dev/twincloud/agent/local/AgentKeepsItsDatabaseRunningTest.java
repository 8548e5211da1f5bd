package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.AgentListener;
import dev.twincloud.agent.core.ArbiterClient;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.Processes;
import dev.twincloud.pgctl.Replication;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent keeps its database running, on real PostgreSQL with real signals: a postmaster killed
 * with SIGKILL is started again in its role; a writer's database that cannot start is made to
 * refuse writes on any start before the agent claims so (the fast path).
 */
class AgentKeepsItsDatabaseRunningTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    /**
     * The lease ttl: the agent must restart a SIGKILLed writer and renew within it for "without a failover" to hold.
     * The restart took 1.4–2.9 s on this project's 2-core machine, and 3 s failed once (2026-12-01, verify with the
     * agent's tests in two forks beside the api's): a wide margin, as timing assertions here get.
     */
    static final Duration TTL = Duration.ofMillis(6000);
    static final Duration HEARTBEAT = Duration.ofMillis(100);

    Path base;
    PostgresServer gcpPg;
    PostgresServer awsPg;
    InProcessArbiter arbiter;
    Agent gcp;
    Agent aws;
    final List<AgentReport> gcpReports = new CopyOnWriteArrayList<>();
    final List<String> proofViolations = new CopyOnWriteArrayList<>();
    final List<Thread> loops = new ArrayList<>();
    volatile boolean running = true;
    /** Stop both agents right after gcp's first report with the proof (before any re-join wipes its data). */
    volatile boolean stopOnProof;
    volatile boolean gcpSiteDown;

    @BeforeEach
    void twoSites() {
        base = TempDirs.create("agent-crash");
        // a standby retries its connection to a restarted writer every 500 ms (the agent's default too)
        Map<String, String> settings = Map.of("wal_retrieve_retry_interval", "500ms");
        gcpPg = PostgresServer.builder(base.resolve("gcp")).settings(Map.of("twincloud.site", "gcp")).settings(settings).stopOnJvmExit(true).build();
        gcpPg.initdb().start();
        awsPg = PostgresServer.builder(base.resolve("aws")).settings(Map.of("twincloud.site", "aws")).settings(settings).stopOnJvmExit(true).build();
        Replication.createStandby(gcpPg, awsPg, new Replication.StandbyOptions("aws", Optional.empty(), Replication.CloneMethod.AUTO));
        awsPg.start();
        gcpPg.execute("CREATE TABLE public.ecg(id int primary key, site text)");
        arbiter = new InProcessArbiter(GCP, TTL);
        ArbiterClient toArbiter = arbiter.clientFor(GCP);
        ArbiterClient gcpClient = report -> {
            if (report.writesRefused()) {
                checkProof(report);
            }
            gcpReports.add(report);
            if (report.writesRefused() && stopOnProof) {
                running = false;
            }
            return toArbiter.heartbeat(report);
        };
        gcp = new Agent(GCP, new LocalPostgresDriver(GCP, gcpPg, TwoSitesOnRealPostgres.handle(awsPg)), gcpClient,
                List.of("public"), System::nanoTime, new AgentListener() { });
        aws = new Agent(AWS, new LocalPostgresDriver(AWS, awsPg, TwoSitesOnRealPostgres.handle(gcpPg)), arbiter.clientFor(AWS),
                List.of("public"), System::nanoTime, new AgentListener() { });
    }

    /** At the moment the agent claims it: the data directory refuses writes on a start, and nothing runs in it. */
    void checkProof(AgentReport r) {
        Map<String, String> auto = gcpPg.autoConf();
        if (!"".equals(auto.get("twincloud.site"))) {
            proofViolations.add("writesRefused=true (sequence " + r.sequence() + ") but postgresql.auto.conf has " + auto);
        }
        if (gcpPg.isRunning() || !Processes.postgresIn(gcpPg.dataDir()).provablyNone()) {
            proofViolations.add("writesRefused=true (sequence " + r.sequence() + ") while postgres runs in " + gcpPg.dataDir());
        }
    }

    @AfterEach
    void stop() throws InterruptedException {
        running = false;
        for (Thread t : loops) {
            t.join(10_000);
        }
        gcpPg.stop();
        awsPg.stop();
        TempDirs.deleteQuietly(base);
    }

    /** Each agent on its own loop, like AgentRunner: a tick per heartbeat, the next at once after progress. */
    void runAgents() {
        for (Agent a : List.of(gcp, aws)) {
            loops.add(Thread.ofPlatform().daemon(true).start(() -> {
                while (running) {
                    if (a == gcp && gcpSiteDown) {
                        sleep(HEARTBEAT); // the writer's whole site is down: its agent does nothing
                        continue;
                    }
                    try {
                        a.tick();
                    } catch (RuntimeException e) {
                        e.printStackTrace();
                    }
                    if (!a.progressed()) {
                        sleep(HEARTBEAT);
                    }
                }
            }));
        }
    }

    void steadySync() {
        runAgents();
        await(Duration.ofSeconds(60), () -> gcp.state() == SiteState.PRIMARY_SYNC && aws.state() == SiteState.STANDBY
                && arbiter.state().durable().standbyEligible(), "steady sync");
    }

    @Test
    void aWritersPostmasterKilledWithSigkillIsStartedAgainAndTakesWritesWithoutAFailover() throws Exception {
        steadySync();
        insert(gcpPg, 1);
        long epoch = arbiter.epoch();

        Instant killed = kill9Postmaster(gcpPg);
        await(Duration.ofSeconds(15), () -> canWrite(gcpPg, 2), "writes accepted again on gcp");
        Duration back = Duration.between(killed, Instant.now());
        System.out.println("writer postmaster SIGKILL -> writes accepted again after " + back.toMillis() + " ms");

        assertThat(back).as("writes back within a couple of seconds (wide margin on a shared machine)").isLessThan(Duration.ofSeconds(8));
        assertThat(arbiter.writer()).isEqualTo(GCP);
        assertThat(arbiter.epoch()).as("no failover").isEqualTo(epoch);
        assertThat(arbiter.events()).extracting(Event::kind).doesNotContain(EventKind.FAILOVER);
        assertThat(gcpReports).noneMatch(AgentReport::writesRefused);
        assertThat(gcpPg.queryString("SELECT epoch FROM twincloud.lease")).as("the lease row survived crash recovery").isEqualTo(Long.toString(epoch));
        await(Duration.ofSeconds(20), () -> arbiter.state().durable().standbyEligible() && gcp.state() == SiteState.PRIMARY_SYNC,
                "synchronous again");
        assertThat(count(awsPg)).isEqualTo(2);
    }

    @Test
    void aStandbysPostmasterKilledWithSigkillStreamsAgainAndSyncIsRestored() throws Exception {
        steadySync();
        insert(gcpPg, 1);
        Instant killed = kill9Postmaster(awsPg);
        await(Duration.ofSeconds(15), () -> streaming(gcpPg), "aws streaming again");
        System.out.println("standby postmaster SIGKILL -> streaming again after " + Duration.between(killed, Instant.now()).toMillis() + " ms");
        assertThat(awsPg.queryBoolean("SELECT pg_is_in_recovery()")).isTrue();
        await(Duration.ofSeconds(20), () -> arbiter.state().durable().standbyEligible() && gcp.state() == SiteState.PRIMARY_SYNC,
                "sync restored and the standby eligible again");
        insert(gcpPg, 2);
        await(Duration.ofSeconds(10), () -> count(awsPg) == 2, "the write replicated");
        assertThat(arbiter.writer()).isEqualTo(GCP);
        assertThat(aws.state()).isEqualTo(SiteState.STANDBY);
    }

    /**
     * The writer's whole site is down (agent and database) and then the standby's postmaster is killed:
     * the standby's agent starts it again at once, in recovery, without waiting for the writer (found by
     * the ASYNC drill, seed 807: it waited for the writer to be reachable and stayed down).
     */
    @Test
    void aStandbysPostmasterKilledWhileTheWritersSiteIsDownIsStartedAgainAsAStandby() throws Exception {
        steadySync();
        gcpSiteDown = true;
        gcpPg.stop();
        Instant killed = kill9Postmaster(awsPg);
        await(Duration.ofSeconds(15), () -> awsPg.isRunning() && inRecovery(awsPg), "aws running again as a standby");
        System.out.println("standby postmaster SIGKILL, writer's site down -> running in recovery after "
                + Duration.between(killed, Instant.now()).toMillis() + " ms");
        assertThat(gcpPg.isRunning()).isFalse();
    }

    static boolean inRecovery(PostgresServer pg) {
        try {
            return pg.queryBoolean("SELECT pg_is_in_recovery()");
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Test
    void aWritersDatabaseThatCannotStartRefusesWritesBeforeTheAgentSaysSo() throws Exception {
        steadySync();
        insert(gcpPg, 1);
        Path version = gcpPg.dataDir().resolve("PG_VERSION");
        Path hidden = gcpPg.dataDir().resolve("PG_VERSION.hidden");

        stopOnProof = true; // an arbiter with the fast path fails over at once, and gcp would re-join (re-clone)
        Files.move(version, hidden); // damage: the data directory cannot be started
        Instant killed = kill9Postmaster(gcpPg);
        await(Duration.ofSeconds(15), () -> gcpReports.stream().anyMatch(AgentReport::writesRefused), "gcp reports writesRefused=true");
        Duration proof = Duration.between(killed, Instant.now());
        System.out.println("writer postmaster SIGKILL with a damaged data dir -> writesRefused=true reported after " + proof.toMillis() + " ms");
        assertThat(proofViolations).isEmpty();
        assertThat(gcpPg.autoConf()).containsEntry("twincloud.site", "");

        // The agent stops (e.g. killed): someone repairs the data directory and starts it by hand.
        running = false;
        for (Thread t : loops) {
            t.join(10_000);
        }
        Files.move(hidden, version);
        PostgresServer byHand = PostgresServer.builder(gcpPg.dataDir()).port(gcpPg.port()).binaries(gcpPg.binaries())
                .settings(Map.of("twincloud.site", "gcp")).stopOnJvmExit(true).build();
        byHand.start();
        try {
            assertThat(byHand.queryBoolean("SELECT pg_is_in_recovery()")).isFalse();
            assertThat(byHand.queryString("SELECT twincloud.write_lease_problem()")).contains("twincloud.site");
            assertThatThrownBy(() -> insert(byHand, 2)).hasMessageContaining("fenced");
        } finally {
            byHand.stop();
        }
    }

    @Test
    void theRefusalIsLiftedOnlyWhenTheArbiterStillNamesThisSiteTheWriter() throws Exception {
        steadySync();
        Path version = gcpPg.dataDir().resolve("PG_VERSION");
        Path hidden = gcpPg.dataDir().resolve("PG_VERSION.hidden");
        // the standby is gone, so the arbiter cannot fail over (today's decider has no fast path either)
        running = false;
        for (Thread t : loops) {
            t.join(10_000);
        }
        loops.clear();
        awsPg.stop();
        running = true;
        loops.add(Thread.ofPlatform().daemon(true).start(() -> {
            while (running) {
                gcp.tick();
                if (!gcp.progressed()) {
                    sleep(HEARTBEAT);
                }
            }
        }));
        await(Duration.ofSeconds(20), () -> gcp.state() == SiteState.PRIMARY_ASYNC, "gcp async without its standby");
        Files.move(version, hidden);
        kill9Postmaster(gcpPg);
        await(Duration.ofSeconds(15), () -> gcpReports.stream().anyMatch(AgentReport::writesRefused), "writesRefused=true");
        Files.move(hidden, version); // repaired: the next retry (after 5 s) withdraws the proof, then starts
        int before = gcpReports.size();
        await(Duration.ofSeconds(20), () -> canWrite(gcpPg, 1), "gcp writes again");
        List<AgentReport> after = List.copyOf(gcpReports).subList(before, gcpReports.size());
        assertThat(after).as("a report without the proof preceded the restart").anyMatch(r -> !r.writesRefused());
        assertThat(gcpPg.autoConf()).doesNotContainKey("twincloud.site");
        assertThat(arbiter.writer()).isEqualTo(GCP);
        assertThat(proofViolations).isEmpty();
    }

    static Instant kill9Postmaster(PostgresServer pg) throws Exception {
        long pid = pg.status().pid().orElseThrow();
        ProcessHandle pm = ProcessHandle.of(pid).orElseThrow();
        Instant at = Instant.now();
        pm.destroyForcibly(); // SIGKILL, the postmaster only: its children notice on their own
        Instant deadline = at.plusSeconds(10);
        while (Processes.running(pid) && Instant.now().isBefore(deadline)) { // exited (a zombie until reaped)
            sleep(Duration.ofMillis(5));
        }
        return at;
    }

    boolean streaming(PostgresServer primary) {
        try {
            return Replication.peers(primary).stream().anyMatch(p -> p.applicationName().equals("aws") && "streaming".equals(p.state()));
        } catch (RuntimeException e) {
            return false;
        }
    }

    void await(Duration max, BooleanSupplier done, String what) {
        Instant deadline = Instant.now().plus(max);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting for " + what + "; gcp=" + gcp.state() + " (" + gcp.message() + ") aws="
                        + aws.state() + " (" + aws.message() + ") events=" + arbiter.events());
            }
            sleep(Duration.ofMillis(20));
        }
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static boolean canWrite(PostgresServer pg, int id) {
        try {
            insert(pg, id);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    static void insert(PostgresServer pg, int id) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = '1s'");
            s.execute("INSERT INTO ecg VALUES (" + id + ", 'x')");
        }
    }

    static int count(PostgresServer pg) {
        try {
            return Integer.parseInt(pg.queryString("SELECT count(*) FROM ecg"));
        } catch (RuntimeException e) {
            return -1;
        }
    }
}
