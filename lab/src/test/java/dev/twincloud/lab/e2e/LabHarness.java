package dev.twincloud.lab.e2e;

import dev.twincloud.core.decide.ClusterHealth;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import tools.jackson.databind.JsonNode;

/** A real lab (all processes) for end-to-end scenarios, with the probes the scenarios need. */
final class LabHarness implements AutoCloseable {
    static final Path HOME = Path.of(System.getProperty("twincloud.home", "..")).toAbsolutePath().normalize();

    final Lab lab;
    final LabClient edge;
    final String token;

    private LabHarness(Lab lab) {
        this.lab = lab;
        this.token = lab.secrets().devToken(Duration.ofHours(2));
        this.edge = new LabClient(lab.layout().entryUrl(), token);
    }

    /** A lab without Prometheus and Alertmanager: the timed scenarios run as they were measured. */
    static LabHarness start(String name, int basePort) throws IOException {
        return start(name, basePort, java.util.function.UnaryOperator.identity());
    }

    /**
     * A fresh lab with the defaults as {@code tune} changes them. Without Prometheus and Alertmanager unless
     * {@code tune} asks for them: the timed scenarios run as they were measured.
     */
    static LabHarness start(String name, int basePort, java.util.function.UnaryOperator<LabSettings> tune) throws IOException {
        Path root = HOME.resolve("lab").resolve("target").resolve(name);
        deleteTree(root);
        var layout = new LabLayout(root, basePort);
        return new LabHarness(Lab.up(tune.apply(LabSettings.defaults(layout, HOME).withMonitoring(false))));
    }

    LabClient site(SiteId s) {
        return new LabClient(lab.apiUrl(s), token);
    }

