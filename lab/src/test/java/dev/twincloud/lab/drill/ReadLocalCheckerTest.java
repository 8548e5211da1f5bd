package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.drill.Anomaly.Kind;
import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import dev.twincloud.lab.drill.History.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The read-local promises on hand-made histories of an active-active run (clients on the home entries edge-gcp and
 * edge-aws, sending Twincloud-Min-Lsn): read-your-writes and monotonic reads, each anomaly planted and caught, the legal
 * histories clean, across the failover from gcp (epoch 1) to aws (epoch 2) at 1000 ms too; and read availability per entry.
 */
class ReadLocalCheckerTest {

    static final Checker SYNC = CheckerTest.SYNC;

    static Op write(int client, String key, double at, String site, String lsn, String entry) {
        return new Op(client, OpType.WRITE, key, at, at + 10, Outcome.OK, 201, site, "id-" + key, 1, 200, 1, false, "", -1, "",
                Double.NaN, "rq-" + key, lsn, "", entry);
    }

    static Op read(int client, String key, double at, String site, int status, String role, String lsn, String minLsn, String entry) {
        return new Op(client, OpType.READ, key, at, at + 5, status == 200 ? Outcome.OK : status == 0 ? Outcome.INFO : Outcome.FAIL, status,
                site, "id-" + key, 1, 0, 1, false, role, role.equals("standby") ? 20 : role.isEmpty() ? -1 : 0, "", Double.NaN,
                "rq", lsn, minLsn, entry);
    }

    static Checker.Result check(Checker c, List<Op> ops, WriterTimeline timeline) {
        List<DbSnapshot.Row> rows = ops.stream().filter(o -> o.type() == OpType.WRITE && o.ok())
                .map(o -> new DbSnapshot.Row(o.key(), o.id(), o.site(), o.completeMs() - 5, 200)).distinct().toList();
        return c.check(new Checker.Input(History.of(ops, List.of(), List.of()), timeline,
                List.of(new DbSnapshot("aws", true, "primary", rows), new DbSnapshot("gcp", true, "standby", rows)), "aws"));
    }

    static Checker.Result check(List<Op> ops) {
        return check(SYNC, ops, CheckerTest.FAILOVER_AT_1000);
    }

    /**
     * gcp's user (client 0) writes on gcp and reads there; aws's user (client 1) writes through aws (forwarded to gcp, the
     * answer's site gcp) and reads its write back on the aws standby once replayed; after the failover to aws both read
     * on the new timeline, whose positions start below what they saw on the old one.
     */
    static List<Op> legal() {
        return new ArrayList<>(List.of(
                write(0, "k1", 100, "gcp", "0/1000", "edge-gcp"),
                // the writer answers its pg_current_wal_lsn(): past client 1's write too (conservative)
                read(0, "k1", 200, "gcp", 200, "writer", "0/1030", "0/1000", "edge-gcp"),
                write(1, "k2", 150, "gcp", "0/1020", "edge-aws"),
                read(1, "k2", 300, "aws", 200, "standby", "0/1020", "0/1020", "edge-aws"),
                read(1, "k1", 320, "aws", 200, "standby", "0/1020", "0/1020", "edge-aws"),
                // the standby could not reach the Min-Lsn in time and the writer was away: refused, not stale
                read(1, "k2", 400, "aws", 503, "standby", "", "0/1020", "edge-aws"),
                // another client's key (a STALE_READ matter, not a read-local one)
                read(0, "k2", 500, "gcp", 404, "writer", "", "0/1030", "edge-gcp"),
                // after the failover at 1000: aws's timeline starts at its replay position, below gcp's last
                read(0, "k1", 1500, "aws", 200, "writer", "0/1018", "0/1030", "edge-gcp"),
                read(1, "k2", 1600, "aws", 200, "writer", "0/1019", "0/1020", "edge-aws"),
                write(0, "k3", 1700, "aws", "0/1040", "edge-gcp"),
                read(0, "k3", 1800, "aws", 200, "writer", "0/1040", "0/1040", "edge-gcp"),
                read(0, "k3", 30_000, "gcp", 200, "standby", "0/1050", "0/1040", "edge-gcp"),
                read(0, "k1", 30_100, "gcp", 200, "standby", "0/1050", "0/1050", "edge-gcp")));
    }

