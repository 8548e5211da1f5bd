package dev.twincloud.core.decide;

import static dev.twincloud.core.fsm.SiteState.*;

import dev.twincloud.core.decide.DurableState.Switchover;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.LeaseGrant;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The arbiter's decision as a pure function: {@code decide(view, now, requester) -> decision}. No I/O,
 * no clock of its own. The safety rules of docs/design.md, in the order they are applied:
 * <ol>
 *   <li>reports are ordered (rule 7): the decider judges the standby eligible only from a writer
 *       report newer than the last event that could have made it fall behind (the barrier of
 *       {@link ClusterState}); in async mode the standby is eligible only while the writer's own
 *       replication row shows it streaming within max_lag, and that is re-judged on every writer
 *       report before its lease is renewed;</li>
 *   <li>a planned switchover first lets the old writer keep writing while a report it made after the
 *       switchover began shows WAL files waiting for its archiver (its clean shutdown would wait for
 *       them with writes stopped), for at most {@link ArbiterConfig#switchoverArchiveWait()}; then it
 *       tells it to fence, and completes only when the old writer has fenced itself and the target has
 *       received its shutdown checkpoint (zero loss, no rewind), or is aborted after a timeout;</li>
 *   <li>an unplanned failover happens only when the writer's lease has ended by the arbiter's clock
 *       plus a margin, no promise of the standby to the writer may still hold (rule 9, failsafe: the
 *       writer keeps its database lease on it), and the standby is eligible (rule 4); otherwise
 *       nothing changes (rule 6). The
 *       fast path: when the writer's fresh report proves that its database refuses writes (and is
 *       newer than the report its lease answered), its lease counts as released now — the same
 *       eligibility applies, and the new writer's first lease need not wait for the old lease;</li>
 *   <li>in sync mode the writer drops to async only by the arbiter's decision, which first makes the
 *       standby ineligible; sync is restored, then eligibility, once the standby has caught up;</li>
 *   <li>rule 10: in sync mode the eligible standby gets a read lease with each heartbeat answered now,
 *       and the writer is never told to run async (drop, mode change, aborted switchover) while a read
 *       lease granted may still hold, plus the margin;</li>
 *   <li>a lease is granted only to the writer of the current epoch, reporting as primary in that
 *       epoch, and — for a new epoch — only after the previous lease has ended or was released.</li>
 * </ol>
 */
public final class Decider {

    private final ArbiterConfig config;

    public Decider(ArbiterConfig config) {
        this.config = config;
    }

    public ArbiterConfig config() {
        return config;
    }

    /**
     * @param requester the site whose heartbeat triggered this decision (it may receive a lease
     *                  renewal timed from {@code now}); empty for a periodic tick
     */
    public Decision decide(ClusterState state, Map<SiteId, Observed> reports, Instant now, Optional<SiteId> requester) {
        var run = new Run(state, reports, now);
        run.trackReachability();
        run.notePromise();
        run.learnFromWriter();
        run.assessAsyncStandby();
        run.advanceSwitchover();
        // Renew before judging the lease: a healthy writer that reports is kept, even if late.
        requester.ifPresent(run::grantLeaseTo);
        run.failoverIfLeaseLapsed();
        run.manageSyncReplication();
        // Last: a read lease only on the state this decision leaves (a drop to async above withdrew it).
        requester.ifPresent(run::grantReadLeaseTo);
        return run.result();
    }

    /** Operator: planned switchover to {@code target}. Returns the new state, or an error for the operator. */
    public Result requestSwitchover(ClusterState state, Map<SiteId, Observed> reports, SiteId target, Instant now) {
        if (!config.knows(target)) {
            return Result.error("unknown site '" + target + "'; known sites: " + config.sites());
        }
        DurableState d = state.durable();
        if (d.switchover().isPresent()) {
            return Result.error("a switchover to " + d.switchover().get().to() + " is already in progress");
        }
        if (d.writer().equals(target)) {
            return Result.error(target + " is already the writer (epoch " + d.epoch() + ")");
        }
        Optional<AgentReport> writer = fresh(reports, d.writer(), now);
        if (writer.isEmpty() || writer.get().dbRole() != DbRole.PRIMARY || !writer.get().state().isWriter()) {
            return Result.error("the writer " + d.writer() + " is not reporting as a healthy primary; "
                    + "a switchover needs it to fence itself cleanly (use a forced promotion if it is lost)");
        }
        Optional<String> notReady = standbyNotReady(reports, target, now, d);
        if (notReady.isPresent()) {
            return Result.error("cannot switch over to " + target + ": " + notReady.get());
        }
        if (writer.get().replica(target).filter(ReplicaInfo::isStreaming).isEmpty()) {
            return Result.error("cannot switch over to " + target + ": it is not streaming from " + d.writer());
        }
        // The archive wait applies when the writer reports its backlog (an older agent does not: fence at once).
        boolean await = !config.switchoverArchiveWait().isZero() && writer.get().archiveBacklog().isPresent();
        ReportOrder writerAt = ReportOrder.of(writer.get());
        var next = state.with(d.withSwitchover(Optional.of(new Switchover(d.writer(), target, now, writerAt, await, now))));
        return Result.ok(next, new Event(now, EventKind.SWITCHOVER_STARTED, d.epoch(), target,
                "operator asked to move the writer from " + d.writer() + " to " + target + "; " + (await
                        ? d.writer() + " keeps writing until it reports no WAL waiting for its archiver (at most "
                                + config.switchoverArchiveWait().toMillis() + " ms), then fences"
                        : "fencing " + d.writer())));
    }

