package dev.twincloud.lab.drill;

import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import java.util.Comparator;
import java.util.List;

/**
 * The figures of one run, in ms unless named otherwise; NaN where a figure does not apply.
 *
 * @param rtoMs           unplanned RTO: first fault to the first write acknowledged through the edge by another site
 * @param writeUnavailMs  longest time without an acknowledged write, from the first fault to the end
 * @param writeOutageMs   longest time in which writes failed: from a write attempt that was refused or went
 *                        unanswered to the next acknowledged write; 0 when every write after the fault was
 *                        acknowledged (then the gap above is slowness, not refusal)
 * @param readUnavailMs   the same for successful reads
 * @param rejoinMs        heal to the other site reporting STANDBY
 * @param inSyncMs        heal to the steady state (standby in sync and eligible again, edge on the writer)
 * @param standbyUsersReadsOk reads answered 2xx of those sent through the other site's home entry ({@code --active-active}):
 *                        the users of the site that was the standby when the run began (issue 15's "reads from the standby
 *                        site keep answering through a writer failover"); 0 of 0 without home entries
 * @param standbyUsersReads reads sent through that entry
 */
public record RunFigures(double rtoMs, double writeUnavailMs, double writeOutageMs, double readUnavailMs, int failovers, int expectedMinFailovers,
                         int expectedMaxFailovers, int lostWrites, long lostBytes, double rejoinMs, double inSyncMs,
                         int writesAcked, int writeAttemptsFailed, int writesUnknown, int readsOk, int readsFailed,
                         int standbyUsersReadsOk, int standbyUsersReads) {

    /** Pure: from the history, the run's promotions and the checker's loss accounting. */
    public static RunFigures measure(History h, double faultAtMs, double healAtMs, double endMs, String initialWriter,
                                     boolean measureRto, int minFailovers, int maxFailovers, int promotions,
                                     Checker.Result check) {
        // the figures are the edge's clients': reads straight from a site's API and transactions straight on a database are not
        List<Op> ops = h.ops().stream().filter(o -> o.client() >= 0 && o.client() < Workload.DIRECT_CLIENT_BASE).toList();
        double rto = Double.NaN;
        if (measureRto) {
            rto = ops.stream().filter(o -> o.type() == OpType.WRITE && o.ok() && o.invokeMs() >= faultAtMs
                            && !o.site().isEmpty() && !o.site().equals(initialWriter))
                    .mapToDouble(Op::completeMs).min().orElse(Double.NaN) - faultAtMs;
        }
        double rejoin = Double.NaN;
        double inSync = Double.NaN;
        for (History.RoleSample s : h.samples()) {
            if (s.atMs() < healAtMs) {
                continue;
            }
            if (Double.isNaN(rejoin) && s.standbyFollows()) {
                rejoin = s.atMs() - healAtMs;
            }
            if (Double.isNaN(inSync) && s.steady()) {
                inSync = s.atMs() - healAtMs;
            }
        }
        List<Checker.ReadAvailability> standbyUsers = standbyUsersReads(h, initialWriter);
        return new RunFigures(rto, longestGap(ops, OpType.WRITE, faultAtMs, endMs), longestOutage(ops, faultAtMs, endMs),
                longestGap(ops, OpType.READ, faultAtMs, endMs),
                promotions, minFailovers, maxFailovers, check.lostWrites(), check.lostBytes(), rejoin, inSync,
                check.ackedWrites(),
                (int) ops.stream().filter(o -> o.type() == OpType.WRITE && o.outcome() == History.Outcome.FAIL).count(),
                check.unknownWrites(),
                (int) ops.stream().filter(o -> o.type() == OpType.READ && o.ok()).count(),
                (int) ops.stream().filter(o -> o.type() == OpType.READ && !o.ok()).count(),
                (int) standbyUsers.stream().mapToLong(Checker.ReadAvailability::answered).sum(),
                (int) standbyUsers.stream().mapToLong(Checker.ReadAvailability::sent).sum());
    }

    /** {@link Checker#readAvailability} of every home entry but the initial writer's. */
    private static List<Checker.ReadAvailability> standbyUsersReads(History h, String initialWriter) {
        if (initialWriter.isEmpty()) {
            return List.of(); // the arbiter did not answer before the run: no standby to name
        }
        String writersEntry = dev.twincloud.lab.supervisor.Lab.homeEntry(dev.twincloud.core.protocol.SiteId.of(initialWriter));
        return Checker.readAvailability(h.ops()).stream().filter(a -> !a.entry().equals(writersEntry)).toList();
    }

    /**
     * The longest stretch in which writes failed: each write that was not acknowledged, invoked in
     * {@code [from, to]}, opens an outage at its invocation that lasts to the first acknowledged write
     * completing after its own answer (or {@code to}); overlapping outages merge.
     */
    static double longestOutage(List<Op> ops, double from, double to) {
        double[] acked = ops.stream().filter(o -> o.type() == OpType.WRITE && o.ok()).mapToDouble(Op::completeMs).sorted().toArray();
        List<double[]> spans = ops.stream()
                .filter(o -> o.type() == OpType.WRITE && !o.ok() && o.invokeMs() >= from && o.invokeMs() <= to)
                .map(o -> new double[] {o.invokeMs(), firstAfter(acked, o.completeMs(), to)})
                .sorted(Comparator.comparingDouble(a -> a[0])).toList();
        double longest = 0;
        double start = Double.NaN;
        double end = Double.NaN;
        for (double[] span : spans) {
            if (Double.isNaN(start) || span[0] > end) {
                start = span[0];
                end = span[1];
            } else {
                end = Math.max(end, span[1]);
            }
            longest = Math.max(longest, end - start);
        }
        return longest;
    }

    private static double firstAfter(double[] sorted, double t, double otherwise) {
        for (double x : sorted) {
            if (x > t) {
                return Math.min(x, otherwise);
            }
        }
        return otherwise;
    }

    /** The longest stretch of {@code [from, to]} without a successful operation of {@code type} completing. */
    static double longestGap(List<Op> ops, OpType type, double from, double to) {
        double last = from;
        double gap = 0;
        for (double t : ops.stream().filter(o -> o.type() == type && o.ok() && o.completeMs() >= from && o.completeMs() <= to)
                .mapToDouble(Op::completeMs).sorted().toArray()) {
            gap = Math.max(gap, t - last);
            last = t;
        }
        return Math.max(gap, to - last);
    }
}
