package dev.twincloud.arbiter.service;

import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.arbiter.store.StateChangedElsewhere;
import dev.twincloud.arbiter.store.StateStore;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.Decision;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.decide.ReportMark;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.ArbiterHistory;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The arbiter's loop around the pure {@link Decider}: one lock around decide + store + answer, so
 * decisions are serialized and every answer is given only after the state it depends on is on disk
 * (docs/design.md rule 3). Time comes from the injected {@link InstantSource}, never goes back within a run,
 * and is read under the lock, after the request was received (so the arbiter's lease timer starts no
 * earlier than the agent's own, rule 2).
 *
 * <p>With several replicas ({@link Leadership}) the service exists only in the replica that holds the
 * election, and {@code mayAct} says whether it still does: it is checked under the lock before a
 * decision, before the state is stored and before the answer leaves, so a replica that lost the
 * election stores and answers nothing more ({@link NotLeader}).
 *
 * <p>Reports are ordered (docs/design.md rule 7): a heartbeat whose report is not newer than the
 * newest one stored for its site ({@link ReportMark#supersedes}: by incarnation and sequence; an older
 * agent's 0/0 reports in arrival order) was sent earlier and delivered late, or twice. It is neither
 * stored nor decided on, and is answered with the site's current assignment without a lease (the
 * decision of a tick); it is counted ({@code twincloud.arbiter.reports.ignored}).
 *
 * <p>Transitions to record come from the decider as {@link Event}s: each is logged as one line with
 * site, epoch and why, counted, and appended to the history.
 */
public final class ArbiterService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ArbiterService.class);

    private final Decider decider;
    private final ArbiterConfig config;
    private final StateStore store;
    private final EventLog history;
    private final InstantSource clock;
    private final ArbiterMetrics metrics;
    private final BooleanSupplier mayAct;

    private final ReentrantLock lock = new ReentrantLock();
    private final Map<SiteId, Observed> reports = new HashMap<>();
    private final Map<SiteId, Assignment> lastSent = new HashMap<>();
    /** Sites whose heartbeat was refused because they claim an epoch newer than ours. */
    private final Map<SiteId, String> epochAlerts = new LinkedHashMap<>();
    /** Sites whose reports are all ignored as old while the newest stored one has gone stale. */
    private final Map<SiteId, String> orderAlerts = new LinkedHashMap<>();
    private final Alerts alerts = new Alerts();
    /** The last minutes of reports for the status page's chart (not used by any decision). */
    private final ReportHistory reportHistory;
    private List<String> decisionAlerts = List.of();
    private ClusterState state;
    private Instant lastNow = Instant.MIN;
    /** The last committed state, for gauges (read without the lock). */
    private volatile ClusterState published;
    private volatile int alertCount;
    /** Set when a save found the stored state replaced by another replica: this one acts on nothing more. */
    private volatile String deposed;

    public ArbiterService(Decider decider, StateStore store, EventLog history, InstantSource clock, ArbiterMetrics metrics,
                          Supplier<DurableState> initial) {
        this(decider, store, history, clock, metrics, initial, () -> true, "");
    }

    /**
     * @param mayAct   whether this process may still act (the elected replica); checked before each
     *                 decision, store and answer
     * @param startNote appended to the ARBITER_STARTED event (e.g. which replica took over)
     */
    public ArbiterService(Decider decider, StateStore store, EventLog history, InstantSource clock, ArbiterMetrics metrics,
                          Supplier<DurableState> initial, BooleanSupplier mayAct, String startNote) {
        this.mayAct = mayAct;
        this.decider = decider;
        this.config = decider.config();
        this.store = store;
        this.history = history;
        this.clock = clock;
        this.metrics = metrics;
        this.reportHistory = new ReportHistory(ReportHistory.RESOLUTION, ReportHistory.WINDOW, config.reportTimeout());
        lock.lock();
        try {
            DurableState durable = store.loadOrCreate(initial);
            Instant now = now();
            // The restart rule lives in the core: the lease timer restarts now, no new writer for one ttl.
            state = ClusterState.loaded(durable, now, config);
            published = state;
            record(new Event(now, EventKind.ARBITER_STARTED, durable.epoch(), durable.writer(), "loaded epoch " + durable.epoch()
                    + " (writer " + durable.writer() + ", " + durable.mode() + "); no new writer before "
                    + state.leaseExpiresAt() + " (one lease ttl)" + startNote));
        } finally {
            lock.unlock();
        }
    }

    /** The last committed state (for gauges; no lock). */
    public ClusterState published() {
        return published;
    }

    /** How many alerts are raised (for gauges; no lock). */
    public int alertCount() {
        return alertCount;
    }

    /** @throws NotLeader when this process may no longer act. Call under the lock. */
    private void checkMayAct() {
        String why = deposed;
        if (why != null) {
            throw new NotLeader(why);
        }
        if (!mayAct.getAsBoolean()) {
            throw new NotLeader("this arbiter replica is no longer the elected one");
        }
    }

    /**
     * Whether a save found the stored state replaced by another replica's: this service then acts on
     * nothing more — not even a lease renewal, which stores nothing — since its state in memory is not
     * the stored one. An election gives its lock back on seeing this, and whoever wins loads the state
     * anew; a single arbiter must be restarted.
     */
    public boolean deposed() {
        return deposed != null;
    }

    public ArbiterConfig config() {
        return config;
    }

    /**
     * A heartbeat from {@code report.site()}: decide with it, store the durable state if it changed,
     * then return the site's assignment.
     *
     * @throws BadRequest      the site is unknown
     * @throws Refused the site claims a newer epoch than the arbiter's (lost arbiter state?)
     * @throws StateNotStored  the new state could not be stored; nothing is answered
     */
    public Assignment heartbeat(AgentReport report) {
        SiteId site = report.site();
        if (!config.knows(site)) {
            throw new BadRequest("unknown site '" + site + "'; this arbiter knows " + config.sites());
        }
        lock.lock();
        try {
            checkMayAct();
            Instant now = now();
            long epoch = state.durable().epoch();
            if (report.epoch() > epoch) {
                // Epochs come only from the arbiter: a newer one means this arbiter's state was lost or
                // replaced. Answering would tell the site to follow an older epoch. Do nothing (rule 6).
                String alert = site + " reports epoch " + report.epoch() + " but the arbiter's is " + epoch
                        + ": the arbiter's state may have been lost or restored from an old copy; heartbeats of "
                        + site + " are refused until a human repairs " + store.describe();
                epochAlerts.put(site, alert);
                refreshAlerts(now);
                throw new Refused(alert);
            }
            if (epochAlerts.remove(site) != null) {
                refreshAlerts(now);
            }
            Observed stored = reports.get(site);
            if (stored != null && !ReportMark.supersedes(report, stored.report())) {
                return ignore(report, stored, now);
            }
            if (orderAlerts.remove(site) != null) {
                refreshAlerts(now);
            }
            metrics.heartbeat(site);
            reports.put(site, new Observed(report, now));
            Decision d = decideAndCommit(now, Optional.of(site));
            reportHistory.record(now, state.durable().epoch(), state.durable().writer(), reports);
            Assignment a = d.assignmentFor(site);
            if (a.lease().isPresent()) {
                metrics.leaseGranted(site);
            }
            lastSent.put(site, a);
            checkMayAct(); // the answer leaves only while this replica may still act
            return a;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A report not newer than the newest stored from its site: late, reordered or duplicated. Not
     * stored, not decided on; the answer is what a tick decides for the site now, which never holds a
     * lease (a lease is timed from a report received now, and this one was sent before the newest).
     * Under the lock.
     */
    private Assignment ignore(AgentReport report, Observed stored, Instant now) {
        SiteId site = report.site();
        metrics.reportIgnored(site);
        AgentReport newest = stored.report();
        if (stored.receivedAt().plus(config.reportTimeout()).isBefore(now)) {
            // Everything from this site is ignored and what is stored has gone stale: an agent that
            // restarted with a smaller incarnation (its clock set back) is never heard again.
            String alert = "reports of " + site + " are ignored: not newer than its newest (incarnation "
                    + newest.incarnation() + ", sequence " + newest.sequence() + ", received " + stored.receivedAt()
                    + "); if its agent restarted with a smaller incarnation (clock set back), restart the arbiter";
            if (orderAlerts.put(site, alert) == null) {
                refreshAlerts(now);
            }
        }
        log.debug("site={} ignored a report (incarnation {}, sequence {}) not newer than the stored one ({}, {})", site,
                report.incarnation(), report.sequence(), newest.incarnation(), newest.sequence());
        Decision d = decideAndCommit(now, Optional.empty());
        Assignment a = d.assignmentFor(site);
        lastSent.put(site, a);
        checkMayAct();
        return a;
    }

    /** A decision without a heartbeat: alerts, failover, switchover timeouts happen even when no site reports. */
    public void tick() {
        lock.lock();
        try {
            checkMayAct();
            decideAndCommit(now(), Optional.empty());
        } finally {
            lock.unlock();
        }
    }

    private Decision decideAndCommit(Instant now, Optional<SiteId> requester) {
        return metrics.decideTimer().record(() -> {
            Decision d = decider.decide(state, Map.copyOf(reports), now, requester);
            commit(d.state(), d.events());
            decisionAlerts = d.alerts();
            refreshAlerts(now);
            return d;
        });
    }

    /** Operator: planned switchover to {@code to}. */
    public Event switchover(SiteId to) {
        return operator(now -> decider.requestSwitchover(state, Map.copyOf(reports), known(to), now));
    }

    /** Operator: forced promotion of {@code site} (rule 6's human override), recorded with who and why. */
    public Event forcePromote(SiteId site, String operator, String reason) {
        return operator(now -> decider.forcePromote(state, known(site), operator, reason, now));
    }

    /** Operator: {@code site}'s database was restored from a backup after both sites were lost: a new epoch, it writes. */
    public Event restored(SiteId site, String operator, String what) {
        return operator(now -> decider.restored(state, known(site), operator, what, now));
    }

    /** Operator: change the durability mode. */
    public Event setMode(Durability mode) {
        return operator(now -> decider.setMode(state, mode, now));
    }

    private Event operator(java.util.function.Function<Instant, Decider.Result> call) {
        lock.lock();
        try {
            checkMayAct();
            Instant now = now();
            Decider.Result r = call.apply(now);
            if (r.error().isPresent()) {
                throw new Refused(r.error().get());
            }
            metrics.decideTimer().record(() -> commit(r.state().orElseThrow(), r.events()));
            checkMayAct();
            return r.events().getFirst();
        } finally {
            lock.unlock();
        }
    }

    private SiteId known(SiteId site) {
        if (!config.knows(site)) {
            throw new BadRequest("unknown site '" + site + "'; this arbiter knows " + config.sites());
        }
        return site;
    }

    /** Stores the durable part when it changed (before anything else), then adopts the state and records the events. */
    private void commit(ClusterState next, List<Event> events) {
        if (!next.durable().equals(state.durable())) {
            checkMayAct();
            try {
                store.save(next.durable());
            } catch (StateChangedElsewhere e) {
                deposed = "another arbiter replica stored a state since this one loaded it (" + e.getMessage()
                        + "): this replica acts on nothing more until it loads the state again";
                log.error("NOT acting on epoch {} (writer {}), nor on anything else from now on: {}", next.durable().epoch(),
                        next.durable().writer(), deposed);
                throw new StateNotStored(e.getMessage(), e);
            } catch (UncheckedIOException e) {
                log.error("NOT acting on epoch {} (writer {}): {}", next.durable().epoch(), next.durable().writer(), e.getMessage());
                throw new StateNotStored(e.getMessage(), e);
            }
        }
        state = next;
        published = next;
        for (Event e : events) {
            record(e);
        }
    }

    /** The decider's alerts of the last decision plus the arbiter's own; records what appeared or cleared. */
    private void refreshAlerts(Instant now) {
        List<String> all = new ArrayList<>(decisionAlerts);
        all.addAll(epochAlerts.values());
        all.addAll(orderAlerts.values());
        Alerts.Change change = alerts.update(all);
        alertCount = alerts.size();
        DurableState d = state.durable();
        for (String a : change.raised()) {
            record(new Event(now, EventKind.ALERT, d.epoch(), d.writer(), a));
        }
        for (String a : change.cleared()) {
            record(new Event(now, EventKind.ALERT_CLEARED, d.epoch(), d.writer(), a));
        }
    }

    /** One log line, a metric and a history entry per event (STYLE habit 6). */
    private void record(Event e) {
        // epoch, site and the event's kind as fields of the JSON line too (docs/logging.md)
        try (var epoch = org.slf4j.MDC.putCloseable("epoch", Long.toString(e.epoch()));
             var kind = org.slf4j.MDC.putCloseable("event", e.kind().name());
             var site = org.slf4j.MDC.putCloseable("event_site", String.valueOf(e.site()))) {
            if (e.kind() == EventKind.ALERT) {
                log.warn("{} site={} epoch={}: {}", e.kind(), e.site(), e.epoch(), e.why());
            } else {
                log.info("{} site={} epoch={}: {}", e.kind(), e.site(), e.epoch(), e.why());
            }
        }
        metrics.event(e);
        try {
            history.append(e);
        } catch (UncheckedIOException ex) {
            // The state is already stored; losing one history line must not stop the arbiter.
            log.error("could not record {} in the history: {}", e.kind(), ex.getMessage());
        }
    }

    /** The clock's time, never earlier than a time already used. Call under the lock. */
    private Instant now() {
        Instant t = clock.instant();
        if (t.isBefore(lastNow)) {
            t = lastNow;
        }
        lastNow = t;
        return t;
    }

    public Snapshot snapshot() {
        lock.lock();
        try {
            return new Snapshot(now(), state, Map.copyOf(reports), Map.copyOf(lastSent), alerts.current(), config);
        } finally {
            lock.unlock();
        }
    }

    /** The last minutes of the writer's WAL position and the standbys' lag ({@code GET /v1/history}). */
    public ArbiterHistory reportHistory() {
        lock.lock();
        try {
            return reportHistory.view(now());
        } finally {
            lock.unlock();
        }
    }

    /** The last {@code limit} events of the history, oldest first. */
    public List<Event> events(int limit) {
        return history.last(limit);
    }

    /** A clean stop while this process may act: records ARBITER_STOPPED. */
    @Override
    public void close() {
        lock.lock();
        try {
            if (!mayAct.getAsBoolean()) {
                return; // not ours to record any more: the history belongs to the elected replica
            }
            DurableState d = state.durable();
            record(new Event(now(), EventKind.ARBITER_STOPPED, d.epoch(), d.writer(), "arbiter shutting down at epoch " + d.epoch()));
        } finally {
            lock.unlock();
        }
    }
}