    @Test
    void legalHistoriesIncludingAcrossAFailoverPass() {
        List<Op> ops = legal();
        ops.removeIf(o -> o.status() == 404); // a 404 for another client's key is the STALE_READ rules' business, not these
        Checker.Result r = check(ops);
        assertThat(r.anomalies()).isEmpty();
        assertThat(r.notes()).anyMatch(n -> n.contains("Twincloud-Lsn compared per client"));
    }

    @Test
    void anotherClientsKeyNotFoundIsNoReadYourWritesViolation() {
        Checker.Result r = check(legal());
        assertThat(r.count(Kind.READ_YOUR_WRITES)).isZero();
        assertThat(r.count(Kind.MONOTONIC_READ)).isZero();
    }

    @Test
    void aClientsOwnAcknowledgedKeyNotFoundIsCaughtOnAnySiteAndAcrossAFailover() {
        List<Op> ops = legal();
        ops.add(read(1, "k2", 700, "aws", 404, "standby", "0/1020", "0/1020", "edge-aws")); // its own write, before the failover
        ops.add(read(0, "k1", 2500, "aws", 404, "writer", "0/1060", "0/1040", "edge-gcp")); // its own write, after it
        Checker.Result r = check(ops);
        assertThat(r.count(Kind.READ_YOUR_WRITES)).isEqualTo(2);
        assertThat(r.anomalies()).filteredOn(a -> a.kind() == Kind.READ_YOUR_WRITES)
                .anyMatch(a -> a.detail().contains("client 1 read id-k2") && a.detail().contains("404 for its own write"))
                .anyMatch(a -> a.detail().contains("client 0 read id-k1") && a.detail().contains("through edge-gcp"));
    }

    @Test
    void aReadBelowTheMinLsnItWasSentWithIsCaught() {
        List<Op> ops = legal();
        ops.add(read(1, "k1", 350, "aws", 200, "standby", "0/1008", "0/1020", "edge-aws"));
        Checker.Result r = check(ops);
        assertThat(r.count(Kind.READ_YOUR_WRITES)).isEqualTo(1);
        assertThat(r.anomalies()).anyMatch(a -> a.detail().contains("Twincloud-Lsn 0/1008 below the Min-Lsn 0/1020"));
    }

    @Test
    void successiveReadsGoingBackwardsAreCaughtButNotAcrossAPromotion() {
        List<Op> ops = legal();
        // long after the failover, no promotion near: client 0 saw 0/1050 at 30 100 ms, then sends an older
        // Min-Lsn (say its cookie was lost) and is answered from behind what it saw
        ops.add(read(0, "k3", 30_200, "aws", 200, "writer", "0/1048", "0/1000", "edge-gcp"));
        Checker.Result r = check(ops);
        assertThat(r.count(Kind.MONOTONIC_READ)).isEqualTo(1);
        assertThat(r.anomalies()).anyMatch(a -> a.kind() == Kind.MONOTONIC_READ && a.detail().contains("0/1048, behind 0/1050"));
        // the same step back right across the promotion is two timelines, not an anomaly (legal() has it: 0/1030 -> 0/1018)
        assertThat(check(legal().stream().filter(o -> o.status() != 404).toList()).count(Kind.MONOTONIC_READ)).isZero();
    }

    @Test
    void withoutAWriterTimelineTheLsnsAreNotComparedButTheOwn404IsStillCaught() {
        List<Op> ops = legal();
        ops.add(read(0, "k3", 30_200, "aws", 200, "writer", "0/1048", "0/1000", "edge-gcp"));
        ops.add(read(1, "k2", 700, "aws", 404, "standby", "0/1020", "0/1020", "edge-aws"));
        Checker.Result r = check(SYNC, ops, WriterTimeline.unknown());
        assertThat(r.count(Kind.MONOTONIC_READ)).isZero();
        assertThat(r.count(Kind.READ_YOUR_WRITES)).isEqualTo(1);
        assertThat(r.notes()).anyMatch(n -> n.contains("Twincloud-Lsn not compared"));
    }

