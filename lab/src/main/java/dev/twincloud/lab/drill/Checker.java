package dev.twincloud.lab.drill;

import dev.twincloud.lab.drill.Anomaly.Kind;
import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Judges one run: a pure function of the client history, the writer timeline (the arbiter's
 * promotions), the final database state on every site, and the databases of deposed writers as they
 * were <em>before</em> they re-joined (their commits are evidence a rewind would erase). No I/O, no clock.
 *
 * <ul>
 *   <li>{@code LOST_WRITE} (sync): an acknowledged key (an API write, or a {@code COMMIT} a database
 *       answered) is not in the final writer's database;</li>
 *   <li>{@code DUPLICATE}: a key stored more than once on a site, stored under another id than the
 *       one acknowledged, or acknowledged with two different ids;</li>
 *   <li>{@code SPLIT_BRAIN}: a row (final, or on a deposed writer before it re-joined) whose
 *       {@code written_site} was not the writer at its commit time; or a write acknowledged — by the
 *       API, or a {@code COMMIT} answered by a database — by a site that was not the writer at any time
 *       while it was in flight; or a {@code COMMIT} answered OK after the site's own lease had ended by
 *       its database's clock (docs/design.md rule 1, seen even when nobody was promoted);</li>
 *   <li>{@code STALE_READ}: a read answered with {@code Twincloud-Role: writer} by a site that was not
 *       the writer during the read; a read answered with {@code Twincloud-Role: standby} whose
 *       {@code Twincloud-Staleness-Ms} is missing or above the configured bound; (sync) a 404 for a key
 *       acknowledged before the read was sent, from a site answering as the writer (or, without the
 *       role header, from the writer of the whole read), or from a standby for a key acknowledged
 *       longer ago than the staleness it stated;</li>
 *   <li>{@code READ_YOUR_WRITES} (sync, read-local; reads that sent {@code Twincloud-Min-Lsn}, as with
 *       {@code MONOTONIC_READ}): a client's read of a key it had itself acknowledged answered 404
 *       (whatever the site and role: with {@code Twincloud-Min-Lsn} every site must show it or forward); or a
 *       successful read whose {@code Twincloud-Lsn} is below the {@code Twincloud-Min-Lsn} the client sent;</li>
 *   <li>{@code MONOTONIC_READ} (sync, read-local): a client's successful read whose {@code Twincloud-Lsn} is below one
 *       of its earlier successful reads'. Both LSN checks compare positions of one writer timeline only: no promotion
 *       may lie within {@link #TIMELINE_WINDOW_MS} before the earlier position was seen up to the later read (a
 *       promotion starts a new timeline, and a writer's conservative {@code pg_current_wal_lsn()} or a deposed
 *       writer's answers may be past the new timeline's start without showing more data); the 404 check has no
 *       such exception. Without a known writer timeline the LSN checks are skipped (a note says so);</li>
 *   <li>{@code ASYNC_LOSS_OVER_BOUND} (async): lost acknowledged bytes above the configured bound;</li>
 *   <li>{@code EDGE_UNAVAILABLE} (only with {@link Config#edgeMade503IsAnAnomaly}, scenario {@code load}):
 *       a 503 the edge made itself ({@code Twincloud-Edge}: no healthy backend) — the API's own 503s do
 *       not count. Every run counts them ({@link Result#edgeMade503s}).</li>
 * </ul>
 */
public final class Checker {

    /**
     * @param sync          sync mode (no loss allowed, read-your-writes promised)
     * @param lossBoundBytes async mode: the most acknowledged bytes a failover may lose
     * @param toleranceMs   clock tolerance between commit timestamps / client times and the arbiter's event times
     * @param stalenessBoundMs the most a standby may lag behind and still serve reads (what the API is configured with)
     */
    public record Config(boolean sync, long lossBoundBytes, double toleranceMs, long stalenessBoundMs,
                         boolean edgeMade503IsAnAnomaly) {
        public Config(boolean sync, long lossBoundBytes, double toleranceMs) {
            this(sync, lossBoundBytes, toleranceMs, DEFAULT_STALENESS_BOUND_MS);
        }

        public Config(boolean sync, long lossBoundBytes, double toleranceMs, long stalenessBoundMs) {
            this(sync, lossBoundBytes, toleranceMs, stalenessBoundMs, false);
        }

        /** The same, where an edge-made 503 is an anomaly (no fault may take the writer away). */
        public Config strictEdge() {
            return new Config(sync, lossBoundBytes, toleranceMs, stalenessBoundMs, true);
        }
    }

    /**
     * LSNs are compared only within one writer timeline: a promotion from this long before the earlier position was
     * seen up to the later read puts them on different timelines (it covers a deposed writer answering until its lease
     * ends, the lab's lease ttl plus margin being well under it).
     */
    public static final double TIMELINE_WINDOW_MS = 10_000;

    /** The staleness bound assumed when none is configured: the API's default {@code twincloud.api.reads.max-staleness}. */
    public static final long DEFAULT_STALENESS_BOUND_MS = 1000;

    /**
     * @param snapshots    every site's database at the end
     * @param beforeRejoin deposed writers' databases read after the fault and before they re-joined
     */
    public record Input(History history, WriterTimeline timeline, List<DbSnapshot> snapshots, String finalWriter,
                        List<DbSnapshot> beforeRejoin) {
        public Input(History history, WriterTimeline timeline, List<DbSnapshot> snapshots, String finalWriter) {
            this(history, timeline, snapshots, finalWriter, List.of());
        }
    }

    /**
     * @param notes what could not be checked, and why
     */
    public record Result(List<Anomaly> anomalies, int ackedWrites, int unknownWrites, int lostWrites, long lostBytes,
                         List<String> notes, int edgeMade503s) {
        public Result(List<Anomaly> anomalies, int ackedWrites, int unknownWrites, int lostWrites, long lostBytes,
                      List<String> notes) {
            this(anomalies, ackedWrites, unknownWrites, lostWrites, lostBytes, notes, 0);
        }

        public boolean clean() {
            return anomalies.isEmpty();
        }

        public long count(Kind k) {
            return anomalies.stream().filter(a -> a.kind() == k).count();
        }
    }

    private final Config config;

    public Checker(Config config) {
        this.config = config;
    }

    /** Reads answered 2xx and reads sent through one entry, over a run. */
    public record ReadAvailability(String entry, long answered, long sent) {
        public double ratio() {
            return sent == 0 ? Double.NaN : (double) answered / sent;
        }

        @Override
        public String toString() {
            return String.format(java.util.Locale.ROOT, "%s %.3f%% (%d/%d)", entry, 100 * ratio(), answered, sent);
        }
    }

    /**
     * Read availability per entry ({@link Op#entry()}): reads answered 2xx over reads sent, every read a client sent
     * through that entry counted once (a read without any answer counts as sent, not answered); ops without an entry
     * (the direct readers, transactions) are left out. Sorted by entry name.
     */
    public static List<ReadAvailability> readAvailability(List<Op> ops) {
        Map<String, long[]> by = new java.util.TreeMap<>();
        for (Op op : ops) {
            if (op.type() != OpType.READ || op.entry().isEmpty()) {
                continue;
            }
            long[] c = by.computeIfAbsent(op.entry(), e -> new long[2]);
            c[1]++;
            if (op.status() / 100 == 2) {
                c[0]++;
            }
        }
        List<ReadAvailability> out = new ArrayList<>();
        by.forEach((entry, c) -> out.add(new ReadAvailability(entry, c[0], c[1])));
        return out;
    }

    /** An LSN as a number, or -1 when absent or unreadable. */
    private static long lsn(String text) {
        if (text == null || text.isEmpty()) {
            return -1;
        }
        try {
            return dev.twincloud.lab.backup.Lsn.parse(text);
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** Whether a promotion lies in {@code [from, to]}: two LSNs seen around it belong to different timelines. */
    private static boolean promotionIn(WriterTimeline timeline, double from, double to) {
        return timeline.periods().stream().skip(1).anyMatch(p -> p.fromMs() >= from && p.fromMs() <= to);
    }

    private record Seen(long lsn, double atMs) {
    }

    /** Read-your-writes and monotonic reads, client by client (each client's ops in the order it sent them). */
    private void readLocal(List<Op> ops, WriterTimeline timeline, List<Anomaly> found, List<String> notes) {
        boolean lsnsSeen = false;
        Map<Integer, List<Op>> byClient = new java.util.TreeMap<>();
        for (Op op : ops) {
            if (op.type() != OpType.TXN) {
                byClient.computeIfAbsent(op.client(), c -> new ArrayList<>()).add(op);
            }
        }
        for (Map.Entry<Integer, List<Op>> e : byClient.entrySet()) {
            Map<String, Double> ownAcked = new HashMap<>();
            // every successful answer's LSN this client saw, with when it saw it (for the Min-Lsn it sent later)
            List<Seen> seen = new ArrayList<>();
            long lastRead = -1;
            double lastReadAt = Double.NaN;
            for (Op op : e.getValue()) {
                long l = op.status() / 100 == 2 ? lsn(op.lsn()) : -1;
                if (op.type() == OpType.WRITE) {
                    if (op.ok()) {
                        ownAcked.merge(op.key(), op.completeMs(), Math::min);
                    }
                } else if (op.status() != 0 && !op.minLsn().isEmpty()) {
                    // only a read that asked for them (it sent Twincloud-Min-Lsn) is held to these promises: the drill's
                    // direct reader, which asks each site in turn without one, is judged by STALE_READ alone
                    String who = "client " + op.client() + " read " + op.id() + " (key " + op.key() + ") from " + op.site()
                            + (op.entry().isEmpty() ? "" : " through " + op.entry());
                    Double ackedAt = ownAcked.get(op.key());
                    if (op.status() == 404 && ackedAt != null && ackedAt < op.invokeMs()) {
                        found.add(new Anomaly(Kind.READ_YOUR_WRITES, who + String.format(" at %.0f ms: 404 for its own write acknowledged "
                                + "at %.0f ms", op.invokeMs(), ackedAt) + (op.minLsn().isEmpty() ? "" : " (Min-Lsn " + op.minLsn() + ")"),
                                op.invokeMs()));
                    }
                    if (l >= 0 && timeline.known()) {
                        lsnsSeen = true;
                        long min = lsn(op.minLsn());
                        if (min >= 0 && l < min) {
                            double learnedAt = seen.stream().filter(x -> x.lsn() >= min).mapToDouble(Seen::atMs).min().orElse(0);
                            if (!promotionIn(timeline, learnedAt - TIMELINE_WINDOW_MS, op.completeMs() + config.toleranceMs())) {
                                found.add(new Anomaly(Kind.READ_YOUR_WRITES, who + String.format(" at %.0f ms: Twincloud-Lsn %s below the "
                                        + "Min-Lsn %s it sent", op.invokeMs(), op.lsn(), op.minLsn()), op.invokeMs()));
                            }
                        }
                        if (lastRead >= 0 && l < lastRead
                                && !promotionIn(timeline, lastReadAt - TIMELINE_WINDOW_MS, op.completeMs() + config.toleranceMs())) {
                            found.add(new Anomaly(Kind.MONOTONIC_READ, who + String.format(" at %.0f ms: Twincloud-Lsn %s, behind %s of its "
                                    + "read answered at %.0f ms", op.invokeMs(), op.lsn(), dev.twincloud.lab.backup.Lsn.format(lastRead),
                                    lastReadAt), op.invokeMs()));
                        }
                        if (l > lastRead) {
                            lastRead = l;
                            lastReadAt = op.completeMs();
                        }
                    }
                }
                if (l >= 0) {
                    seen.add(new Seen(l, op.completeMs()));
                }
            }
        }
        if (!timeline.known() && ops.stream().anyMatch(o -> !o.lsn().isEmpty())) {
            notes.add("no writer timeline: Twincloud-Lsn not compared (read-your-writes by LSN, monotonic reads not checked)");
        } else if (lsnsSeen) {
            notes.add("read-local: Twincloud-Lsn compared per client (read-your-writes, monotonic reads)");
        }
    }

    public Result check(Input in) {
        List<Anomaly> found = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<Op> ops = in.history().ops();

        // acknowledged keys: the first ack (time, id, bytes); two ids for one key is a duplicate effect
        Map<String, Op> firstAck = new LinkedHashMap<>();
        Map<String, Set<String>> ackedIds = new HashMap<>();
        Set<String> unknown = new LinkedHashSet<>();
        for (Op op : ops) {
            if (!op.isWrite()) {
                continue;
            }
            if (op.ok()) {
                firstAck.merge(op.key(), op, (a, b) -> a.completeMs() <= b.completeMs() ? a : b);
                ackedIds.computeIfAbsent(op.key(), k -> new LinkedHashSet<>()).add(op.id());
            } else if (op.outcome() == History.Outcome.INFO) {
                unknown.add(op.key());
            }
        }
        unknown.removeAll(firstAck.keySet());
        ackedIds.forEach((key, ids) -> {
            if (ids.size() > 1) {
                found.add(new Anomaly(Kind.DUPLICATE, "key " + key + " acknowledged with " + ids.size() + " ids " + ids,
                        firstAck.get(key).completeMs()));
            }
        });

        // every site: a key at most once; rows committed only by the writer of the moment; the same on
        // the deposed writers' databases as they were before they re-joined
        Set<String> seen = new java.util.HashSet<>();
        List<DbSnapshot> all = new ArrayList<>(in.snapshots());
        all.addAll(in.beforeRejoin());
        for (DbSnapshot s : all) {
            boolean early = in.beforeRejoin().contains(s) && !in.snapshots().contains(s);
            String where = s.site() + (early ? " (before it re-joined)" : "");
            if (!s.available()) {
                if (!early) {
                    notes.add(s.site() + ": database not readable at the end; not checked there");
                }
                continue;
            }
            Map<String, List<DbSnapshot.Row>> byKey = new HashMap<>();
            for (DbSnapshot.Row r : s.rows()) {
                byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
                if (in.timeline().known() && !Double.isNaN(r.commitMs()) && r.writtenSite() != null
                        && !in.timeline().writerSometimeIn(r.writtenSite(), r.commitMs() - config.toleranceMs(),
                        r.commitMs() + config.toleranceMs())
                        && seen.add("split:" + s.site() + ":" + r.id())) {
                    String writer = in.timeline().at(r.commitMs()).map(p -> p.site() + " (epoch " + p.epoch() + ")").orElse("?");
                    found.add(new Anomaly(Kind.SPLIT_BRAIN, "on " + where + ": row " + r.id() + " (key " + r.key()
                            + ") committed by " + r.writtenSite() + String.format(" at %.0f ms", r.commitMs())
                            + " while the writer was " + writer, r.commitMs()));
                }
            }
            byKey.forEach((key, rows) -> {
                if (rows.size() > 1 && seen.add("dup:" + s.site() + ":" + key + ":" + rows.size())) {
                    found.add(new Anomaly(Kind.DUPLICATE, "on " + where + ": key " + key + " stored " + rows.size()
                            + " times " + rows.stream().map(DbSnapshot.Row::id).toList(), Optional.ofNullable(firstAck.get(key))
                            .map(Op::completeMs).orElse(0.0)));
                }
            });
        }

        // acknowledged writes on the final writer
        int lost = 0;
        long lostBytes = 0;
        Optional<DbSnapshot> writer = in.snapshots().stream().filter(s -> s.site().equals(in.finalWriter()) && s.available()).findFirst();
        if (writer.isEmpty()) {
            notes.add("final writer " + in.finalWriter() + ": database not readable; acknowledged writes not checked");
        } else {
            Map<String, DbSnapshot.Row> stored = new HashMap<>();
            writer.get().rows().forEach(r -> stored.putIfAbsent(r.key(), r));
            for (Op ack : firstAck.values()) {
                DbSnapshot.Row r = stored.get(ack.key());
                if (r == null) {
                    lost++;
                    lostBytes += ack.bytes();
                    if (config.sync()) {
                        String evidence = in.beforeRejoin().stream().filter(DbSnapshot::available)
                                .filter(b -> b.rows().stream().anyMatch(x -> x.key().equals(ack.key())))
                                .map(b -> "; it was on " + b.site() + " before " + b.site() + " re-joined (discarded)")
                                .findFirst().orElse("");
                        found.add(new Anomaly(Kind.LOST_WRITE, "key " + ack.key() + " (id " + ack.id() + ") acknowledged by "
                                + (ack.type() == OpType.TXN ? "a COMMIT on " : "") + ack.site()
                                + String.format(" at %.0f ms", ack.completeMs()) + " is not on the writer "
                                + in.finalWriter() + evidence, ack.completeMs()));
                    }
                } else if (ack.id() != null && !ack.id().equals(r.id())) {
                    found.add(new Anomaly(Kind.DUPLICATE, "key " + ack.key() + " acknowledged as " + ack.id() + " but stored as "
                            + r.id(), ack.completeMs()));
                }
            }
            if (!config.sync() && lostBytes > config.lossBoundBytes()) {
                found.add(new Anomaly(Kind.ASYNC_LOSS_OVER_BOUND, lost + " acknowledged writes (" + lostBytes
                        + " bytes) lost, bound " + config.lossBoundBytes() + " bytes", 0));
            }
        }

        // acknowledgements (API writes, COMMITs answered by a database) only from the writer of the moment
        for (Op op : ops) {
            if (op.isWrite() && op.ok() && !op.site().isEmpty() && !op.replayed()
                    && !in.timeline().writerSometimeIn(op.site(), op.invokeMs() - config.toleranceMs(),
                    op.completeMs() + config.toleranceMs())) {
                String what = op.type() == OpType.TXN
                        ? "COMMIT of a transaction straight on " + op.site() + "'s database (key " + op.key() + ") answered OK"
                        : "key " + op.key() + " acknowledged by " + op.site();
                found.add(new Anomaly(Kind.SPLIT_BRAIN, what + String.format(" in [%.0f, %.0f] ms", op.invokeMs(), op.completeMs())
                        + ", when it was not the writer" + in.timeline().at(op.invokeMs())
                        .map(p -> " (" + p.site() + " was, epoch " + p.epoch() + ")").orElse(""), op.invokeMs()));
            }
        }

        // docs/design.md rule 1 by the database's own clock: no transaction commits after its site's lease ended
        for (Op op : ops) {
            if (op.type() == OpType.TXN && op.ok() && !Double.isNaN(op.leaseLeftMs()) && op.leaseLeftMs() < -config.toleranceMs()) {
                found.add(new Anomaly(Kind.SPLIT_BRAIN, "COMMIT of a transaction straight on " + op.site() + "'s database (key "
                        + op.key() + String.format(") answered OK at %.0f ms: committed %.0f ms after its lease ended",
                        op.completeMs(), -op.leaseLeftMs()) + " (by the database's clock)", op.invokeMs()));
            }
        }

        // reads: the role a site claims, the staleness it states, read-your-writes
        for (Op op : ops) {
            if (op.type() != OpType.READ || op.status() == 0) {
                continue;
            }
            Op ack = firstAck.get(op.key());
            boolean ackedBefore = ack != null && ack.completeMs() < op.invokeMs();
            boolean notFound = op.status() == 404;
            String who = "client " + op.client() + " read " + op.id() + " (key " + op.key() + ") from " + op.site();
            switch (op.role()) {
                case "writer" -> {
                    if (op.status() < 500 && !in.timeline().writerSometimeIn(op.site(), op.invokeMs() - config.toleranceMs(),
                            op.completeMs() + config.toleranceMs())) {
                        found.add(new Anomaly(Kind.STALE_READ, who + String.format(" at %.0f ms: answered %d as the writer",
                                op.invokeMs(), op.status()) + in.timeline().at(op.invokeMs())
                                .map(p -> " while " + p.site() + " was (epoch " + p.epoch() + ")").orElse(""), op.invokeMs()));
                    } else if (config.sync() && notFound && ackedBefore) {
                        found.add(new Anomaly(Kind.STALE_READ, who + String.format(" (as the writer) at %.0f ms: 404, acknowledged at %.0f ms",
                                op.invokeMs(), ack.completeMs()), op.invokeMs()));
                    }
                }
                case "standby" -> {
                    if (op.status() >= 500) {
                        continue;
                    }
                    if (op.stalenessMs() < 0 || op.stalenessMs() > config.stalenessBoundMs()) {
                        found.add(new Anomaly(Kind.STALE_READ, who + String.format(" at %.0f ms: answered %d as a standby ", op.invokeMs(),
                                op.status()) + (op.stalenessMs() < 0 ? "without Twincloud-Staleness-Ms"
                                : "with staleness " + (op.stalenessMs() == Long.MAX_VALUE ? "unreadable" : op.stalenessMs() + " ms"))
                                + ", bound " + config.stalenessBoundMs() + " ms", op.invokeMs()));
                    } else if (config.sync() && notFound && ack != null
                            && ack.completeMs() < op.invokeMs() - op.stalenessMs() - config.toleranceMs()) {
                        found.add(new Anomaly(Kind.STALE_READ, who + String.format(" (as a standby, staleness %d ms) at %.0f ms: 404, "
                                + "acknowledged at %.0f ms", op.stalenessMs(), op.invokeMs(), ack.completeMs()), op.invokeMs()));
                    }
                }
                default -> {
                    // no role header (an API without the read fence): read-your-writes from the writer of the whole read
                    if (config.sync() && notFound && ackedBefore && in.timeline().writerThroughout(op.site(), op.invokeMs(), op.completeMs())) {
                        found.add(new Anomaly(Kind.STALE_READ, who + String.format(" (the writer) at %.0f ms: 404, acknowledged at %.0f ms",
                                op.invokeMs(), ack.completeMs()), op.invokeMs()));
                    }
                }
            }
        }
        if (config.sync()) {
            readLocal(ops, in.timeline(), found, notes);
        }
        found.sort(java.util.Comparator.comparingDouble(Anomaly::atMs));
        // answers the edge made itself (no healthy backend), told from the API's own 503s by Twincloud-Edge
        List<Op> edgeMade = ops.stream().filter(Op::edgeMade503).toList();
        if (config.edgeMade503IsAnAnomaly() && !edgeMade.isEmpty()) {
            Op first = edgeMade.getFirst();
            found.add(new Anomaly(Kind.EDGE_UNAVAILABLE, edgeMade.size() + " answer(s) 503 made by the edge itself ("
                    + first.detail().substring(DrillClient.EDGE_MADE.length()) + "), the first to client " + first.client()
                    + " at " + Math.round(first.completeMs()) + " ms; the API's own 503s are not counted",
                    first.completeMs()));
        }
        return new Result(List.copyOf(found), firstAck.size(), unknown.size(), lost, lostBytes, List.copyOf(notes),
                edgeMade.size());
    }
}
