package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The arbiter's whole state: the durable part plus what lives only in memory.
 *
 * @param leaseExpiresAt      arbiter-clock end of the last lease granted; after a restart, restart
 *                            time + ttl (no new writer until one full ttl has passed)
 * @param writerLsn           the highest WAL position the writer of the current epoch has reported
 *                            (ZERO = unknown: none yet in this epoch or since the arbiter started)
 * @param standbyMissingSince since when the writer has reported its standby as not streaming
 * @param epochSince          when this arbiter assigned the current epoch (or loaded it)
 * @param reachable           per site, the current run of heartbeats without a gap longer than the
 *                            report timeout
 * @param newest              per site, the newest report the decider has seen (docs/design.md rule 7)
 * @param barrier             the eligibility barrier: the writer's newest report when the last event
 *                            happened that could have made the standby fall behind (drop to async,
 *                            restore of sync, async ineligibility, mode change, new epoch, aborted
 *                            switchover); eligibility is judged only from a writer report after it.
 *                            Its place in the writer's order is durable ({@link DurableState#barrier()});
 *                            after an arbiter restart it is the later of that and the writer's
 *                            {@link DurableState#heard()} place, and for reports without order (an
 *                            older agent) their arrival after the restart
 * @param leaseMark           the writer report that the newest lease of this arbiter run answered
 *                            (empty after a restart until the first grant): a proof of refused
 *                            writes (fast path) counts only when it is newer. It never moves back
 *                            within an epoch (a lease granted on a report delivered late keeps the
 *                            newer mark), and the first grant of a run starts at least at
 *                            {@code writerHeardAtStart}
 * @param writerHeardAtStart  the writer's durable heard place when this arbiter run started (NONE on a
 *                            first start): the first lease of the run is marked at least there, as the
 *                            previous run may have granted a lease on any report up to it
 * @param failsafe            what the standby's reports say of its promise to the writer (docs/design.md
 *                            rule 9): no failover starts while it may hold
 * @param readLeaseUntil      the latest end, by the arbiter's clock, of a read lease granted to a standby
 *                            (docs/design.md rule 10: grant time plus its ttl; a restarted arbiter assumes
 *                            one granted at its start): the writer runs synchronous until it has passed,
 *                            plus the margin. Memory only, never reset by a new epoch.
 * @param promotionReads      read leases through a promotion ({@link PromotionReads}): set by a failover that
 *                            may grant them, kept after later epochs until it has ended. Memory only (a
 *                            restarted arbiter grants none and its first lease waits a ttl anyway)
 */
