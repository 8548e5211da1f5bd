package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import dev.twincloud.lab.drill.History.Outcome;
import dev.twincloud.pgctl.junit.PostgresExtension;
import dev.twincloud.pgctl.lease.LeaseGuard;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Transactions straight on a real PostgreSQL with the lease guard: the first commits under the lease,
 * the held ones are committed after it ended; every COMMIT is recorded with how much lease it had left
 * by the database's clock.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LongTransactionsTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.create().withSetting("twincloud.site", "gcp")
            .withSetting("track_commit_timestamp", "on");

    @Test
    void recordsEveryCommitWithTheLeaseItHadLeftAndARefusalAsAFailure() throws Exception {
        String url = pg.createDatabase("txns_" + System.nanoTime());
        try (Connection agent = DriverManager.getConnection(url, pg.username(), pg.password()); Statement s = agent.createStatement()) {
            createRecordings(s);
            LeaseGuard.install(agent, List.of("public"));
            assertThat(LeaseGuard.writeLease(agent, 1, "gcp", Duration.ZERO, Duration.ofMillis(1500))).isTrue();

            History h = new History(System.nanoTime());
            LongTransactions t = LongTransactions.open(url, pg.username(), pg.username(), "gcp", "k", 0, h, 3);
            assertThat(t.problems()).isEmpty();
            assertThat(t.heldCount()).isEqualTo(2);
            Thread.sleep(2000); // the lease ends while they are held
            t.commitAll();
            t.close();

            List<Op> txns = h.ops().stream().filter(o -> o.type() == OpType.TXN).toList();
            assertThat(txns).extracting(Op::key).containsExactlyInAnyOrder("k-txn0-0", "k-txn0-1", "k-txn0-2");
            Op first = txns.stream().filter(o -> o.key().equals("k-txn0-0")).findFirst().orElseThrow();
            assertThat(first.outcome()).isEqualTo(Outcome.OK);
            assertThat(first.site()).isEqualTo("gcp");
            assertThat(first.id()).isNotNull();
            assertThat(first.leaseLeftMs()).isBetween(1.0, 1500.0);
            for (Op late : txns.stream().filter(o -> !o.key().equals("k-txn0-0")).toList()) {
                // a guard that decides at COMMIT refuses with its SQLSTATE; a statement-time guard lets it commit,
                // and then the recorded lease left is negative: the checker's split brain
                if (late.outcome() == Outcome.OK) {
                    assertThat(late.leaseLeftMs()).as(late.detail()).isLessThan(-200.0);
                } else {
                    assertThat(late.outcome()).isEqualTo(Outcome.FAIL);
                    assertThat(late.detail()).contains(LeaseGuard.FENCED_SQLSTATE);
                }
            }
            Checker.Result r = new Checker(new Checker.Config(true, 0, 50)).check(new Checker.Input(h, WriterTimeline.unknown(),
                    List.of(), "gcp"));
            long committedLate = txns.stream().filter(o -> o.ok() && !o.key().equals("k-txn0-0")).count();
            assertThat(r.count(Anomaly.Kind.SPLIT_BRAIN)).isEqualTo(committedLate);
        }
    }

    /**
     * A run may play {@code open-txns} twice (a random schedule drew it twice): each play's transactions must carry
     * keys of their own, or the checker sees two recordings under one key and reports a duplicate the system never made.
     */
    @Test
    void twoPlaysInOneRunNameTheirTransactionsApart() throws Exception {
        String url = pg.createDatabase("txns_" + System.nanoTime());
        try (Connection agent = DriverManager.getConnection(url, pg.username(), pg.password()); Statement s = agent.createStatement()) {
            createRecordings(s);
            History h = new History(System.nanoTime());
            for (int play = 0; play < 2; play++) {
                LongTransactions t = LongTransactions.open(url, pg.username(), pg.username(), "gcp", "k", play, h, 2);
                assertThat(t.problems()).isEmpty();
                t.commitAll();
                t.close();
            }
            List<Op> txns = h.ops().stream().filter(o -> o.type() == OpType.TXN).toList();
            assertThat(txns).hasSize(4).allMatch(Op::ok);
            assertThat(txns).extracting(Op::key).doesNotHaveDuplicates();
            assertThat(txns).extracting(Op::client).doesNotHaveDuplicates();
            try (var rs = s.executeQuery("SELECT count(DISTINCT notes), count(*) FROM ecg_recording")) {
                rs.next();
                assertThat(rs.getInt(1)).as("one recording per key").isEqualTo(rs.getInt(2)).isEqualTo(4);
            }
        }
    }

    @Test
    void aTransactionThatCannotBeOpenedIsRecordedAsAFailureWithTheReason() {
        String url = pg.createDatabase("txns_" + System.nanoTime()); // no ecg_recording table here
        History h = new History(System.nanoTime());
        LongTransactions t = LongTransactions.open(url, pg.username(), pg.username(), "gcp", "k", 0, h, 2);
        t.close();
        assertThat(t.problems()).hasSize(2).allMatch(p -> p.contains("42P01"));
        assertThat(h.ops()).hasSize(2).allMatch(o -> o.outcome() == Outcome.FAIL && o.detail().contains("BEGIN/INSERT refused"));
    }

    /**
     * The drill scenario {@code restore}'s own check of a restored copy (here on this class's server, to save starting
     * one): every write the workload had acknowledged before the restore point was asked for must be there; later
     * writes, failed ones and reads do not count.
     */
    @Test
    void everyWriteAcknowledgedBeforeTheAskIsLookedForByItsRecordingId() throws Exception {
        String there = UUID.randomUUID().toString();
        String missing = UUID.randomUUID().toString();
        String later = UUID.randomUUID().toString();
        String failed = UUID.randomUUID().toString();
        History h = new History(0);
        h.add(write(there, 10, Outcome.OK));
        h.add(write(missing, 20, Outcome.OK));
        h.add(write(later, 200, Outcome.OK)); // acknowledged after the ask: need not be there
        h.add(write(failed, 30, Outcome.FAIL));
        String url = pg.createDatabase("restored_" + System.nanoTime());
        try (Connection c = DriverManager.getConnection(url, pg.username(), pg.password()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE ecg_recording (id uuid PRIMARY KEY)");
            s.execute("INSERT INTO ecg_recording VALUES ('" + there + "')");
            AtomicInteger checked = new AtomicInteger();
            List<String> problems = Drill.ackedBefore(h, 100, checked).check(c);
            assertThat(checked.get()).isEqualTo(2);
            assertThat(problems).singleElement().asString().contains("1 of the 2 writes acknowledged before the restore point are missing")
                    .contains(missing).doesNotContain(later).doesNotContain(failed);
            s.execute("INSERT INTO ecg_recording VALUES ('" + missing + "')");
            assertThat(Drill.ackedBefore(h, 100, checked).check(c)).isEmpty();
        }
    }

    /** The recording table as the drill's transactions write it (the API's own has more columns they leave to defaults). */
    private static void createRecordings(Statement s) throws java.sql.SQLException {
        s.execute("""
                CREATE TABLE ecg_recording (id uuid PRIMARY KEY, patient_ref text NOT NULL, recorded_at timestamptz NOT NULL,
                    sampling_rate_hz int NOT NULL, sample_count int NOT NULL, lead_names text[] NOT NULL, notes text,
                    written_site text DEFAULT nullif(current_setting('twincloud.site', true), ''))""");
    }

    private static Op write(String id, double completeMs, Outcome outcome) {
        return new Op(0, OpType.WRITE, "k-" + id, completeMs - 5, completeMs, outcome, outcome == Outcome.OK ? 201 : 503, "gcp",
                outcome == Outcome.OK ? id : null, 1, 100, 1, false, "", -1, "", Double.NaN, "r-" + id);
    }
}
