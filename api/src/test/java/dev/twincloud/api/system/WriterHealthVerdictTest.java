package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.api.system.WriterHealth.Snapshot;
import dev.twincloud.api.system.WriterHealth.Verdict;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The verdict on a cached refresh, without a database: when a cached UP stops being answered (max-age,
 * the lease's reported end), and which answers are definitive (the database said "not the writer")
 * and which are not (no fresh answer).
 */
class WriterHealthVerdictTest {

    static final long MS = 1_000_000L;
    static final long T0 = 1_000_000 * MS; // any nanoTime origin

    final WriterHealth health = health(true);

    static WriterHealth health(boolean requireLease) {
        return new WriterHealth("jdbc:postgresql://127.0.0.1:1/none", "u", "", requireLease, Duration.ofMillis(100),
                Duration.ofSeconds(1), Duration.ofMillis(1500), System::nanoTime);
    }

    static Snapshot primary(long leaseLeftMs) {
        return new Snapshot(T0, false, null, leaseLeftMs * MS, null);
    }

    @Test
    void aFreshPrimaryWithAValidLeaseIsTheWriter() {
        var a = health.answer(primary(2500), T0 + 40 * MS);
        assertThat(a.verdict()).isEqualTo(Verdict.WRITER);
        assertThat(a.up()).isTrue();
        assertThat(a.role()).isEqualTo("primary");
        assertThat(a.lease()).isEqualTo("valid");
        assertThat(a.ageMs()).isEqualTo(40);
        assertThat(a.leaseLeftMs()).as("counted down from when the refresh was sent").isEqualTo(2460);
    }

    @Test
    void aCachedUpIsNeverAnsweredPastMaxAge() {
        assertThat(health.answer(primary(60_000), T0 + 1000 * MS).verdict()).isEqualTo(Verdict.WRITER);
        var stale = health.answer(primary(60_000), T0 + 1001 * MS);
        assertThat(stale.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(stale.reason()).contains("no answer from the database for 1001 ms");
        assertThat(stale.role()).as("readiness is DOWN too: the database does not answer").isNull();
    }

    @Test
    void aCachedUpIsNeverAnsweredPastTheLeaseEndTheDatabaseReported() {
        assertThat(health.answer(primary(300), T0 + 299 * MS).verdict()).isEqualTo(Verdict.WRITER);
        var ended = health.answer(primary(300), T0 + 300 * MS);
        assertThat(ended.verdict()).as("not definitive: a renewal may be on its way").isEqualTo(Verdict.UNKNOWN);
        assertThat(ended.reason()).contains("last reported end has passed");
        assertThat(ended.role()).isEqualTo("primary");
    }

    @Test
    void whatTheDatabaseSaidIsDefinitive() {
        var standby = health.answer(new Snapshot(T0, true, "the lease belongs to site aws, this is site gcp", -1, null), T0);
        assertThat(standby.verdict()).isEqualTo(Verdict.NOT_WRITER);
        assertThat(standby.role()).isEqualTo("standby");
        var fenced = health.answer(new Snapshot(T0, false, "the lease of epoch 3 ended at -infinity", -1, null), T0 + 10 * MS);
        assertThat(fenced.verdict()).isEqualTo(Verdict.NOT_WRITER);
        assertThat(fenced.reason()).isEqualTo("the lease of epoch 3 ended at -infinity");
        assertThat(fenced.lease()).isEqualTo("the lease of epoch 3 ended at -infinity");
    }

    @Test
    void noAnswerOrAFailedRefreshIsNotDefinitive() {
        assertThat(health.answer(null, T0).verdict()).isEqualTo(Verdict.UNKNOWN);
        var failed = health.answer(Snapshot.failed(T0, "PSQLException: Connection refused"), T0 + 5 * MS);
        assertThat(failed.verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(failed.reason()).contains("Connection refused");
    }

    @Test
    void withoutRequireLeaseAPrimaryIsTheWriterWhateverTheLease() {
        var dev = health(false).answer(new Snapshot(T0, false, "the twincloud lease guard is not installed in this database", -1, null), T0);
        assertThat(dev.verdict()).isEqualTo(Verdict.WRITER);
        assertThat(dev.lease()).as("not asked in dev mode").isNull();
        var devStandby = health(false).answer(new Snapshot(T0, true, null, -1, null), T0);
        assertThat(devStandby.verdict()).isEqualTo(Verdict.NOT_WRITER);
    }

    @Test
    void anOlderGuardWithoutTheLeaseLeftFunctionIsBoundedByMaxAgeAlone() {
        var s = new Snapshot(T0, false, null, -1, null);
        assertThat(health.answer(s, T0 + 900 * MS).verdict()).isEqualTo(Verdict.WRITER);
        assertThat(health.answer(s, T0 + 900 * MS).leaseLeftMs()).isNull();
        assertThat(health.answer(s, T0 + 1100 * MS).verdict()).isEqualTo(Verdict.UNKNOWN);
    }

    @Test
    void badSettingsAreRefusedWithTheirNames() {
        assertThatThrownBy(() -> new WriterHealth("u", "u", "", true, Duration.ofSeconds(1), Duration.ofMillis(500),
                Duration.ofSeconds(1), System::nanoTime))
                .hasMessageContaining("twincloud.api.health.max-age").hasMessageContaining("refresh-interval");
        assertThatThrownBy(() -> new WriterHealth("u", "u", "", true, Duration.ofMillis(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1), System::nanoTime))
                .hasMessageContaining("twincloud.api.health.refresh-interval must be >= 10ms");
    }

    /** A probe answered "not the writer" makes the refresher look again now, not after its interval. */
    @Test
    void aProbeThatFindsNoWriterRefreshesAtOnce() throws Exception {
        // a "server" that takes the connection and drops it: the refresh fails without being refused
        try (var dropping = new StoppingServerStandIn(Duration.ZERO)) {
            dropping.dropConnections();
            var slow = new WriterHealth(dropping.jdbcUrl(), "u", "", true, Duration.ofSeconds(10), Duration.ofSeconds(20),
                    Duration.ofMillis(1500), System::nanoTime);
            assertRefreshedAfterAProbe(slow);
        }
    }

    private static void assertRefreshedAfterAProbe(WriterHealth slow) throws Exception {
        slow.start();
        try {
            assertThat(slow.snapshot().refused()).as("dropped, not refused").isFalse();
            Thread.sleep(300);
            assertThat(slow.answer().ageMs()).as("no refresh within the 10 s interval").isGreaterThanOrEqualTo(250);
            slow.probedNotWriter();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (slow.answer().ageMs() >= 250 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(slow.answer().ageMs()).as("refreshed after the probe").isLessThan(250);
        } finally {
            slow.stop();
        }
    }

    /**
     * Not while the database turns connections away: every try would fork a server process that a stopping
     * server waits for, and the edge probes every 10 ms while no site is healthy.
     */
    @Test
    void aProbeDoesNotHurryTheRefreshOfADatabaseThatRefuses() throws Exception {
        var refused = new WriterHealth("jdbc:postgresql://127.0.0.1:1/none", "u", "", true, Duration.ofSeconds(10),
                Duration.ofSeconds(20), Duration.ofMillis(1500), System::nanoTime);
        refused.start();
        try {
            assertThat(refused.snapshot().refused()).isTrue();
            Thread.sleep(300);
            refused.probedNotWriter();
            assertThat(refused.databaseRefusing()).as("a request turned away at once").isPresent();
            Thread.sleep(300);
            assertThat(refused.answer().ageMs()).as("no refresh within the 10 s interval, probes or not").isGreaterThanOrEqualTo(550);
        } finally {
            refused.stop();
        }
    }

    /** A refresh the database turned away (down, starting, shutting down) lets requests skip the pool wait, while fresh. */
    @Test
    void aRefusedRefreshIsARefusalForTwoIntervalsAndATimeoutIsNot() {
        var refused = Snapshot.refused(T0, "PSQLException: Connection to 127.0.0.1:5432 refused");
        assertThat(health.refusing(refused, T0 + 200 * MS)).contains("PSQLException: Connection to 127.0.0.1:5432 refused");
        assertThat(health.refusing(refused, T0 + 201 * MS)).as("older than two 100 ms intervals").isEmpty();
        assertThat(health.answer(refused, T0).verdict()).isEqualTo(Verdict.UNKNOWN);
        assertThat(health.refusing(Snapshot.failed(T0, "SocketTimeoutException: Read timed out"), T0)).as("slow is not refused").isEmpty();
        assertThat(health.refusing(new Snapshot(T0, true, null, -1, null), T0)).as("a standby answers").isEmpty();
        assertThat(health.refusing(null, T0)).isEmpty();
    }

    /**
     * A stopping server on a busy machine takes a while to refuse (it forks a process to say so): the
     * refusal it gave stays fresh until the next one arrives, so requests are turned away at once the
     * whole time, not waiting in the pool for the 100 ms of every 250 ms that the last answer is older
     * than two intervals. Against a stand-in server speaking PostgreSQL's startup protocol that answers
     * every connection, after 150 ms, with SQLSTATE 57P03.
     */
    @Test
    void aSlowRefusalStaysFreshUntilTheNextOneArrives() throws Exception {
        try (var stopping = new StoppingServerStandIn(Duration.ofMillis(150))) {
            var h = refusedBy(stopping, e -> { });
            try {
                int looks = 0;
                int turnedAway = 0;
                long end = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < end) {
                    looks++;
                    if (h.databaseRefusing().isPresent()) {
                        turnedAway++;
                    }
                    Thread.sleep(5);
                }
                assertThat(turnedAway).as("requests turned away at once all along").isEqualTo(looks);
            } finally {
                h.stop();
            }
        }
    }

    /**
     * A server that said it is shutting down, and then, while its postmaster exits, takes a connection and
     * drops it (its listening socket stays open until the process is gone): still refusing — a request
     * that passed the gate in that window waited 517 ms in the pool of the old writer's API for its
     * 503 (docs/benchmarks.md, run 8). Once turned away, turned away until the server answers.
     */
    @Test
    void aServerThatRefusedAndThenDropsConnectionsIsStillRefusing() throws Exception {
        try (var stopping = new StoppingServerStandIn(Duration.ZERO)) {
            var events = new java.util.concurrent.CopyOnWriteArrayList<Object>();
            var h = refusedBy(stopping, events::add);
            try {
                assertThat(events).as("the request pool is told once (PoolRenewal)").hasSize(1)
                        .first().isInstanceOf(WriterHealth.DatabaseRefusing.class);
                stopping.dropConnections();
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (String.valueOf(h.snapshot().error()).contains("shutting down") && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(h.snapshot().error()).as("a dropped connection").doesNotContain("shutting down");
                assertThat(h.snapshot().refused()).isTrue();
                assertThat(h.databaseRefusing()).as("requests turned away at once").isPresent();
                assertThat(events).as("still refusing: nothing new").hasSize(1);
            } finally {
                h.stop();
            }
        }
    }

    /** A writer health (50 ms interval) on {@code server}, started, once it has found the server shutting down. */
    private static WriterHealth refusedBy(StoppingServerStandIn server, java.util.function.Consumer<Object> events)
            throws InterruptedException {
        var h = new WriterHealth(server.jdbcUrl(), "u", "", true, Duration.ofMillis(50), Duration.ofSeconds(1),
                Duration.ofMillis(1500), System::nanoTime, events);
        h.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (h.databaseRefusing().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(h.snapshot().error()).contains("the database system is shutting down");
        return h;
    }

    @Test
    void refusalsAreConnectionRefusedAndShutdownOrStartupNotTimeouts() {
        assertThat(WriterHealth.refusal(new java.sql.SQLException("Connection refused", "08001", new java.net.ConnectException("Connection refused")))).isTrue();
        assertThat(WriterHealth.refusal(new java.sql.SQLException("the database system is shutting down", "57P03"))).isTrue();
        assertThat(WriterHealth.refusal(new java.sql.SQLException("terminating connection due to administrator command", "57P01"))).isTrue();
        assertThat(WriterHealth.refusal(new java.sql.SQLException("The connection attempt failed.", "08001",
                new java.net.SocketTimeoutException("connect timed out")))).isFalse();
        assertThat(WriterHealth.refusal(new java.sql.SQLException("canceling statement due to statement timeout", "57014"))).isFalse();
        assertThat(WriterHealth.refusal(new RuntimeException("x"))).isFalse();
    }

    /** Against a port nobody listens on, the running refresher reports a refusal. */
    @Test
    void aClosedPortIsSeenAsRefusing() throws Exception {
        var h = health(true);
        h.start();
        try {
            // refreshed every 100 ms; a busy machine can make one look older than two intervals: look a few times
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (h.databaseRefusing().isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(h.databaseRefusing()).isPresent();
        } finally {
            h.stop();
        }
    }
}