    /**
     * Operator: promote {@code target} now, skipping eligibility (rule 6's human override). The new
     * writer still gets no lease until the old lease has ended by the arbiter's clock plus margin.
     */
    public Result forcePromote(ClusterState state, SiteId target, String operator, String reason, Instant now) {
        if (!config.knows(target)) {
            return Result.error("unknown site '" + target + "'; known sites: " + config.sites());
        }
        if (reason == null || reason.isBlank()) {
            return Result.error("a forced promotion needs a reason; it is recorded in the history");
        }
        DurableState d = state.durable();
        if (d.writer().equals(target) && d.switchover().isEmpty()) {
            return Result.error(target + " is already the writer (epoch " + d.epoch() + ")");
        }
        return operatorsNewWriter(state, target, EventKind.FORCED_PROMOTION,
                "forced by " + operator + ": " + reason + " (previous writer " + d.writer() + ")", now);
    }

    /**
     * An operator's new epoch with {@code target} as the writer (a forced promotion, a restore): no eligibility
     * asked, and the old lease kept as the last granted, so that the new writer's first lease waits for it to end by
     * the arbiter's clock plus margin.
     */
    private static Result operatorsNewWriter(ClusterState state, SiteId target, EventKind kind, String why, Instant now) {
        DurableState d = state.durable();
        var next = adopt(state, d.withEpochAndWriter(d.epoch() + 1, target).withLease(d.leaseEpoch(), false), now);
        return Result.ok(next, new Event(now, kind, d.epoch() + 1, target, why));
    }

    /**
     * Operator: both sites were lost and {@code target}'s database was restored from a backup ({@code what}: from
     * where, to which point). A new epoch with {@code target} as the writer, even when it was the writer already: the
     * restored database lacks what the lost ones wrote after its recovery point, and the new epoch tells every reader
     * and writer so. As a forced promotion, the writer gets no lease until the old lease has ended plus margin.
     */
    public Result restored(ClusterState state, SiteId target, String operator, String what, Instant now) {
        if (!config.knows(target)) {
            return Result.error("unknown site '" + target + "'; known sites: " + config.sites());
        }
        if (what == null || what.isBlank()) {
            return Result.error("a restore is recorded with what was restored: from which store, to which point");
        }
        DurableState d = state.durable();
        return operatorsNewWriter(state, target, EventKind.RESTORED,
                "restored by " + operator + ": " + what + " (previous writer " + d.writer() + ", epoch " + d.epoch() + ")", now);
    }

    /**
     * Operator: change durability mode. Going to sync clears eligibility until the standby confirms it;
     * the writer leaves synchronous replication only once no read lease may hold (rule 10).
     */
    public Result setMode(ClusterState state, Durability mode, Instant now) {
        DurableState d = state.durable();
        if (d.mode() == mode) {
            return Result.error("durability mode is already " + mode);
        }
        DurableState next = d.withMode(mode);
        if (d.writerSync() && !now.isAfter(state.readLeaseUntil().plus(config.margin()))) {
            // Rule 10: a read lease may still hold, so the writer stays synchronous for now; in async mode
            // the decider lets it go once the lease has ended (manageSyncReplication).
            next = next.withWriterSync(true);
        }
        return Result.ok(adopt(state, next, now), new Event(now, EventKind.MODE_CHANGED, d.epoch(), d.writer(),
                "durability " + d.mode() + " -> " + mode));
    }

    /**
     * {@code st} with the durable state {@code next}, raising the eligibility barrier when the change
     * may leave the standby behind what the writer acknowledges: a new epoch, a new mode, the writer's
     * sync goal changed, or eligibility withdrawn.
     */
    static ClusterState adopt(ClusterState st, DurableState next, Instant now) {
        DurableState d = st.durable();
        boolean newEpoch = next.epoch() != d.epoch();
        boolean mayFallBehind = newEpoch || next.mode() != d.mode() || next.writerSync() != d.writerSync()
                || (d.standbyEligible() && !next.standbyEligible());
        ClusterState s = newEpoch ? st.withNewEpoch(next, now) : st.with(next);
        return mayFallBehind ? s.withBarrierAt(now) : s;
    }

    public record Result(Optional<ClusterState> state, List<Event> events, Optional<String> error) {
        static Result ok(ClusterState s, Event e) {
            return new Result(Optional.of(s), List.of(e), Optional.empty());
        }

        static Result error(String message) {
            return new Result(Optional.empty(), List.of(), Optional.of(message));
        }
    }

    private Optional<AgentReport> fresh(Map<SiteId, Observed> reports, SiteId site, Instant now) {
        Observed o = reports.get(site);
        if (o == null || o.receivedAt().plus(config.reportTimeout()).isBefore(now)) {
            return Optional.empty();
        }
        return Optional.of(o.report());
    }

    /**
     * A site that fenced itself for a switchover and whose database can no longer write, so its stop
     * position stands: shut down (the local driver), or demoted by CloudNativePG, which shuts the
     * primary down cleanly, publishes a demotion token and restarts it as a replica of the target
     * (a running server in recovery, reported STANDBY, with the token; docs/deploy.md).
     */
    public static boolean stoppedCleanly(AgentReport r) {
        return r.state() == FENCED
                && (r.dbRole() == DbRole.DOWN || (r.dbRole() == DbRole.STANDBY && r.demotionToken().isPresent()));
    }

