package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.EventKind;
import dev.twincloud.lab.drill.Anomaly.Kind;
import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import dev.twincloud.lab.drill.History.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The checker on hand-made histories: a failover from gcp (epoch 1) to aws (epoch 2) at 1000 ms,
 * clean, and with each anomaly planted in it.
 */
class CheckerTest {
    static final Checker SYNC = new Checker(new Checker.Config(true, 0, 50));
    static final WriterTimeline FAILOVER_AT_1000 = WriterTimeline.of("gcp", 1,
            List.of(new WriterTimeline.Promotion(1000, EventKind.FAILOVER, 2, "aws")));

    static Op write(String key, double at, String site, String id) {
        return new Op(0, OpType.WRITE, key, at, at + 10, Outcome.OK, 201, site, id, 1, 200, 1, false);
    }

    static Op failedWrite(String key, double at) {
        return new Op(0, OpType.WRITE, key, at, at + 2000, Outcome.INFO, 0, "", null, 1, 200, 1, false);
    }

    static Op read(int client, String key, String id, double at, String site, int status) {
        return new Op(client, OpType.READ, key, at, at + 5, status == 200 ? Outcome.OK : Outcome.FAIL, status, site, id, 2, 0, 1, false);
    }

    /** A transaction straight on {@code site}'s database whose COMMIT was sent at {@code at}. */
    static Op commit(String key, double at, String site, String id, Outcome outcome) {
        return new Op(-1, OpType.TXN, key, at, at + 20, outcome, 0, site, id, 1, 0, 1, false, "", -1,
                outcome == Outcome.FAIL ? "P0001 lease ended" : "");
    }

    static Op fencedRead(int client, String key, String id, double at, String site, int status, String role, long staleness) {
        return new Op(client, OpType.READ, key, at, at + 5, status == 200 ? Outcome.OK : Outcome.FAIL, status, site, id, 2, 0, 1,
                false, role, staleness, "");
    }

    static Checker.Result checkWithRejoin(Checker c, List<Op> ops, List<DbSnapshot.Row> writerRows, List<DbSnapshot.Row> oldWriterBefore) {
        return c.check(new Checker.Input(History.of(ops, List.of(), List.of()), FAILOVER_AT_1000,
                List.of(new DbSnapshot("aws", true, "primary", writerRows), new DbSnapshot("gcp", true, "standby", writerRows)), "aws",
                List.of(new DbSnapshot("gcp", true, "primary", oldWriterBefore))));
    }

    static DbSnapshot.Row row(String key, String id, String site, double commit) {
        return new DbSnapshot.Row(key, id, site, commit, 200);
    }

    /** Clean: k1, k2 on gcp before the failover; k3 retried across it and acknowledged by aws; k4 on aws. */
    static List<Op> cleanOps() {
        return new ArrayList<>(List.of(
                write("k1", 100, "gcp", "id1"),
                write("k2", 500, "gcp", "id2"),
                failedWrite("k3", 800),
                write("k3", 2900, "aws", "id3"),
                read(0, "k3", "id3", 2950, "aws", 200),
                write("k4", 3000, "aws", "id4"),
                read(1, "k1", "id1", 3100, "aws", 200)));
    }

    static List<DbSnapshot.Row> cleanRows() {
        return new ArrayList<>(List.of(row("k1", "id1", "gcp", 105), row("k2", "id2", "gcp", 505),
                row("k3", "id3", "aws", 2905), row("k4", "id4", "aws", 3005)));
    }

    static Checker.Result check(Checker c, List<Op> ops, List<DbSnapshot.Row> writerRows, List<DbSnapshot.Row> standbyRows) {
        return c.check(new Checker.Input(History.of(ops, List.of(), List.of()), FAILOVER_AT_1000,
                List.of(new DbSnapshot("aws", true, "primary", writerRows), new DbSnapshot("gcp", true, "standby", standbyRows)), "aws"));
    }

    @Test
    void aCleanFailoverHistoryHasNoAnomaly() {
        Checker.Result r = check(SYNC, cleanOps(), cleanRows(), cleanRows());
        assertThat(r.anomalies()).isEmpty();
        assertThat(r.ackedWrites()).isEqualTo(4);
        assertThat(r.lostWrites()).isZero();
    }

