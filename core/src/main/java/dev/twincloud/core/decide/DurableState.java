package dev.twincloud.core.decide;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the arbiter stores (atomically, fsynced) before it acts on it. Epochs only grow (rule 3).
 *
 * @param epoch           current epoch; the writer of this epoch is the only site that may get leases in it
 * @param writer          the site assigned to write in this epoch
 * @param mode            durability mode
 * @param writerSync      whether the writer's goal is PRIMARY_SYNC (else PRIMARY_ASYNC)
 * @param standbyEligible whether the standby may be promoted automatically. Sync mode: it has had
 *                        every acknowledged commit since the writer last confirmed it in sync; cleared
 *                        before the writer may drop to async. Async mode: the writer's newest report
 *                        showed it streaming within max_lag; cleared (STANDBY_INELIGIBLE) in the
 *                        decision of the first writer report that shows otherwise, before that
 *                        report's lease renewal. Set again only from a writer report newer than the
 *                        last event that could have left the standby behind (docs/design.md rule 7)
 * @param switchover      a planned switchover in progress
 * @param systemId        the PostgreSQL system identifier both sites must share (0 = not yet known)
 * @param leaseEpoch      the epoch of the last lease granted
 * @param leaseReleased   the holder of the {@code leaseEpoch} lease confirmed it fenced itself
 * @param barrier         the eligibility barrier (docs/design.md rule 7): the place of the writer's
 *                        newest report when the last event happened that could have left the standby
 *                        behind (STANDBY_INELIGIBLE, DROP_TO_ASYNC, RESTORE_SYNC, a new epoch, a mode
 *                        change, an aborted switchover); the standby is judged eligible only from a
 *                        writer report after it. {@link ReportOrder#NONE}: the writer's order was not
 *                        known then (an older agent; then reports received after the event count);
 *                        {@link ReportOrder#UNKNOWN}: a state file from before this field, until the
 *                        first ordered writer report sets it to that report's heard place
 * @param heard           per site, a place at or after every report of that site this arbiter (in any
 *                        of its runs) has decided on: stored, before the decision on a report beyond it
 *                        is answered, {@link #HEARD_AHEAD} sequences ahead, so it is written once per
 *                        that many reports rather than on every one. After a restart the barrier is at
 *                        least the writer's place here: a report delivered late, sent before anything
 *                        the previous run saw, cannot make the standby eligible
 */
public record DurableState(
        long epoch,
        SiteId writer,
        Durability mode,
        boolean writerSync,
        boolean standbyEligible,
        Optional<Switchover> switchover,
        long systemId,
        long leaseEpoch,
        boolean leaseReleased,
        ReportOrder barrier,
        Map<SiteId, ReportOrder> heard) {

    /**
     * How far ahead of a site's report its {@link #heard} place is stored: the state is written at most
     * once per this many reports of a site (3.2 s at the reference heartbeat), and after a restart the
     * standby becomes eligible at most this many writer reports later than it otherwise would.
     */
    public static final long HEARD_AHEAD = 32;

    public DurableState {
        // A state file from before the barrier and the heard places: the barrier is unknown, none heard.
        barrier = barrier == null ? ReportOrder.UNKNOWN : barrier;
        heard = heard == null ? Map.of() : Map.copyOf(heard);
    }

    /** Without a barrier and heard places (as a state file from before them loads). */
    public DurableState(long epoch, SiteId writer, Durability mode, boolean writerSync, boolean standbyEligible,
                        Optional<Switchover> switchover, long systemId, long leaseEpoch, boolean leaseReleased) {
        this(epoch, writer, mode, writerSync, standbyEligible, switchover, systemId, leaseEpoch, leaseReleased,
                ReportOrder.NONE, Map.of());
    }

    /** The place stored for {@code site}, {@link ReportOrder#NONE} when none. */
    public ReportOrder heardOf(SiteId site) {
        return heard.getOrDefault(site, ReportOrder.NONE);
    }

    /**
     * A planned switchover in progress.
     *
     * @param startedAt       when the operator asked for it
     * @param writerAt        the place of the old writer's newest report when it started: only a report
     *                        made after the start ({@link #madeAfterStart}) can end the archive wait
     * @param awaitingArchive the old writer is not told to fence yet: it keeps its lease and writes while
     *                        it reports WAL files waiting for its archiver (bounded by
     *                        {@link ArbiterConfig#switchoverArchiveWait()}). Once false it never turns true
     *                        again: the fence, once sent, is never taken back. Absent in a state file from
     *                        before the wait: false (that arbiter fenced at the start)
     * @param fencingSince    since when the old writer is told to fence (the switchover timeout runs from
     *                        here); while awaiting the archive, the start
     */
    public record Switchover(SiteId from, SiteId to, Instant startedAt, ReportOrder writerAt, boolean awaitingArchive,
                             Instant fencingSince) {

        public Switchover {
            writerAt = writerAt == null ? ReportOrder.NONE : writerAt;
            fencingSince = fencingSince == null ? startedAt : fencingSince;
        }

        /** Fencing from the start, without an archive wait (as every switchover did before the wait). */
        public Switchover(SiteId from, SiteId to, Instant startedAt) {
            this(from, to, startedAt, ReportOrder.NONE, false, startedAt);
        }

        /** From JSON: a state file from before the archive wait has neither field (fencing from the start). */
        @JsonCreator
        static Switchover fromJson(@JsonProperty("from") SiteId from, @JsonProperty("to") SiteId to,
                                   @JsonProperty("startedAt") Instant startedAt, @JsonProperty("writerAt") ReportOrder writerAt,
                                   @JsonProperty("awaitingArchive") Boolean awaitingArchive,
                                   @JsonProperty("fencingSince") Instant fencingSince) {
            return new Switchover(from, to, startedAt, writerAt, awaitingArchive != null && awaitingArchive, fencingSince);
        }

        /** The old writer told to fence from {@code now} on. */
        Switchover fencing(Instant now) {
            return new Switchover(from, to, startedAt, writerAt, false, now);
        }

        /**
         * Whether the old writer's report {@code r} was surely made after this switchover began. The
         * agent sends one heartbeat at a time and makes the next only after the answer (or its
         * timeout), so with {@code writerAt} = N the newest report seen at the start, report N+1 may
         * have been in flight then (made before), but N+2 was made after N+1 was answered, which was after
         * the start. A restarted agent's first report may likewise have been in flight; its second was
         * not. An unordered report or start (an older agent) never counts. Not covered: N+1 timing out at
         * the agent before the start (N+2 then made before it too) and both arriving after it.
         */
        boolean madeAfterStart(AgentReport r) {
            if (!writerAt.ordered() || !ReportOrder.of(r).ordered() || r.incarnation() < writerAt.incarnation()) {
                return false;
            }
            return r.incarnation() == writerAt.incarnation() ? r.sequence() >= writerAt.sequence() + 2 : r.sequence() >= 2;
        }
    }

    public static DurableState initial(SiteId writer, Durability mode) {
        return new DurableState(1, writer, mode, false, false, Optional.empty(), 0, 0, false);
    }

    DurableState withEpochAndWriter(long newEpoch, SiteId newWriter) {
        if (newEpoch <= epoch) {
            throw new IllegalStateException("epochs only grow: " + epoch + " -> " + newEpoch);
        }
        return new DurableState(newEpoch, newWriter, mode, false, false, Optional.empty(), systemId, leaseEpoch, leaseReleased,
                barrier, heard);
    }

    DurableState withWriterSync(boolean sync) {
        return new DurableState(epoch, writer, mode, sync, sync && standbyEligible, switchover, systemId, leaseEpoch, leaseReleased,
                barrier, heard);
    }

    DurableState withStandbyEligible(boolean eligible) {
        return new DurableState(epoch, writer, mode, writerSync, eligible, switchover, systemId, leaseEpoch, leaseReleased,
                barrier, heard);
    }

    DurableState withSwitchover(Optional<Switchover> s) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, s, systemId, leaseEpoch, leaseReleased,
                barrier, heard);
    }

    DurableState withSystemId(long id) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, switchover, id, leaseEpoch, leaseReleased,
                barrier, heard);
    }

    DurableState withLease(long granted, boolean released) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, switchover, systemId, granted, released,
                barrier, heard);
    }

    DurableState withMode(Durability m) {
        return new DurableState(epoch, writer, m, false, false, switchover, systemId, leaseEpoch, leaseReleased,
                barrier, heard);
    }

    DurableState withBarrier(ReportOrder b) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, switchover, systemId, leaseEpoch, leaseReleased,
                b, heard);
    }

    DurableState withHeard(SiteId site, ReportOrder place) {
        Map<SiteId, ReportOrder> h = new HashMap<>(heard);
        h.put(site, place);
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, switchover, systemId, leaseEpoch, leaseReleased,
                barrier, h);
    }
}