    /** Why {@code site} cannot be promoted now (empty when it can), rule 4 aside. */
    private Optional<String> standbyNotReady(Map<SiteId, Observed> reports, SiteId site, Instant now, DurableState d) {
        Optional<AgentReport> r = fresh(reports, site, now);
        if (r.isEmpty()) {
            return Optional.of(site + " has not reported within " + config.reportTimeout().toMillis() + " ms");
        }
        AgentReport s = r.get();
        if (s.state() != STANDBY || s.dbRole() != DbRole.STANDBY) {
            return Optional.of(site + " is " + s.state() + " with database " + s.dbRole() + ", not a running standby");
        }
        if (s.epoch() != d.epoch()) {
            return Optional.of(site + " reports epoch " + s.epoch() + ", current is " + d.epoch());
        }
        if (d.systemId() != 0 && s.systemId() != d.systemId()) {
            return Optional.of(site + " has system identifier " + s.systemId() + ", the cluster's is " + d.systemId());
        }
        return Optional.empty();
    }

    /** One evaluation; mutable only within itself. */
    private final class Run {
        private ClusterState st;
        private final Map<SiteId, Observed> reports;
        private final Instant now;
        private final List<Event> events = new ArrayList<>();
        private final List<String> alerts = new ArrayList<>();

        Run(ClusterState st, Map<SiteId, Observed> reports, Instant now) {
            this.st = st;
            this.reports = reports;
            this.now = now;
        }

        DurableState d() {
            return st.durable();
        }

        Optional<AgentReport> fresh(SiteId site) {
            return Decider.this.fresh(reports, site, now);
        }

        /** The writer's report when it is up as the primary of the current epoch. */
        Optional<AgentReport> healthyWriter() {
            return fresh(d().writer()).filter(r -> r.dbRole() == DbRole.PRIMARY && r.epoch() == d().epoch() && r.state().isWriter());
        }

        void event(EventKind kind, SiteId site, String why) {
            events.add(new Event(now, kind, d().epoch(), site, why));
        }

        void trackReachability() {
            Map<SiteId, ClusterState.Streak> streaks = new HashMap<>(st.reachable());
            reports.forEach((site, o) -> {
                ClusterState.Streak old = streaks.get(site);
                if (old == null || o.receivedAt().isAfter(old.last().plus(config.reportTimeout()))) {
                    streaks.put(site, new ClusterState.Streak(o.receivedAt(), o.receivedAt()));
                } else if (o.receivedAt().isAfter(old.last())) {
                    streaks.put(site, new ClusterState.Streak(old.since(), o.receivedAt()));
                }
            });
            st = st.withReachable(streaks);
            for (Map.Entry<SiteId, Observed> e : reports.entrySet()) {
                st = st.withSeen(e.getKey(), e.getValue());
                hear(e.getKey(), e.getValue().report());
            }
        }

        /**
         * Rule 7 across restarts: the durable heard place of {@code site} must be at or after every report
         * decided on, so it is moved (stored before the answer) {@link DurableState#HEARD_AHEAD} beyond a
         * report that passes it. The first ordered report of the writer while the barrier is unknown (a
         * state file from before it) puts the barrier there too.
         */
        void hear(SiteId site, AgentReport r) {
            ReportOrder place = d().heardOf(site);
            if (!place.isBefore(r) && (place.ordered() || !ReportOrder.of(r).ordered())) {
                return;
            }
            ReportOrder ahead = new ReportOrder(r.incarnation(), r.sequence() + DurableState.HEARD_AHEAD);
            st = st.with(d().withHeard(site, ahead));
            if (site.equals(d().writer()) && d().barrier().equals(ReportOrder.UNKNOWN)) {
                st = st.withBarrierPlace(ahead);
            }
        }

        /** Adopts {@code next} as the durable state (see {@link Decider#adopt}). */
        void update(DurableState next) {
            st = adopt(st, next, now);
        }

        /** Whether the writer's current report comes after the eligibility barrier. */
        boolean afterBarrier() {
            Observed o = reports.get(d().writer());
            return o != null && st.afterBarrier(o);
        }

        /** Whether the arbiter has only just (within a report timeout) started hearing from {@code site} again. */
        boolean justReconnected(SiteId site) {
            ClusterState.Streak s = st.reachable().get(site);
            return s == null || now.isBefore(s.since().plus(config.reportTimeout()));
        }

        /**
         * Rule 9: the standby's fresh report of a promise to the writer of this epoch moves the promise's
         * end (by this arbiter's clock: arrival plus what was left when the report was made) forward.
         */
        void notePromise() {
            SiteId standby = config.other(d().writer());
            Observed o = reports.get(standby);
            if (o == null || fresh(standby).isEmpty()) {
                return;
            }
            AgentReport r = o.report();
            if (r.promiseMillis() <= 0 || r.epoch() != d().epoch() || r.state() != STANDBY) {
                return;
            }
            Instant until = o.receivedAt().plusMillis(r.promiseMillis());
            ClusterState.Failsafe f = st.failsafe();
            if (until.isAfter(f.promisedUntil())) {
                st = st.withFailsafe(new ClusterState.Failsafe(until, f.holdingSince()));
            }
        }

        /** Whether a promise of the standby to the writer may still hold now (rule 9), with the margin. */
        boolean promiseMayHold() {
            return !now.isAfter(st.failsafe().promisedUntil().plus(config.margin()));
        }

        void learnFromWriter() {
            healthyWriter().ifPresent(w -> {
                // The highest position of this epoch's writer: a report delivered late cannot lower it.
                if (w.writeLsn().compareTo(st.writerLsn()) > 0) {
                    st = st.withWriterLsn(w.writeLsn());
                }
                if (d().systemId() == 0 && w.systemId() != 0) {
                    st = st.with(d().withSystemId(w.systemId()));
                }
            });
        }