    @Test
    void anAcknowledgedWriteMissingFromTheNewWriterIsALostWrite() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.removeIf(x -> x.key().equals("k2"));
        Checker.Result r = check(SYNC, cleanOps(), rows, rows);
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.LOST_WRITE);
        assertThat(r.anomalies().get(0).detail()).contains("k2");
        assertThat(r.lostWrites()).isEqualTo(1);
        assertThat(r.lostBytes()).isEqualTo(200);
    }

    @Test
    void theOldWriterCommittingAfterThePromotionIsASplitBrain() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("k9", "id9", "gcp", 1500)); // gcp committed 500 ms after aws got epoch 2
        Checker.Result r = check(SYNC, cleanOps(), rows, rows);
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsOnly(Kind.SPLIT_BRAIN);
        assertThat(r.anomalies().get(0).detail()).contains("gcp").contains("aws (epoch 2)");
    }

    @Test
    void theNewWriterCommittingBeforeItsPromotionIsASplitBrain() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("k8", "id8", "aws", 600));
        assertThat(check(SYNC, cleanOps(), rows, rows).anomalies()).extracting(Anomaly::kind).containsOnly(Kind.SPLIT_BRAIN);
    }

    @Test
    void anAcknowledgementFromASiteThatWasNotTheWriterIsASplitBrain() {
        List<Op> ops = cleanOps();
        ops.add(write("k5", 2000, "gcp", "id5")); // the client saw gcp accept a write in aws's epoch
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("k5", "id5", "aws", 2005)); // even if the row ended up on aws: the ack came from gcp
        assertThat(check(SYNC, ops, rows, rows).anomalies()).extracting(Anomaly::kind).containsExactly(Kind.SPLIT_BRAIN);
    }

    @Test
    void aCommitWithinTheClockToleranceOfThePromotionIsNotASplitBrain() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("k7", "id7", "gcp", 1030));
        assertThat(check(SYNC, cleanOps(), rows, rows).anomalies()).isEmpty();
    }

    @Test
    void aRetriedKeyStoredTwiceIsADuplicate() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("k3", "id3b", "aws", 2950)); // the retry of k3 took effect a second time
        Checker.Result r = check(SYNC, cleanOps(), rows, cleanRows());
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.DUPLICATE);
        assertThat(r.anomalies().get(0).detail()).contains("on aws").contains("k3");
    }

    @Test
    void aKeyAcknowledgedWithTwoDifferentIdsIsADuplicate() {
        List<Op> ops = cleanOps();
        ops.add(write("k1", 3200, "aws", "id1-again")); // a replay of k1 that created a new recording
        Checker.Result r = check(SYNC, ops, cleanRows(), cleanRows());
        assertThat(r.anomalies()).extracting(Anomaly::kind).contains(Kind.DUPLICATE);
    }

    @Test
    void aNotFoundFromTheWriterForAnAcknowledgedWriteIsAStaleRead() {
        List<Op> ops = cleanOps();
        ops.add(read(1, "k2", "id2", 3300, "aws", 404));
        Checker.Result r = check(SYNC, ops, cleanRows(), cleanRows());
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.STALE_READ);
    }

    @Test
    void aNotFoundFromASiteThatWasNotTheWriterIsNoPromiseBroken() {
        List<Op> ops = cleanOps();
        ops.add(read(1, "k4", "id4", 3300, "gcp", 404)); // served by the standby: no read-your-writes promise there
        ops.add(read(2, "k4", "id4", 2000, "aws", 404)); // sent before k4 was acknowledged
        assertThat(check(SYNC, ops, cleanRows(), cleanRows()).anomalies()).isEmpty();
    }

    @Test
    void asyncLossWithinTheBoundIsReportedButNoAnomalyAndOverTheBoundIsOne() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.removeIf(x -> x.key().equals("k2"));
        Checker within = new Checker(new Checker.Config(false, 1000, 50));
        Checker.Result r = check(within, cleanOps(), rows, rows);
        assertThat(r.anomalies()).isEmpty();
        assertThat(r.lostWrites()).isEqualTo(1);
        assertThat(r.lostBytes()).isEqualTo(200);

        Checker tight = new Checker(new Checker.Config(false, 100, 50));
        assertThat(check(tight, cleanOps(), rows, rows).anomalies()).extracting(Anomaly::kind)
                .containsExactly(Kind.ASYNC_LOSS_OVER_BOUND);
    }

    @Test
    void aCommitAnsweredOkOnTheDeposedWriterAfterThePromotionIsASplitBrain() {
        List<Op> ops = cleanOps();
        ops.add(commit("t1", 1400, "gcp", "idt1", Outcome.OK)); // gcp answered COMMIT 400 ms after aws got epoch 2
        Checker.Result r = check(SYNC, ops, cleanRows(), cleanRows());
        // and it is an acknowledged write missing from the final writer too
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactlyInAnyOrder(Kind.SPLIT_BRAIN, Kind.LOST_WRITE);
        assertThat(r.anomalies()).anyMatch(a -> a.kind() == Kind.SPLIT_BRAIN && a.detail().contains("COMMIT")
                && a.detail().contains("gcp") && a.detail().contains("aws was, epoch 2"));
    }

    @Test
    void aRefusedOrUnansweredCommitOnTheDeposedWriterIsNoAnomaly() {
        List<Op> ops = cleanOps();
        ops.add(commit("t1", 1400, "gcp", "idt1", Outcome.FAIL));
        ops.add(commit("t2", 1400, "gcp", "idt2", Outcome.INFO));
        assertThat(check(SYNC, ops, cleanRows(), cleanRows()).anomalies()).isEmpty();
    }

    @Test
    void aCommitAnsweredOkUnderTheLeaseMustSurviveTheFailoverInSyncMode() {
        List<Op> ops = cleanOps();
        ops.add(commit("t0", 300, "gcp", "idt0", Outcome.OK));
        Checker.Result lost = check(SYNC, ops, cleanRows(), cleanRows());
        assertThat(lost.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.LOST_WRITE);
        assertThat(lost.anomalies().get(0).detail()).contains("a COMMIT on gcp");
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("t0", "idt0", "gcp", 320));
        assertThat(check(SYNC, ops, rows, rows).anomalies()).isEmpty();
    }

    @Test
    void aRowTheDeposedWriterCommittedAfterThePromotionIsASplitBrainEvenIfTheRewindErasedIt() {
        List<DbSnapshot.Row> before = new ArrayList<>(cleanRows().subList(0, 2));
        before.add(row("t1", "idt1", "gcp", 1600)); // on gcp before it re-joined; gone from every final database
        Checker.Result r = checkWithRejoin(SYNC, cleanOps(), cleanRows(), before);
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.SPLIT_BRAIN);
        assertThat(r.anomalies().get(0).detail()).contains("gcp (before it re-joined)").contains("t1");
        // the final snapshots alone do not see it
        assertThat(check(SYNC, cleanOps(), cleanRows(), cleanRows()).anomalies()).isEmpty();
    }

    @Test
    void aRowSeenBothBeforeTheRejoinAndAtTheEndIsReportedOnce() {
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("k9", "id9", "gcp", 1500));
        Checker.Result r = c(rows);
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.SPLIT_BRAIN, Kind.SPLIT_BRAIN); // aws, gcp
    }

    private static Checker.Result c(List<DbSnapshot.Row> rows) {
        return SYNC.check(new Checker.Input(History.of(cleanOps(), List.of(), List.of()), FAILOVER_AT_1000,
                List.of(new DbSnapshot("aws", true, "primary", rows), new DbSnapshot("gcp", true, "standby", rows)), "aws",
                List.of(new DbSnapshot("gcp", true, "primary", rows))));
    }

    @Test
    void anAcknowledgedWriteFoundOnlyOnTheOldWriterBeforeItRejoinedIsALostWriteWithTheEvidence() {
        List<DbSnapshot.Row> fin = cleanRows();
        fin.removeIf(x -> x.key().equals("k2"));
        Checker.Result r = checkWithRejoin(SYNC, cleanOps(), fin, cleanRows().subList(0, 2));
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.LOST_WRITE);
        assertThat(r.anomalies().get(0).detail()).contains("k2").contains("it was on gcp before gcp re-joined");
    }

    @Test
    void aSiteAnsweringAsTheWriterWhenItWasNotIsAStaleRead() {
        List<Op> ops = cleanOps();
        ops.add(fencedRead(1, "k1", "id1", 2000, "gcp", 200, "writer", 0)); // gcp deposed at 1000
        ops.add(fencedRead(1, "k1", "id1", 2100, "aws", 200, "writer", 0));
        ops.add(fencedRead(1, "k1", "id1", 2200, "gcp", 503, "", -1)); // the fence: refused
        Checker.Result r = check(SYNC, ops, cleanRows(), cleanRows());
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.STALE_READ);
        assertThat(r.anomalies().get(0).detail()).contains("from gcp").contains("as the writer").contains("aws");
    }

    @Test
    void aStandbyReadOutsideTheConfiguredBoundIsAStaleRead() {
        Checker bound1s = new Checker(new Checker.Config(true, 0, 50, 1000));
        List<Op> ops = cleanOps();
        ops.add(fencedRead(1, "k4", "id4", 3300, "gcp", 200, "standby", 800)); // within: fine
        assertThat(check(bound1s, ops, cleanRows(), cleanRows()).anomalies()).isEmpty();
        ops.add(fencedRead(1, "k4", "id4", 3400, "gcp", 200, "standby", 1500)); // states more than the bound
        ops.add(fencedRead(1, "k4", "id4", 3500, "gcp", 200, "standby", -1)); // states nothing
        Checker.Result r = check(bound1s, ops, cleanRows(), cleanRows());
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.STALE_READ, Kind.STALE_READ);
        assertThat(r.anomalies().get(0).detail()).contains("staleness 1500 ms").contains("bound 1000 ms");
        assertThat(r.anomalies().get(1).detail()).contains("without Twincloud-Staleness-Ms");
    }

    @Test
    void aStandbyMissingAWriteOlderThanTheStalenessItStatedIsAStaleRead() {
        List<Op> ops = cleanOps();
        ops.add(fencedRead(1, "k4", "id4", 3100, "gcp", 404, "standby", 500)); // k4 acked at 3010: within 500 ms, fine
        assertThat(check(SYNC, ops, cleanRows(), cleanRows()).anomalies()).isEmpty();
        ops.add(fencedRead(1, "k4", "id4", 4000, "gcp", 404, "standby", 500)); // 990 ms after the ack: beyond what it stated
        Checker.Result r = check(SYNC, ops, cleanRows(), cleanRows());
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.STALE_READ);
        assertThat(r.anomalies().get(0).detail()).contains("staleness 500 ms");
    }

    @Test
    void aNotFoundFromASiteAnsweringAsTheWriterForAnAcknowledgedWriteIsAStaleRead() {
        List<Op> ops = cleanOps();
        ops.add(fencedRead(1, "k3", "id3", 3000, "aws", 404, "writer", 0));
        assertThat(check(SYNC, ops, cleanRows(), cleanRows()).anomalies()).extracting(Anomaly::kind).containsExactly(Kind.STALE_READ);
    }

    @Test
    void aCommitAfterTheSitesLeaseEndedByTheDatabasesClockIsASplitBrainEvenWithoutAPromotion() {
        List<Op> ops = cleanOps();
        // aws is the writer throughout (from 1000 on) but its own lease had ended 900 ms before the row committed
        ops.add(new Op(-1, OpType.TXN, "t5", 4000, 4010, Outcome.OK, 0, "aws", "idt5", 2, 0, 1, false, "", -1, "COMMIT", -900));
        // committed with 1.2 s of lease left: fine; unknown: not judged
        ops.add(new Op(-1, OpType.TXN, "t6", 4100, 4110, Outcome.OK, 0, "aws", "idt6", 2, 0, 1, false, "", -1, "COMMIT", 1200));
        ops.add(new Op(-1, OpType.TXN, "t7", 4200, 4210, Outcome.OK, 0, "aws", "idt7", 2, 0, 1, false, "", -1, "COMMIT", Double.NaN));
        List<DbSnapshot.Row> rows = cleanRows();
        rows.add(row("t5", "idt5", "aws", 4005));
        rows.add(row("t6", "idt6", "aws", 4105));
        rows.add(row("t7", "idt7", "aws", 4205));
        Checker.Result r = check(SYNC, ops, rows, rows);
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.SPLIT_BRAIN);
        assertThat(r.anomalies().get(0).detail()).contains("t5").contains("900 ms after its lease ended");
    }

    @Test
    void anUnreadableWriterDatabaseIsANoteNotACleanBillOfHealth() {
        Checker.Result r = SYNC.check(new Checker.Input(History.of(cleanOps(), List.of(), List.of()), FAILOVER_AT_1000,
                List.of(DbSnapshot.unavailable("aws")), "aws"));
        assertThat(r.notes()).anyMatch(n -> n.contains("not checked"));
    }

    @Test
    void withoutAnArbiterTheTimelineIsUnknownAndOnlyClientSideChecksRun() {
        List<Op> ops = cleanOps();
        ops.add(write("k5", 2000, "gcp", "id5"));
        ops.add(read(1, "k2", "id2", 3300, "aws", 404));
        Checker.Result r = SYNC.check(new Checker.Input(History.of(ops, List.of(), List.of()), WriterTimeline.unknown(), List.of(), "aws"));
        assertThat(r.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.STALE_READ);
    }

    /** A write answered 503: by the edge itself when {@code edgeMade}, else by the API (through the edge). */
    static Op refused(String key, double at, boolean edgeMade) {
        return new Op(0, OpType.WRITE, key, at, at + 3, Outcome.FAIL, 503, edgeMade ? "" : "gcp", null, 1, 200, 1, false, "", -1,
                edgeMade ? DrillClient.EDGE_MADE + "no-healthy-backend" : "");
    }

    @Test
    void edgeMade503sAreCountedApartFromTheApisOwnAndAreAnAnomalyOnlyWhereNoFaultMayExplainThem() {
        List<Op> ops = new ArrayList<>();
        ops.add(write("k1", 100, "gcp", "id1"));
        ops.add(refused("k2", 200, false)); // the API's own 503 (e.g. fenced): never the edge's fault
        ops.add(refused("k2", 300, true));
        ops.add(refused("k2", 400, true));
        ops.add(write("k2", 500, "gcp", "id2"));
        List<DbSnapshot.Row> rows = List.of(row("k1", "id1", "gcp", 110), row("k2", "id2", "gcp", 510));
        var in = new Checker.Input(History.of(ops, List.of(), List.of()), WriterTimeline.of("gcp", 1, List.of()),
                List.of(new DbSnapshot("gcp", true, "primary", rows)), "gcp");

        Checker.Result lenient = SYNC.check(in);
        assertThat(lenient.anomalies()).isEmpty();
        assertThat(lenient.edgeMade503s()).isEqualTo(2);

        Checker.Result strict = new Checker(new Checker.Config(true, 0, 50).strictEdge()).check(in);
        assertThat(strict.anomalies()).extracting(Anomaly::kind).containsExactly(Kind.EDGE_UNAVAILABLE);
        assertThat(strict.anomalies().getFirst().detail()).startsWith("2 answer(s) 503 made by the edge itself (no-healthy-backend)");
        assertThat(strict.anomalies().getFirst().atMs()).isEqualTo(303);

        List<Op> apiOnly = new ArrayList<>(ops.subList(0, 2));
        apiOnly.add(write("k2", 500, "gcp", "id2"));
        Checker.Result ownOnly = new Checker(new Checker.Config(true, 0, 50).strictEdge()).check(new Checker.Input(
                History.of(apiOnly, List.of(), List.of()), WriterTimeline.of("gcp", 1, List.of()),
                List.of(new DbSnapshot("gcp", true, "primary", rows)), "gcp"));
        assertThat(ownOnly.anomalies()).as("the API's own 503s are not the edge's").isEmpty();
        assertThat(ownOnly.edgeMade503s()).isZero();
    }
}