    /**
     * The arbiter's status. With two replicas behind the front, the front answers 503 itself for a moment while no
     * replica's probe is healthy (a takeover, a slow probe on a busy machine): such an answer is asked again, for
     * up to 5 s, rather than read as a status.
     */
    ArbiterStatus status() {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            try {
                Http.Response r = Http.get(lab.arbiterUrl() + "/v1/status", lab.secrets().operatorToken());
                if (r.status() == 200 || System.nanoTime() > deadline) {
                    return r.as(ArbiterStatus.class);
                }
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("arbiter unreachable", e);
                }
            }
            sleep(100);
        }
    }

    JsonNode events() {
        try {
            return Http.get(lab.arbiterUrl() + "/v1/events?limit=1000", lab.secrets().operatorToken()).json();
        } catch (IOException e) {
            throw new AssertionError("arbiter unreachable", e);
        }
    }

    List<EventKind> eventKinds() {
        List<EventKind> kinds = new ArrayList<>();
        JsonNode e = events();
        JsonNode list = e.isArray() ? e : e.path("events");
        list.forEach(n -> kinds.add(EventKind.valueOf(n.path("kind").asString())));
        return kinds;
    }

    SiteId writer() {
        return status().writer();
    }

    long epoch() {
        return status().epoch();
    }

    /** The state {@code s} last reported, empty before its first report. */
    Optional<SiteState> siteState(SiteId s) {
        return status().stateOf(s);
    }

    /** Undoes whatever faults an earlier (maybe failed) scenario left: links healed, everything running. */
    void restoreAll() throws IOException {
        lab.heal();
        for (String target : lab.restoreTargets()) {
            lab.signal(target, false);
            lab.revive(target);
        }
    }

    /**
     * Both sites healthy ({@link ClusterHealth#steady}: in SYNC mode writer PRIMARY_SYNC with the standby
     * following and eligible) and the edge on the writer.
     */
    SiteId awaitSteady() {
        await("steady state", Duration.ofSeconds(90), () -> {
            try {
                ArbiterStatus s = Http.get(lab.arbiterUrl() + "/v1/status", lab.secrets().operatorToken()).as(ArbiterStatus.class);
                JsonNode edgeStatus = Http.get(lab.layout().entryUrl() + "/_edge/status", null).json();
                return ClusterHealth.steady(s) && s.writer().name().equals(edgeStatus.path("active").asString(""));
            } catch (IOException | RuntimeException e) {
                return false;
            }
        });
        SiteId w = writer();
        SiteId standby = LabLayout.peer(w);
        await(standby + " api ready and warm", Duration.ofSeconds(90), () -> {
            try {
                return Http.get(lab.apiUrl(standby) + "/actuator/health/readiness", null).status() == 200
                        && lab.awaitWarm(standby, Duration.ofSeconds(1));
            } catch (IOException e) {
                return false;
            }
        });
        return w;
    }

    /**
     * One unplanned failover, measured: with a client writing through the edge every 10 ms, {@code lab kill} of the
     * writer site (SIGKILL of its PostgreSQL, agent and API), then the time from the kill to the first write the new
     * writer acknowledged (the RTO); the killed site is started again (it re-joins as a standby). Waits for the
     * steady state first.
     */
    double unplannedRtoMs() throws IOException, InterruptedException {
        SiteId w = awaitSteady();
        SiteId s = LabLayout.peer(w);
        double rto;
        try (var load = new Load(edge, "p-bench", 10)) {
            sleep(300);
            long t0 = System.nanoTime();
            lab.kill(w.name());
            await("a write at " + s + " after the kill", Duration.ofSeconds(30),
                    () -> load.attempts.stream().anyMatch(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0));
            rto = (load.attempts.stream().filter(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0)
                    .findFirst().orElseThrow().ackNanos() - t0) / 1e6;
        }
        lab.revive(w.name());
        return rto;
    }

    /**
     * The machine's busy share ({@link MachineCpu}) in the 300 ms of writes before each switchover of {@link #switchoverGapMs},
     * and from its request until the new writer's first acknowledged write was seen (polled every 100 ms).
     */
    final List<Double> cpuBusyBeforeSwitchovers = new CopyOnWriteArrayList<>();
    final List<Double> cpuBusyDuringSwitchovers = new CopyOnWriteArrayList<>();

    /**
     * One planned switchover, measured: with a client writing through the edge every 10 ms, {@code POST
     * /v1/switchover} to the standby, then the longest gap between two consecutive acknowledged writes; asserts
     * every acknowledged write is on the new writer. Waits for the steady state first; if the arbiter refuses
     * (409: the cluster stopped being steady in between, e.g. a lease renewal late on a starved machine), waits for
     * it again and retries, at most three times, with a new client.
     */
    double switchoverGapMs() throws Exception {
        for (int attempt = 1; ; attempt++) {
            SiteId w = awaitSteady();
            SiteId s = LabLayout.peer(w);
            try (var load = new Load(edge, "p-bench", 10)) {
                Optional<MachineCpu> quiet = MachineCpu.now();
                sleep(300);
                Optional<MachineCpu> asked = MachineCpu.now();
                var r = Http.post(lab.arbiterUrl() + "/v1/switchover", lab.secrets().operatorToken(),
                        Http.JSON.writeValueAsString(new OperatorRequest.Switchover(s)));
                if (r.status() == 409 && attempt < 3) {
                    System.out.println("switchover refused, not counted (" + r.body() + "): waiting for the steady state again");
                    continue;
                }
                assertThat(r.status()).as(r.body()).isEqualTo(202);
                await("writes at " + s, Duration.ofSeconds(30), () -> load.acked().stream().anyMatch(a -> a.site().equals(s.name())));
                Optional<MachineCpu> done = MachineCpu.now();
                if (quiet.isPresent() && asked.isPresent() && done.isPresent()) {
                    asked.get().busySince(quiet.get()).ifPresent(cpuBusyBeforeSwitchovers::add);
                    done.get().busySince(asked.get()).ifPresent(cpuBusyDuringSwitchovers::add);
                }
                return switchoverGap(load, s);
            }
        }
    }

    /** {@code POST /v1/switchover} to {@code to} (accepted) while {@code load} writes; returns once {@code to} acknowledged one. */
    void switchoverUnder(Load load, SiteId to) throws IOException {
        var r = Http.post(lab.arbiterUrl() + "/v1/switchover", lab.secrets().operatorToken(),
                Http.JSON.writeValueAsString(new OperatorRequest.Switchover(to)));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        await("writes at the new writer", Duration.ofSeconds(30), () -> load.acked().stream().anyMatch(a -> a.site().equals(to.name())));
    }

    /** The longest gap between acknowledged writes of {@code load}, once {@code s} has acknowledged one; none lost. */
    private double switchoverGap(Load load, SiteId s) throws Exception {
        sleep(300);
        load.close();
        List<LabClient.Write> acked = load.acked();
        long gap = 0;
        for (int k = 1; k < acked.size(); k++) {
            gap = Math.max(gap, acked.get(k).ackNanos() - acked.get(k - 1).ackNanos());
        }
        assertNoAcknowledgedWriteLost(load, s);
        return gap / 1e6;
    }

    /** The longest stretch between two acknowledged writes of {@code acked} (in order) that ends after {@code from}: [start, end] nanos. */
    static long[] longestGapAfter(List<LabClient.Write> acked, long from) {
        long[] best = {from, from};
        for (int k = 1; k < acked.size(); k++) {
            long a = acked.get(k - 1).ackNanos();
            long b = acked.get(k).ackNanos();
            if (b > from && b - a > best[1] - best[0]) {
                best = new long[] {a, b};
            }
        }
        return best;
    }

    static void await(String what, Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            sleep(100);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Writes through {@code client} every {@code everyMs} until stopped, keeping every attempt. */
    static final class Load implements AutoCloseable {
        final List<LabClient.Write> attempts = new CopyOnWriteArrayList<>();
        private final Thread thread;
        private volatile boolean stop;

        Load(LabClient client, String patient, long everyMs) {
            thread = Thread.ofVirtual().start(() -> {
                long end = System.nanoTime() + Duration.ofMinutes(3).toNanos(); // bounded whatever happens
                while (!stop && System.nanoTime() < end) {
                    attempts.add(client.write(patient));
                    sleep(everyMs);
                }
            });
        }

        List<LabClient.Write> acked() {
            return attempts.stream().filter(LabClient.Write::ok).toList();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(10_000);
        }
    }

    Connection db(SiteId s) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + lab.layout().pgPort(s) + "/postgres", "postgres", "");
    }

    /** Closes {@code writer}'s current WAL segment ({@code pg_switch_wal()}); that segment's name. */
    String switchWal(SiteId writer) throws SQLException {
        try (Connection c = db(writer); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
            rs.next();
            return rs.getString(1);
        }
    }

    Set<String> recordingIds(SiteId s) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = db(s); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id FROM ecg_recording")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    /** Asserts every acknowledged write of {@code load} is on {@code site}, exactly once. */
    void assertNoAcknowledgedWriteLost(Load load, SiteId site) throws SQLException {
        Set<String> present = recordingIds(site);
        List<String> acked = load.acked().stream().map(LabClient.Write::id).toList();
        assertThat(acked).as("acknowledged writes").isNotEmpty().doesNotHaveDuplicates();
        assertThat(present).as("acknowledged writes present on " + site).containsAll(acked);
    }

    /** Appends a measured figure for docs/benchmarks.md (lab/target/e2e-figures.tsv). */
    static void figure(String scenario, String metric, double value) {
        Path f = HOME.resolve("lab").resolve("target").resolve("e2e-figures.tsv");
        try {
            Files.createDirectories(f.getParent());
            Files.writeString(f, scenario + "\t" + metric + "\t" + value + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        System.out.printf("FIGURE %s %s %.0f%n", scenario, metric, value);
    }

    static void deleteTree(Path root) throws IOException {
        dev.twincloud.lab.supervisor.Await.deleteTree(root);
    }

    @Override
    public void close() {
        lab.close();
    }
}