        /**
         * Async mode: the standby is eligible only while the writer's own replication row shows it
         * streaming within max_lag ({@code writeLsn - flushLsn}). Judged on every writer report, before
         * the lease is renewed in the same decision: a lagging standby is made ineligible (stored before
         * the answer leaves), so the writer keeps writing but no failover can lose more than max_lag plus
         * what the writer commits during one lease. Eligible again only from a report after the barrier
         * (the ineligibility raised it).
         */
        void assessAsyncStandby() {
            if (d().mode() != Durability.ASYNC) {
                return;
            }
            Optional<AgentReport> writer = healthyWriter();
            if (writer.isEmpty()) {
                return;
            }
            AgentReport w = writer.get();
            SiteId standby = config.other(d().writer());
            Optional<ReplicaInfo> row = w.replica(standby).filter(ReplicaInfo::isStreaming);
            long lag = row.map(r -> w.writeLsn().bytesAfter(r.flushLsn())).orElse(-1L);
            boolean within = row.isPresent() && lag <= config.maxLagBytes();
            if (!within && d().standbyEligible()) {
                update(d().withStandbyEligible(false));
                event(EventKind.STANDBY_INELIGIBLE, standby, row.isEmpty()
                        ? d().writer() + " reports " + standby + " not streaming: ineligible for promotion"
                        : d().writer() + " reports " + standby + " lagging " + lag + " bytes (written " + w.writeLsn()
                                + ", flushed " + row.get().flushLsn() + ") > max_lag " + config.maxLagBytes()
                                + ": ineligible for promotion");
            } else if (within && !d().standbyEligible() && afterBarrier()) {
                update(d().withStandbyEligible(true));
                event(EventKind.STANDBY_ELIGIBLE, standby, d().writer() + " reports " + standby + " streaming, lagging " + lag
                        + " bytes <= max_lag " + config.maxLagBytes() + ": eligible for promotion");
            }
        }

        /** The switchover in progress while it is past the archive wait: the old writer is told to fence. */
        Optional<Switchover> fencing() {
            return d().switchover().filter(sw -> !sw.awaitingArchive());
        }

        /**
         * The archive wait of a planned switchover (docs/backups.md): PostgreSQL archives every ready WAL
         * file before a clean shutdown ends, so a writer fenced with a backlog stops writing for as long as
         * its archiver takes. Held while the old writer, healthy, keeps its lease and writes, until a report
         * it made after the switchover began shows no backlog (or does not know it), for at most the
         * configured wait. Once the fence is sent it is never taken back: a later backlog does not matter.
         */
        void endArchiveWait() {
            Switchover sw = d().switchover().filter(Switchover::awaitingArchive).orElse(null);
            if (sw == null) {
                return;
            }
            Optional<AgentReport> w = healthyWriter();
            String why;
            if (w.isEmpty()) {
                why = sw.from() + " is not reporting as a healthy primary: fence now";
            } else if (w.get().archiveBacklog().isEmpty()) {
                why = sw.from() + " does not report its archive backlog: fence now";
            } else if (sw.madeAfterStart(w.get()) && w.get().archiveBacklog().get() == 0) {
                why = sw.from() + " has no WAL waiting for its archiver (report " + w.get().incarnation() + "/"
                        + w.get().sequence() + ", " + java.time.Duration.between(sw.startedAt(), now).toMillis()
                        + " ms after the switchover began): fence now";
            } else if (!now.isBefore(sw.startedAt().plus(config.switchoverArchiveWait()))) {
                why = sw.madeAfterStart(w.get())
                        ? sw.from() + " still reports " + w.get().archiveBacklog().get() + " WAL file(s) waiting for its archiver after "
                                + config.switchoverArchiveWait().toMillis() + " ms (switchover-archive-wait): fence anyway; its clean "
                                + "shutdown archives them while writes are stopped"
                        : "no report of " + sw.from() + " made after the switchover began within "
                                + config.switchoverArchiveWait().toMillis() + " ms (switchover-archive-wait): fence anyway";
            } else {
                return;
            }
            update(d().withSwitchover(Optional.of(sw.fencing(now))));
            event(EventKind.SWITCHOVER_FENCE, sw.from(), why);
        }

        void advanceSwitchover() {
            endArchiveWait();
            if (fencing().isEmpty()) {
                return;
            }
            Switchover sw = d().switchover().get();
            Optional<AgentReport> from = fresh(sw.from());
            Optional<AgentReport> to = fresh(sw.to());
            boolean fromFenced = from.filter(Decider::stoppedCleanly).isPresent();
            if (fromFenced && to.isPresent()) {
                AgentReport f = from.get();
                AgentReport t = to.get();
                // Past the stop position, not at it: the stop position is where the old writer's shutdown checkpoint
                // record begins, and a target that has received exactly up to it lacks that record (its WAL sender
                // may not have sent it: the stream broke, or the server was stopped another way). Promoted without
                // it, the target's timeline would fork before the old writer's end, which could then follow only
                // after a rewind. Nothing follows that record, so a target that received past its start has it.
                if (f.stopLsn().value() != 0 && t.receiveLsn().compareTo(f.stopLsn()) > 0
                        && standbyNotReady(reports, sw.to(), now, d()).isEmpty()) {
                    long epoch = d().epoch() + 1;
                    // The target has received everything the old writer wrote and nobody writes before its first
                    // lease: its users read on through the promotion, as after an unplanned failover (rule 10).
                    readThroughPromotionOf(sw.to());
                    // The old writer fenced itself after its last grant: its lease is released.
                    update(d().withEpochAndWriter(epoch, sw.to()).withLease(d().leaseEpoch(), true));
                    event(EventKind.SWITCHOVER_PROMOTE, sw.to(), sw.from() + " stopped cleanly at " + f.stopLsn()
                            + " and " + sw.to() + " has received up to " + t.receiveLsn() + ": promote " + sw.to());
                    return;
                }
            }
            if (sw.fencingSince().plus(config.switchoverTimeout()).isBefore(now)) {
                // Resume on the old writer; it may have served async-acknowledged writes meanwhile? No:
                // it was fenced. Still, in sync mode sync must be re-confirmed before the standby is
                // eligible again. In async mode eligibility stays what the writer's last report showed:
                // the writer got no lease renewal during the switchover.
                boolean keep = d().mode() == Durability.ASYNC && d().standbyEligible();
                // Rule 10: a read lease granted before the switchover may still hold; then the writer
                // resumes synchronous (the drop to async, if the standby is gone, waits for the lease).
                update(d().withSwitchover(Optional.empty()).withWriterSync(d().writerSync() && readLeaseMayHold())
                        .withStandbyEligible(keep));
                event(EventKind.SWITCHOVER_ABORTED, sw.from(), "switchover to " + sw.to() + " did not complete within "
                        + config.switchoverTimeout().toMillis() + " ms of its fence; " + sw.from() + " resumes as writer");
                alerts.add("switchover from " + sw.from() + " to " + sw.to() + " aborted after timeout");
            }
        }

