package dev.twincloud.lab.drill;

import dev.twincloud.core.decide.ClusterHealth;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.Durability;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the clients of one drill run did and saw, and what the drill did to the system: every client
 * operation (invoke and completion), every fault step, and samples of the arbiter's view. Times are
 * milliseconds since the run began, from {@link System#nanoTime()} (monotonic). Thread-safe to record.
 */
public final class History {
    /** How an operation ended: {@code OK} it happened, {@code FAIL} it certainly did not, {@code INFO} unknown (no answer). */
    public enum Outcome { OK, FAIL, INFO }

    /**
     * {@code WRITE} and {@code READ} through the API; {@code TXN}: a transaction opened straight on a
     * site's database (BEGIN; INSERT a recording with the key in {@code notes}; hold), whose outcome is
     * its {@code COMMIT}'s: OK when the database answered COMMIT, FAIL when it refused, INFO when no
     * answer came. The checker treats an OK {@code TXN} as an acknowledged write of that site.
     */
    public enum OpType { WRITE, READ, TXN }

    /**
     * One client operation.
     *
     * @param client     the client that ran it (one thread; its operations never overlap)
     * @param type       write ({@code POST /v1/ecgs}) or read ({@code GET /v1/ecgs/{id}})
     * @param key        the write's Idempotency-Key (also stored in the recording's {@code notes}); the read's target key
     * @param invokeMs   when the request was sent
     * @param completeMs when the answer (or the failure) came
     * @param outcome    see {@link Outcome}
     * @param status     HTTP status, 0 when there was no answer
     * @param site       the site that served it ({@code X-Twincloud-Site}), empty when none
     * @param id         the recording id (a write's {@code Location}, a read's target)
     * @param epochSeen  the arbiter's epoch last sampled when the operation completed (-1 unknown)
     * @param bytes      a write's payload size: sample bytes (2 per sample)
     * @param attempt    1 for the first send of a key, 2.. for retries with the same key
     * @param replayed   the answer carried {@code Idempotent-Replayed: true}
     * @param role       a read's {@code Twincloud-Role} ({@code writer} or {@code standby}), empty when absent
     * @param stalenessMs a read's {@code Twincloud-Staleness-Ms} (how stale the site says its data may be), -1 when absent
     * @param detail     free text (a TXN's SQLSTATE and message; {@code edge:<reason>} on an answer the edge
     *                   made itself, from its {@code Twincloud-Edge} header), empty when none
     * @param leaseLeftMs a committed TXN: how long the site's lease still had to run when the transaction
     *                    committed, by the database's clock (its {@code twincloud.lease.valid_until}, the
     *                    later of the values read just before the COMMIT and just after, minus the row's
     *                    commit timestamp); negative: committed after the lease ended; NaN when unknown
     * @param requestId  the {@code X-Request-Id} it was sent with: {@code lab logs --request <id>} shows its lines in
     *                   the edge's, the API's and PostgreSQL's logs (docs/logging.md); null when it has none (a TXN)
     * @param lsn        read-local: the answer's {@code Twincloud-Lsn} (a write's commit position, the position a read's
     *                   snapshot reflects), empty when absent
     * @param minLsn     read-local: the {@code Twincloud-Min-Lsn} the client sent (the most it had seen), empty when none
     * @param entry      the entry the client went through ({@code edge} for base+1, {@code edge-gcp} / {@code edge-aws} for
     *                   the home entries of an active-active lab), empty when not recorded
     */
    public record Op(int client, OpType type, String key, double invokeMs, double completeMs, Outcome outcome, int status,
                     String site, String id, long epochSeen, int bytes, int attempt, boolean replayed, String role,
                     long stalenessMs, String detail, double leaseLeftMs, String requestId, String lsn, String minLsn,
                     String entry) {

        public Op {
            lsn = lsn == null ? "" : lsn;
            minLsn = minLsn == null ? "" : minLsn;
            entry = entry == null ? "" : entry;
        }

        public Op(int client, OpType type, String key, double invokeMs, double completeMs, Outcome outcome, int status,
                  String site, String id, long epochSeen, int bytes, int attempt, boolean replayed, String role,
                  long stalenessMs, String detail, double leaseLeftMs, String requestId) {
            this(client, type, key, invokeMs, completeMs, outcome, status, site, id, epochSeen, bytes, attempt, replayed, role,
                    stalenessMs, detail, leaseLeftMs, requestId, "", "", "");
        }

        public Op(int client, OpType type, String key, double invokeMs, double completeMs, Outcome outcome, int status,
                  String site, String id, long epochSeen, int bytes, int attempt, boolean replayed, String role,
                  long stalenessMs, String detail, double leaseLeftMs) {
            this(client, type, key, invokeMs, completeMs, outcome, status, site, id, epochSeen, bytes, attempt, replayed, role,
                    stalenessMs, detail, leaseLeftMs, null);
        }

        public Op(int client, OpType type, String key, double invokeMs, double completeMs, Outcome outcome, int status,
                  String site, String id, long epochSeen, int bytes, int attempt, boolean replayed, String role,
                  long stalenessMs, String detail) {
            this(client, type, key, invokeMs, completeMs, outcome, status, site, id, epochSeen, bytes, attempt, replayed, role,
                    stalenessMs, detail, Double.NaN);
        }

        public Op(int client, OpType type, String key, double invokeMs, double completeMs, Outcome outcome, int status,
                  String site, String id, long epochSeen, int bytes, int attempt, boolean replayed) {
            this(client, type, key, invokeMs, completeMs, outcome, status, site, id, epochSeen, bytes, attempt, replayed, "", -1, "");
        }

        public boolean ok() {
            return outcome == Outcome.OK;
        }

        /** A 503 the edge answered itself ({@code Twincloud-Edge}: no healthy backend), not the API. */
        public boolean edgeMade503() {
            return status == 503 && detail != null && detail.startsWith(DrillClient.EDGE_MADE);
        }

        /** A write through the API or a transaction straight on a database: both may store a row. */
        public boolean isWrite() {
            return type == OpType.WRITE || type == OpType.TXN;
        }
    }

    /** A fault step (or heal) the drill played, e.g. {@code kill writer (gcp)}. */
    public record Mark(double atMs, String label, boolean fault) {
    }

    /**
     * The arbiter's view at one instant (absent while it does not answer).
     *
     * @param async the arbiter's durability mode is ASYNC (the writer then runs PRIMARY_ASYNC for good)
     * @param reportsFresh both sites' last reports arrived within the arbiter's report timeout (their agents run)
     */
    public record RoleSample(double atMs, long epoch, String writer, boolean writerSync, boolean standbyEligible,
                             String writerState, String standbyState, String edgeActive, boolean async, boolean reportsFresh) {

        public RoleSample(double atMs, long epoch, String writer, boolean writerSync, boolean standbyEligible,
                          String writerState, String standbyState, String edgeActive, boolean async) {
            this(atMs, epoch, writer, writerSync, standbyEligible, writerState, standbyState, edgeActive, async, true);
        }

        public RoleSample(double atMs, long epoch, String writer, boolean writerSync, boolean standbyEligible,
                          String writerState, String standbyState, String edgeActive) {
            this(atMs, epoch, writer, writerSync, standbyEligible, writerState, standbyState, edgeActive, false);
        }

        /**
         * Back to normal: the arbiter's side is {@link ClusterHealth#steady} (the standby follows, the writer
         * runs sync with an eligible standby in SYNC mode or async in ASYNC mode) on fresh reports from both
         * agents, and the edge sends traffic to the writer. (In ASYNC mode a dead standby agent changes
         * nothing else: the arbiter keeps its last STANDBY report, so freshness is what tells.)
         */
        public boolean steady() {
            return reportsFresh && ClusterHealth.steady(async ? Durability.ASYNC : Durability.SYNC, standbyEligible,
                    state(writerState), state(standbyState)) && writer.equals(edgeActive);
        }

        /** The standby reported STANDBY: it follows the writer again. */
        public boolean standbyFollows() {
            return state(standbyState).equals(Optional.of(SiteState.STANDBY));
        }

        private static Optional<SiteState> state(String name) {
            return Arrays.stream(SiteState.values()).filter(s -> s.name().equals(name)).findFirst();
        }
    }

    private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Mark> marks = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<RoleSample> samples = new ConcurrentLinkedQueue<>();
    private final long startNanos;

    public History(long startNanos) {
        this.startNanos = startNanos;
    }

    /** A history built by hand (tests, or a report read back). */
    public static History of(List<Op> ops, List<Mark> marks, List<RoleSample> samples) {
        History h = new History(0);
        h.ops.addAll(ops);
        h.marks.addAll(marks);
        h.samples.addAll(samples);
        return h;
    }

    public double now() {
        return (System.nanoTime() - startNanos) / 1e6;
    }

    public double toMs(long nanos) {
        return (nanos - startNanos) / 1e6;
    }

    public void add(Op op) {
        ops.add(op);
    }

    public void mark(String label, boolean fault) {
        marks.add(new Mark(now(), label, fault));
    }

    public void sample(RoleSample s) {
        samples.add(s);
    }

    /** The latest sampled epoch, -1 before the first sample. */
    public long lastEpoch() {
        long e = -1;
        for (RoleSample s : samples) {
            e = s.epoch();
        }
        return e;
    }

    public List<Op> ops() {
        List<Op> l = new ArrayList<>(ops);
        l.sort(Comparator.comparingDouble(Op::invokeMs));
        return l;
    }

    public List<Mark> marks() {
        List<Mark> l = new ArrayList<>(marks);
        l.sort(Comparator.comparingDouble(Mark::atMs));
        return l;
    }

    public List<RoleSample> samples() {
        List<RoleSample> l = new ArrayList<>(samples);
        l.sort(Comparator.comparingDouble(RoleSample::atMs));
        return l;
    }
}