    @Test
    void asyncModeMakesNoReadLocalPromise() {
        List<Op> ops = legal();
        ops.add(read(0, "k3", 30_200, "aws", 200, "writer", "0/1048", "0/1000", "edge-gcp"));
        ops.add(read(1, "k2", 700, "aws", 404, "standby", "0/1020", "0/1020", "edge-aws"));
        Checker.Result r = check(new Checker(new Checker.Config(false, 1_000_000, 50)), ops, CheckerTest.FAILOVER_AT_1000);
        assertThat(r.count(Kind.MONOTONIC_READ) + r.count(Kind.READ_YOUR_WRITES)).isZero();
    }

    @Test
    void theStandbySitesUsersAreThoseOfTheHomeEntryThatIsNotTheInitialWriters() {
        List<Op> ops = legal();
        ops.add(read(1, "k2", 800, "", 0, "", "", "0/1020", "edge-aws")); // no answer at all: sent, not answered
        ops.add(read(1000, "k2", 800, "aws", 200, "standby", "", "", "")); // a direct reader: no home entry, not counted
        Checker.Result none = new Checker.Result(List.of(), 0, 0, 0, 0, List.of());
        History h = History.of(ops, List.of(), List.of());
        // as in readAvailabilityIsAnsweredOverSentPerEntry: edge-aws 3 of 5 answered, edge-gcp 5 of 6
        RunFigures gcpWrote = RunFigures.measure(h, 100, 2000, 40_000, "gcp", false, 0, 0, 0, none);
        assertThat(new int[] {gcpWrote.standbyUsersReadsOk(), gcpWrote.standbyUsersReads()}).containsExactly(3, 5);
        RunFigures awsWrote = RunFigures.measure(h, 100, 2000, 40_000, "aws", false, 0, 0, 0, none);
        assertThat(new int[] {awsWrote.standbyUsersReadsOk(), awsWrote.standbyUsersReads()}).containsExactly(5, 6);
        RunFigures unknown = RunFigures.measure(h, 100, 2000, 40_000, "", false, 0, 0, 0, none);
        assertThat(unknown.standbyUsersReads()).as("no writer known before the run: no standby to name").isZero();
    }

    @Test
    void readAvailabilityIsAnsweredOverSentPerEntry() {
        List<Op> ops = legal();
        ops.add(read(1, "k2", 800, "", 0, "", "", "0/1020", "edge-aws")); // no answer at all: sent, not answered
        ops.add(read(1000, "k2", 800, "aws", 200, "standby", "", "", "")); // a direct reader: no entry, not counted
        List<Checker.ReadAvailability> a = Checker.readAvailability(ops);
        assertThat(a).extracting(Checker.ReadAvailability::entry).containsExactly("edge-aws", "edge-gcp");
        // edge-aws: 300 ok, 320 ok, 400 503, 1600 ok, 800 no answer -> 3/5; edge-gcp: 200, 500 (404), 1500, 1800, 30 000, 30 100 -> 5/6
        assertThat(a.get(0)).isEqualTo(new Checker.ReadAvailability("edge-aws", 3, 5));
        assertThat(a.get(1)).isEqualTo(new Checker.ReadAvailability("edge-gcp", 5, 6));
        assertThat(a.get(0).toString()).isEqualTo("edge-aws 60.000% (3/5)");
    }

    /** A read that sent no Twincloud-Min-Lsn asked for neither promise (the drill's direct reader): judged by STALE_READ alone. */
    @Test
    void aReadWithoutMinLsnIsHeldToNeitherPromise() {
        List<Op> ops = legal();
        ops.add(read(0, "k3", 30_200, "aws", 200, "writer", "0/1048", "", "edge-gcp"));
        assertThat(check(ops).count(Kind.MONOTONIC_READ)).isZero();
    }
}