        /**
         * The writer's fresh report when it proves that its database refuses writes (fast path): of
         * the current epoch, still in a writer state with its database down and {@code writesRefused},
         * holding the lease of this epoch, and newer than the report that lease answered — so no lease
         * was granted on a report sent after this proof (the agent may have restarted its database
         * since: a later report without the proof cancels the fast path). After an arbiter restart
         * there is no fast path until this arbiter has granted the writer a lease, and then only from a
         * proof beyond the writer's heard place at the restart (see {@link #leaseMarkFor}).
         */
        Optional<AgentReport> refusingWriter() {
            Observed o = reports.get(d().writer());
            if (o == null || fresh(d().writer()).isEmpty() || st.leaseMark().isEmpty()) {
                return Optional.empty();
            }
            AgentReport r = o.report();
            boolean proof = r.writesRefused() && r.dbRole() == DbRole.DOWN && r.state().isWriter() && r.epoch() == d().epoch();
            if (!proof || d().leaseEpoch() != d().epoch() || !st.leaseMark().get().isBefore(o)) {
                return Optional.empty();
            }
            return Optional.of(r);
        }

        void failoverIfLeaseLapsed() {
            if (d().switchover().isPresent()) {
                return;
            }
            boolean fast = refusingWriter().isPresent();
            if (!fast && !now.isAfter(st.leaseExpiresAt().plus(config.margin()))) {
                endFailsafeHold();
                return;
            }
            if (!fast && promiseMayHold()) {
                // Rule 9: the standby promised the writer not to be promoted, so the writer keeps its
                // database lease on that promise although this arbiter no longer renews it; its agent
                // would hold the promotion anyway. Nothing is lost by waiting: the writer writes.
                if (st.failsafe().holdingSince().isEmpty()) {
                    st = st.withFailsafe(new ClusterState.Failsafe(st.failsafe().promisedUntil(), Optional.of(now)));
                    event(EventKind.FAILSAFE, d().writer(), "lease of " + d().writer() + " ended at " + st.leaseExpiresAt()
                            + " but " + config.other(d().writer()) + " reports a promise to it until "
                            + st.failsafe().promisedUntil() + ": " + d().writer() + " writes on the failsafe, no failover");
                }
                return;
            }
            endFailsafeHold();
            if (!fast && d().leaseEpoch() != d().epoch()
                    && (healthyWriter().isPresent() || now.isBefore(st.epochSince().plus(config.reportTimeout())))) {
                // A new writer (after a promotion or an arbiter restart) reports as primary of this epoch
                // and waits for its first lease, which its next heartbeat gets, or is still being
                // promoted (given one report timeout): it has not been lost.
                return;
            }
            SiteId candidate = config.other(d().writer());
            Optional<String> notReady = standbyNotReady(reports, candidate, now, d());
            if (notReady.isEmpty()) {
                notReady = ineligibility(candidate);
            }
            if (!fast && notReady.isEmpty() && justReconnected(candidate)) {
                // After a partition of the arbiter heals, both sites come back at about the same time: let
                // the writer's heartbeat renew its lease rather than fail over to whoever spoke first.
                return;
            }
            if (notReady.isPresent()) {
                alerts.add((fast
                        ? "writer " + d().writer() + " reports its database down and refusing writes (fast path)"
                        : "writer " + d().writer() + " has no valid lease since " + st.leaseExpiresAt())
                        + " and " + candidate + " cannot be promoted: " + notReady.get()
                        + "; keeping the current writer (rule 6)");
                return;
            }
            SiteId old = d().writer();
            Instant leaseEnd = st.leaseExpiresAt();
            readThroughPromotionOf(candidate);
            // Fast path: the old writer's lease counts as released (its database refuses writes), so the
            // new writer's first lease need not wait for the old lease's end.
            update(d().withEpochAndWriter(d().epoch() + 1, candidate).withLease(d().leaseEpoch(), fast));
            event(EventKind.FAILOVER, candidate, fast
                    ? "fast path: " + old + " proved its database refuses writes (postmaster gone, guard set to refuse; "
                            + "its lease would end at " + leaseEnd + ") and " + candidate + " is eligible: promote " + candidate
                    : "lease of " + old + " ended at " + leaseEnd + " (+" + config.margin().toMillis() + " ms margin) and "
                            + candidate + " is eligible: promote " + candidate);
        }