public record ClusterState(
        DurableState durable,
        Instant leaseExpiresAt,
        Lsn writerLsn,
        Optional<Instant> standbyMissingSince,
        Instant epochSince,
        Map<SiteId, Streak> reachable,
        Map<SiteId, ReportMark> newest,
        ReportMark barrier,
        Optional<ReportMark> leaseMark,
        ReportOrder writerHeardAtStart,
        Failsafe failsafe,
        Instant readLeaseUntil,
        Optional<PromotionReads> promotionReads) {

    /** Heartbeats from a site arriving since {@code since}, the last at {@code last}. */
    public record Streak(Instant since, Instant last) {
    }

    /**
     * The failsafe as the arbiter sees it (memory only: a restarted arbiter waits a full ttl anyway,
     * and the standby's agent itself holds every promotion while its promise lasts).
     *
     * @param promisedUntil the latest end, by the arbiter's clock, of a promise the standby reported:
     *                      the report's arrival plus the promise's remaining time (arrival is after the
     *                      report was made, so this is never earlier than the promise's true end)
     * @param holdingSince  since when a failover is held back by the promise, with the writer's lease
     *                      lapsed at the arbiter (the writer writes on the failsafe); empty otherwise
     */
    public record Failsafe(Instant promisedUntil, Optional<Instant> holdingSince) {
        public static final Failsafe NONE = new Failsafe(Instant.EPOCH, Optional.empty());

        public Failsafe {
            Objects.requireNonNull(promisedUntil, "promisedUntil");
            Objects.requireNonNull(holdingSince, "holdingSince");
        }
    }

    public ClusterState {
        reachable = Map.copyOf(reachable);
        newest = Map.copyOf(newest);
        Objects.requireNonNull(barrier, "barrier");
        Objects.requireNonNull(leaseMark, "leaseMark");
        Objects.requireNonNull(writerHeardAtStart, "writerHeardAtStart");
        Objects.requireNonNull(failsafe, "failsafe");
        Objects.requireNonNull(readLeaseUntil, "readLeaseUntil");
        Objects.requireNonNull(promotionReads, "promotionReads");
    }

    /** The state right after the arbiter (re)starts with {@code durable} loaded from disk. */
    public static ClusterState loaded(DurableState durable, Instant now, ArbiterConfig config) {
        // Only a writer report after everything the previous runs decided on passes the barrier: ordered,
        // beyond the durable barrier and the writer's heard place; without order (an older agent, or no
        // place known: a state file from before them), received after the restart (the instant just
        // before now, so that a heartbeat handled at the very instant of the start counts as after it).
        // With the barrier unknown (a state file from before it), the first ordered writer report sets it
        // (Decider: hear).
        ReportOrder b = durable.barrier().max(durable.heardOf(durable.writer()));
        return new ClusterState(durable, now.plus(config.leaseTtl()), Lsn.ZERO, Optional.empty(), now, Map.of(), Map.of(),
                new ReportMark(b.incarnation(), b.sequence(), now.minusNanos(1)), Optional.empty(),
                durable.heardOf(durable.writer()), Failsafe.NONE,
                // a previous run may have granted a read lease just before it stopped (rule 10)
                config.readLeaseTtl().isZero() ? Instant.EPOCH : now.plus(config.readLeaseTtl()),
                // none granted through a promotion by this run; one the previous run granted ended before any
                // other site's first lease, which waits a full lease ttl after the start (leaseExpiresAt)
                Optional.empty());
    }

    ClusterState with(DurableState d) {
        return new ClusterState(d, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    /** A new epoch assigned at {@code now}: the new writer's position is not known yet, nor a promise to it. */
    ClusterState withNewEpoch(DurableState d, Instant now) {
        // A promise was made to the previous epoch's writer; the standby's agent still keeps it.
        return new ClusterState(d, leaseExpiresAt, Lsn.ZERO, standbyMissingSince, now, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, Failsafe.NONE, readLeaseUntil, promotionReads);
    }

    ClusterState withReachable(Map<SiteId, Streak> r) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, r, newest, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    ClusterState withLeaseExpiry(Instant at) {
        return new ClusterState(durable, at, writerLsn, standbyMissingSince, epochSince, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    ClusterState withWriterLsn(Lsn lsn) {
        return new ClusterState(durable, leaseExpiresAt, lsn, standbyMissingSince, epochSince, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    ClusterState withStandbyMissingSince(Optional<Instant> since) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, since, epochSince, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    /** {@code observed} seen from {@code site}, kept when it is newer than what was seen before. */
    ClusterState withSeen(SiteId site, Observed observed) {
        ReportMark old = newest.get(site);
        if (old != null && !old.isBefore(observed)) {
            return this;
        }
        Map<SiteId, ReportMark> n = new HashMap<>(newest);
        n.put(site, ReportMark.of(observed));
        return new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable, n, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    /**
     * The barrier raised at {@code now}: only a report of the (current) writer newer than the newest
     * seen from it so far — or, where that report or the newer one has no order (an older agent),
     * one received after {@code now} — can show the standby eligible again.
     */
    ClusterState withBarrierAt(Instant now) {
        ReportMark seen = newest.get(durable.writer());
        // No ordered report of the writer in this run (the arbiter restarted since): its heard place is at
        // or after every report of it the previous runs decided on.
        ReportOrder place = seen != null && seen.ordered() ? new ReportOrder(seen.incarnation(), seen.sequence())
                : durable.heardOf(durable.writer());
        ReportMark b = new ReportMark(place.incarnation(), place.sequence(), now);
        // Still no place known after an upgrade from a state file without a barrier: stays unknown.
        boolean unknown = !place.ordered() && durable.barrier().equals(ReportOrder.UNKNOWN);
        ReportOrder stored = unknown ? ReportOrder.UNKNOWN : place;
        return new ClusterState(durable.withBarrier(stored), leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable,
                newest, b, leaseMark, writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    /**
     * The first ordered report of the writer while the barrier is {@link ReportOrder#UNKNOWN} (a state
     * file from before the barrier was stored): the barrier moves to {@code place}, the writer's new
     * heard place, so that reports sent up to {@link DurableState#HEARD_AHEAD} before this one (which
     * the previous run may have seen) do not count as after it.
     */
    ClusterState withBarrierPlace(ReportOrder place) {
        ReportMark b = new ReportMark(place.incarnation(), place.sequence(), barrier.receivedAt());
        return new ClusterState(durable.withBarrier(place), leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable,
                newest, b, leaseMark, writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    ClusterState withLeaseMark(ReportMark m) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable, newest, barrier,
                Optional.of(m), writerHeardAtStart, failsafe, readLeaseUntil, promotionReads);
    }

    ClusterState withFailsafe(Failsafe f) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, f, readLeaseUntil, promotionReads);
    }

    ClusterState withPromotionReads(Optional<PromotionReads> p) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable, newest, barrier, leaseMark,
                writerHeardAtStart, failsafe, readLeaseUntil, p);
    }

    /**
     * Rule 10 through a promotion: {@code site}, promoted in {@code epoch} by a failover in sync mode from the eligible
     * synchronous standby, may keep serving reads on read leases until its first write lease (it has every
     * acknowledged write, and nobody writes before that lease). {@code until}: the latest end of those granted, by
     * the arbiter's clock ({@link Instant#EPOCH}: none yet). A later epoch's writer other than {@code site} gets no
     * first lease before it has passed plus the margin.
     */
    public record PromotionReads(long epoch, SiteId site, Instant until) {
        public PromotionReads {
            Objects.requireNonNull(site, "site");
            Objects.requireNonNull(until, "until");
        }
    }

    /** A read lease granted until {@code until} (arbiter's clock); the latest end is kept. */
    ClusterState withReadLeaseUntil(Instant until) {
        return until.isAfter(readLeaseUntil) ? new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince,
                reachable, newest, barrier, leaseMark, writerHeardAtStart, failsafe, until, promotionReads) : this;
    }

    /** Whether {@code writerReport} (of the current writer) comes after the eligibility barrier. */
    public boolean afterBarrier(Observed writerReport) {
        return barrier.isBefore(writerReport);
    }
}