        /**
         * Rule 10 through a promotion, before the epoch moves to {@code candidate}: in sync mode the eligible
         * standby has every acknowledged write and nobody writes before its first lease, so it may keep serving
         * reads until then (grantReadLeaseThroughPromotion). One such site at a time: another that may still read
         * through an earlier promotion keeps its end.
         */
        void readThroughPromotionOf(SiteId candidate) {
            boolean readsThrough = d().mode() == Durability.SYNC && d().writerSync() && d().standbyEligible()
                    && !config.readLeaseTtl().isZero();
            Optional<ClusterState.PromotionReads> before = st.promotionReads().filter(this::mayHold);
            st = st.withPromotionReads(readsThrough && before.filter(p -> !p.site().equals(candidate)).isEmpty()
                    ? Optional.of(new ClusterState.PromotionReads(d().epoch() + 1, candidate, Instant.EPOCH))
                    : before);
        }

        void endFailsafeHold() {
            if (st.failsafe().holdingSince().isPresent()) {
                st = st.withFailsafe(new ClusterState.Failsafe(st.failsafe().promisedUntil(), Optional.empty()));
            }
        }

        /**
         * Rule 4: sync mode needs the eligibility flag; async mode needs the flag (the writer's last
         * report showed the standby streaming within max_lag) and the standby's own received position
         * within max_lag of the writer's highest reported one.
         */
        Optional<String> ineligibility(SiteId candidate) {
            AgentReport s = fresh(candidate).orElseThrow();
            if (d().mode() == Durability.SYNC) {
                return d().standbyEligible() ? Optional.empty()
                        : Optional.of(candidate + " has not been confirmed in sync since the writer last ran async");
            }
            if (!d().standbyEligible()) {
                // Name the lag when it is known: the operator deciding on a forced promotion needs the number.
                String lag = st.writerLsn().value() == 0 ? ""
                        : candidate + " lags " + st.writerLsn().bytesAfter(s.receiveLsn()) + " bytes behind the writer's last reported position; ";
                return Optional.of(lag + candidate + " has not been shown streaming within max_lag " + config.maxLagBytes()
                        + " bytes by a report of the writer since it last fell behind (or since the epoch, mode or arbiter started)");
            }
            if (st.writerLsn().value() == 0) {
                return Optional.of("the writer's last WAL position is unknown (arbiter restarted), so the lag of "
                        + candidate + " cannot be proven within max_lag");
            }
            long lag = st.writerLsn().bytesAfter(s.receiveLsn());
            return lag <= config.maxLagBytes() ? Optional.empty()
                    : Optional.of(candidate + " lags " + lag + " bytes > max_lag " + config.maxLagBytes());
        }

        void manageSyncReplication() {
            Optional<AgentReport> writer = healthyWriter();
            if (fencing().isPresent() || writer.isEmpty()) {
                st = st.withStandbyMissingSince(Optional.empty());
                return;
            }
            AgentReport w = writer.get();
            SiteId standby = config.other(d().writer());
            Optional<ReplicaInfo> replica = w.replica(standby).filter(ReplicaInfo::isStreaming);
            if (d().mode() == Durability.ASYNC) {
                if (d().writerSync() && !readLeaseMayHold()) { // rule 10
                    update(d().withWriterSync(false));
                }
                return;
            }
            if (replica.isEmpty()) {
                Instant since = st.standbyMissingSince().orElse(now);
                st = st.withStandbyMissingSince(Optional.of(since));
                if (d().writerSync() && !since.plus(config.standbyLossTimeout()).isAfter(now) && !readLeaseMayHold()) {
                    // Ineligible first, then async: both in the same stored state, before the writer hears of it.
                    // Rule 10: not before every read lease granted to the standby has ended plus the margin.
                    update(d().withStandbyEligible(false).withWriterSync(false));
                    event(EventKind.DROP_TO_ASYNC, d().writer(), standby + " not streaming for "
                            + config.standbyLossTimeout().toMillis() + " ms: writer drops to async, "
                            + standby + " ineligible until back in sync");
                }
                return;
            }
            st = st.withStandbyMissingSince(Optional.empty());
            ReplicaInfo r = replica.get();
            if (!afterBarrier()) {
                return; // rule 7: judge catching up and sync only from a report sent after the last change
            }
            if (!d().writerSync()) {
                if (w.writeLsn().bytesAfter(r.flushLsn()) <= config.maxLagBytes()) {
                    update(d().withWriterSync(true));
                    event(EventKind.RESTORE_SYNC, d().writer(), standby + " streaming and caught up: restore synchronous replication");
                }
                return;
            }
            // Eligible once the writer runs sync with this standby as 'sync' and it has flushed all WAL
            // the writer had written before the replication row was read (so async-era commits too).
            // Like the restore above, only from a report after the barrier (rule 7).
            if (!d().standbyEligible() && w.state() == PRIMARY_SYNC && r.isSync() && r.flushLsn().isAtLeast(w.writeLsn())) {
                update(d().withStandbyEligible(true));
                event(EventKind.STANDBY_IN_SYNC, standby, standby + " confirmed synchronous at " + r.flushLsn() + ": eligible for promotion");
            }
        }

        /** Whether a read lease granted to a standby may still hold now (rule 10), with the margin. */
        boolean readLeaseMayHold() {
            return !now.isAfter(st.readLeaseUntil().plus(config.margin()));
        }

        /**
         * Rule 10: the standby's heartbeat received now is answered with a read lease when, in sync mode,
         * the writer is told to run synchronous with it and it is eligible (confirmed in sync: it has
         * flushed everything the writer had written, async-era commits included), the writer's reports
         * do not show it missing, and it reports as a running standby of this epoch — also while a switchover
         * to it is under way. A writer that stopped reporting (dead, cut off) does not stop the leases: it cannot
         * run async without this arbiter, so its standby keeps serving reads through its failover. Every write acknowledged from then on
         * waits for its flush; the writer is told to run async only after the lease has ended.
         */
        void grantReadLeaseTo(SiteId site) {
            if (site.equals(d().writer())) {
                grantReadLeaseThroughPromotion(site);
                return;
            }
            if (config.readLeaseTtl().isZero() || d().mode() != Durability.SYNC
                    || !d().writerSync() || !d().standbyEligible() || st.standbyMissingSince().isPresent()) {
                // the last: the writer reports the standby not streaming, so the drop to async is being
                // timed, and must not be put off by new leases. A switchover under way does not stop them: its
                // target is this standby, the writer stays synchronous with it until fenced and acknowledges
                // nothing after, and an aborted switchover lets it run async only once they have ended.
                return;
            }
            Optional<AgentReport> r = receivedNow(site);
            if (r.isEmpty() || r.get().state() != STANDBY || r.get().dbRole() != DbRole.STANDBY || r.get().epoch() != d().epoch()) {
                return;
            }
            st = st.withReadLeaseUntil(now.plus(config.readLeaseTtl()));
            readLeaseGranted = true;
        }

        private boolean readLeaseGranted;

        /**
         * Rule 10 through a promotion: the writer of this epoch, promoted by a failover or switchover that allowed it
         * ({@link ClusterState.PromotionReads}), is answered with a read lease (of the epoch before, as its agent
         * knows it) while it still reports as a running standby of the epoch before and has had no write lease in
         * this epoch, and once more with its first write lease, on its first report as the primary: its agent keeps
         * it as the writer promoted from that standby until it has written its first write lease. Timed from now,
         * as every lease, and as long as a write lease (the agent does not report while it promotes, so the answer
         * that tells it to promote must cover the promotion: up to a second on a loaded machine, more than a read
         * lease); the end is kept so that no other site's first lease of a later epoch comes before it plus the
         * margin (grantLeaseTo). It does not move {@link ClusterState#readLeaseUntil}: the new writer reads its
         * own database, its synchronous setting does not matter to these reads.
         */
        void grantReadLeaseThroughPromotion(SiteId site) {
            Optional<ClusterState.PromotionReads> p = st.promotionReads();
            if (p.isEmpty() || p.get().epoch() != d().epoch() || !p.get().site().equals(site)
                    || (d().leaseEpoch() == d().epoch() && !firstLeaseNow) || d().mode() != Durability.SYNC
                    || config.readLeaseTtl().isZero()) {
                return;
            }
            Optional<AgentReport> received = receivedNow(site);
            if (received.isEmpty()) {
                return;
            }
            AgentReport r = received.get();
            boolean asStandby = r.state() == STANDBY && r.dbRole() == DbRole.STANDBY && r.epoch() == d().epoch() - 1;
            // promoted, and answered now with its first write lease: reads go on until its agent has written it
            boolean asPromoted = r.state().isWriter() && r.dbRole() == DbRole.PRIMARY && r.epoch() == d().epoch();
            if (!asStandby && !asPromoted) {
                return;
            }
            Instant until = now.plus(config.leaseTtl());
            if (until.isAfter(p.get().until())) {
                st = st.withPromotionReads(Optional.of(new ClusterState.PromotionReads(p.get().epoch(), site, until)));
            }
            promotionReadLeaseEpoch = d().epoch() - 1;
        }

        /** The report of {@code site} whose heartbeat is answered now: only it may get a lease timed from now. */
        Optional<AgentReport> receivedNow(SiteId site) {
            Observed o = reports.get(site);
            return o == null || o.receivedAt().isBefore(now) ? Optional.empty() : Optional.of(o.report());
        }

        /** The epoch of the read lease granted through a promotion by this decision; 0: none. */
        private long promotionReadLeaseEpoch;

        /** Whether a read lease granted through a promotion may still hold now, with the margin. */
        boolean mayHold(ClusterState.PromotionReads p) {
            return !now.isAfter(p.until().plus(config.margin()));
        }

        void grantLeaseTo(SiteId site) {
            if (!site.equals(d().writer()) || fencing().isPresent()) {
                return; // during a switchover's archive wait the writer keeps its lease
            }
            Optional<AgentReport> w = healthyWriter();
            if (w.isEmpty() || reports.get(site).receivedAt().isBefore(now)) {
                return; // only a heartbeat received now may be answered with a lease timed from now
            }
            boolean sameEpoch = d().leaseEpoch() == d().epoch();
            boolean previousEnded = now.isAfter(st.leaseExpiresAt().plus(config.margin())) || d().leaseReleased();
            if (!sameEpoch && !previousEnded) {
                return; // rule 2: the old writer's lease may still be valid
            }
            if (!sameEpoch && st.promotionReads().filter(p -> !p.site().equals(site) && mayHold(p)).isPresent()) {
                return; // rule 10: the site promoted before may still serve reads on a read lease through its promotion
            }
            if (!sameEpoch) {
                event(EventKind.LEASE_FIRST_GRANT, site, "first lease of epoch " + d().epoch() + " to " + site);
                firstLeaseNow = true;
            }
            st = st.with(d().withLease(d().epoch(), false)).withLeaseExpiry(now.plus(config.leaseTtl()))
                    .withLeaseMark(leaseMarkFor(reports.get(site), sameEpoch));
            granted = true;
        }

        private boolean granted;
        /** Whether this decision granted the first lease of the epoch. */
        private boolean firstLeaseNow;

        /**
         * The mark of the report a lease granted now answers, for the fast path: never behind the mark
         * of an earlier lease of this epoch (a lease granted on a report delivered late must not let a
         * proof sent before a newer leased report count as newer), and at the first grant of an arbiter
         * run in the epoch it loaded at least the writer's heard place at the start (the previous run may
         * have granted on any report up to it).
         */
        ReportMark leaseMarkFor(Observed o, boolean sameEpoch) {
            ReportMark m = ReportMark.of(o);
            Optional<ReportMark> old = st.leaseMark();
            if (old.isEmpty() && sameEpoch) {
                ReportOrder h = st.writerHeardAtStart();
                return !h.ordered() || h.isBefore(o.report()) ? m : new ReportMark(h.incarnation(), h.sequence(), o.receivedAt());
            }
            return sameEpoch && old.isPresent() && !old.get().isBefore(o) ? old.get() : m;
        }

        Decision result() {
            Map<SiteId, Assignment> out = new HashMap<>();
            boolean hurry = changeUnderWay();
            for (SiteId site : config.sites()) {
                Assignment a = assignment(site);
                if (readLeaseGranted && !site.equals(d().writer())) {
                    a = withReadLease(a, new LeaseGrant(d().epoch(), config.readLeaseTtl().toMillis()));
                }
                if (promotionReadLeaseEpoch > 0 && site.equals(d().writer())) {
                    a = withReadLease(a, new LeaseGrant(promotionReadLeaseEpoch, config.leaseTtl().toMillis()));
                }
                out.put(site, hurry ? hurried(a) : a);
            }
            return new Decision(st, out, events, alerts);
        }

        Assignment assignment(SiteId site) {
            DurableState d = d();
            SiteId other = config.other(site);
            if (site.equals(d.writer())) {
                if (fencing().isPresent()) {
                    return new Assignment(d.epoch(), FENCED, d.writer(), Optional.empty(), Optional.empty(),
                            "switchover to " + d.switchover().get().to() + ": fence now", Optional.empty());
                }
                SiteState goal = d.writerSync() ? PRIMARY_SYNC : PRIMARY_ASYNC;
                Optional<LeaseGrant> lease = granted
                        ? Optional.of(new LeaseGrant(d.epoch(), config.leaseTtl().toMillis()))
                        : Optional.empty();
                return new Assignment(d.epoch(), goal, d.writer(), d.writerSync() ? Optional.of(other) : Optional.empty(),
                        lease, "writer of epoch " + d.epoch(), promotionToken());
            }
            Optional<AgentReport> r = Optional.ofNullable(reports.get(site)).map(Observed::report);
            SiteState current = r.map(AgentReport::state).orElse(INIT);
            boolean runsAsPrimary = r.filter(x -> x.dbRole() == DbRole.PRIMARY).isPresent();
            if (runsAsPrimary || current.isWriter()) {
                return standDown(site, DEMOTED, site + " is not the writer of epoch " + d.epoch() + ": stand down");
            }
            boolean writerReady = healthyWriter().isPresent();
            if ((current == FENCED || current == DEMOTED) && !writerReady) {
                return standDown(site, current, "wait until " + d.writer() + " runs as primary of epoch " + d.epoch());
            }
            return standDown(site, STANDBY, "follow " + d.writer());
        }

        /**
         * A switchover is in progress past its archive wait, or the current epoch's writer has not had its
         * first lease yet (it is promoting): every step left waits for a site's next report, so both sites
         * are asked to report soon. Only a timing hint; nothing depends on it being followed. Not during
         * the archive wait: it lasts seconds, writes go on, and an agent hurries only so long in a row
         * (the fence and the promotion after it are what must be quick).
         */
        boolean changeUnderWay() {
            DurableState d = d();
            return fencing().isPresent() || d.leaseEpoch() != d.epoch();
        }

        static Assignment hurried(Assignment a) {
            return new Assignment(a.epoch(), a.goal(), a.writer(), a.syncStandby(), a.lease(), a.why(),
                    a.promotionToken(), true, a.readLease());
        }

        static Assignment withReadLease(Assignment a, LeaseGrant readLease) {
            return new Assignment(a.epoch(), a.goal(), a.writer(), a.syncStandby(), a.lease(), a.why(),
                    a.promotionToken(), a.hurry(), Optional.of(readLease));
        }

        Assignment standDown(SiteId site, SiteState goal, String why) {
            return new Assignment(d().epoch(), goal, d().writer(), Optional.empty(), Optional.empty(), why, Optional.empty());
        }

        /**
         * The old writer's demotion token, for the new writer to promote with. Only while the current
         * epoch comes from a planned switchover and its writer is still promoting: the old lease was
         * released rather than waited out (which only SWITCHOVER_PROMOTE records), and the new writer
         * has not had its first lease yet (it gets one once it reports as primary). Taken, like the
         * stop position, from the old writer's current report, so it survives an arbiter restart and
         * is repeated on every heartbeat until the promotion is done. An unplanned failover or a
         * forced promotion never carries one: the target then promotes with the WAL it has.
         */
        Optional<String> promotionToken() {
            DurableState d = d();
            if (!d.leaseReleased() || d.leaseEpoch() == d.epoch()) {
                return Optional.empty();
            }
            return fresh(config.other(d.writer())).filter(Decider::stoppedCleanly).flatMap(AgentReport::demotionToken);
        }
    }
}
