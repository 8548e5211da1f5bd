package dev.twincloud.agent.core;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.Transition;
import dev.twincloud.core.fsm.TransitionTable;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.LeaseGrant;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.lease.LeaseGuard;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site's agent: each {@link #tick()} observes PostgreSQL, sends a heartbeat, mirrors a granted
 * lease into the database, and takes at most one step towards the assigned goal through the
 * {@link TransitionTable}. It never decides a failover: the arbiter assigns, the agent reaches.
 * Not thread-safe: one loop calls {@code tick()}.
 */
public final class Agent {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final SiteId site;
    private final PostgresDriver driver;
    private final ArbiterClient arbiter;
    private final List<String> guardedSchemas;
    private final LongSupplier nanoTime;
    private final AgentListener listener;

    private SiteState state = SiteState.INIT;
    private long epoch;
    private String message = "";
    private Optional<Assignment> lastAssignment = Optional.empty();
    private boolean guardInstalled;
    private Lsn stopLsn = Lsn.ZERO;
    private Optional<String> demotionToken = Optional.empty();
    private boolean progressed;

    public Agent(SiteId site, PostgresDriver driver, ArbiterClient arbiter, Collection<String> guardedSchemas,
                 LongSupplier nanoTime, AgentListener listener) {
        this.site = site;
        this.driver = driver;
        this.arbiter = arbiter;
        this.guardedSchemas = List.copyOf(guardedSchemas);
        this.nanoTime = nanoTime;
        this.listener = listener;
    }

    public SiteState state() {
        return state;
    }

    public long epoch() {
        return epoch;
    }

    public Optional<Assignment> lastAssignment() {
        return lastAssignment;
    }

    public String message() {
        return message;
    }

    /**
     * Whether the last {@link #tick()} reached a new state: the arbiter should hear of it at once,
     * so the next heartbeat should not wait for the interval.
     */
    public boolean progressed() {
        return progressed;
    }

    /** One heartbeat round. Returns the assignment received, if any. */
    public Optional<Assignment> tick() {
        progressed = false;
        Observation obs = driver.observe();
        boolean fenced = state == SiteState.FENCED;
        AgentReport report = new AgentReport(site, epoch, state, obs.role(), obs.systemId(), obs.timeline(),
                obs.writeLsn(), obs.receiveLsn(), obs.replicas(), fenced ? stopLsn : Lsn.ZERO, message,
                fenced ? demotionToken : Optional.empty());
        // Rule 2: t0 is taken before the request leaves, so the lease ends here before it ends at the arbiter.
        long t0 = nanoTime.getAsLong();
        Assignment a;
        try {
            a = arbiter.heartbeat(report);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (Exception e) {
            listener.heartbeatFailed(String.valueOf(e.getMessage()));
            return Optional.empty();
        }
        lastAssignment = Optional.of(a);
        a.lease().ifPresent(l -> writeLease(l, obs, t0));
        reconcile(a, obs);
        return Optional.of(a);
    }

    private void writeLease(LeaseGrant grant, Observation obs, long t0) {
        if (!state.isWriter() || obs.role() != DbRole.PRIMARY || grant.epoch() != epoch) {
            return; // a grant we cannot honour yet; the arbiter's timer covers it either way
        }
        try (Connection c = driver.connect()) {
            ensureGuard(c);
            boolean applied = LeaseGuard.writeLease(c, grant.epoch(), site.name(), t0, Duration.ofMillis(grant.ttlMillis()), nanoTime);
            listener.leaseWritten(grant.epoch(), applied);
        } catch (SQLException e) {
            message = "lease write failed: " + e.getMessage();
            log.warn("site={} epoch={} lease write failed: {}", site, grant.epoch(), e.getMessage());
        }
    }

    private void ensureGuard(Connection c) throws SQLException {
        if (!guardInstalled) {
            int attached = LeaseGuard.install(c, guardedSchemas);
            guardInstalled = true;
            log.info("site={} lease guard installed ({} tables newly guarded, schemas {})", site, attached, guardedSchemas);
        }
    }

    private void reconcile(Assignment a, Observation obs) {
        if (a.goal() == state) {
            epoch = Math.max(epoch, a.epoch());
            if (state == SiteState.PRIMARY_SYNC || state == SiteState.PRIMARY_ASYNC) {
                keepSyncSetting(a);
            }
            return;
        }
        Optional<Transition> row = TransitionTable.find(state, a.goal());
        if (row.isEmpty()) {
            String m = "no transition from " + state + " to " + a.goal() + ": goal ignored";
            if (!m.equals(message)) {
                log.error("site={} epoch={} {}", site, a.epoch(), m);
            }
            message = m;
            return;
        }
        Transition t = row.get();
        StepResult r;
        try {
            r = act(t, a, obs);
        } catch (RuntimeException e) {
            r = StepResult.failed(e.toString());
        }
        switch (r) {
            case StepResult.Done done -> {
                log.info("site={} epoch={} FSM transition from \"{}\" to \"{}\": {}{}", site, a.epoch(), t.from(), t.to(),
                        t.why(), done.detail().isEmpty() ? "" : " (" + done.detail() + ")");
                state = t.to();
                epoch = Math.max(epoch, a.epoch());
                message = done.detail();
                progressed = true;
                listener.transitioned(t, a.epoch(), done.detail());
            }
            case StepResult.Retry retry -> message = "waiting: " + retry.waitingFor();
            case StepResult.Failed failed -> {
                message = t.action() + " failed: " + failed.reason();
                log.warn("site={} epoch={} {} -> {} ({}) failed: {}", site, a.epoch(), t.from(), t.to(), t.action(), failed.reason());
                listener.actionFailed(t, failed.reason());
            }
        }
    }

    private StepResult act(Transition t, Assignment a, Observation obs) {
        return switch (t.action()) {
            case START_AS_PRIMARY -> then(driver.startAsPrimary(), () -> driver.setSynchronousStandby(a.syncStandby()));
            case START_AS_STANDBY, REJOIN -> driver.followWriter(a.writer());
            case PROMOTE -> then(driver.promote(a.promotionToken()), () -> driver.setSynchronousStandby(Optional.empty()));
            case SET_ASYNC -> driver.setSynchronousStandby(Optional.empty());
            case SET_SYNC -> driver.setSynchronousStandby(a.syncStandby());
            case FENCE_AND_STOP_CLEAN -> {
                fence(obs, a.epoch());
                StepResult r = driver.stopClean();
                if (r instanceof StepResult.Done) {
                    stopLsn = driver.stopLsn();
                    demotionToken = driver.demotionToken();
                }
                yield r;
            }
            case FENCE_AND_STOP -> {
                fence(obs, a.epoch());
                yield driver.stopNow();
            }
        };
    }

    /** Ends the lease in the database first, so no write commits while PostgreSQL shuts down. */
    private void fence(Observation obs, long floor) {
        if (obs.role() != DbRole.PRIMARY) {
            return;
        }
        try (Connection c = driver.connect()) {
            ensureGuard(c);
            LeaseGuard.fence(c, floor);
        } catch (SQLException e) {
            log.warn("site={} could not fence the lease row before stopping: {}", site, e.getMessage());
        }
    }

    private void keepSyncSetting(Assignment a) {
        StepResult r = driver.setSynchronousStandby(a.goal() == SiteState.PRIMARY_SYNC ? a.syncStandby() : Optional.empty());
        if (r instanceof StepResult.Failed f) {
            message = "sync setting: " + f.reason();
        }
    }

    private static StepResult then(StepResult first, java.util.function.Supplier<StepResult> next) {
        return first instanceof StepResult.Done d ? merge(d, next.get()) : first;
    }

    private static StepResult merge(StepResult.Done d, StepResult next) {
        return next instanceof StepResult.Done n ? StepResult.done((d.detail() + " " + n.detail()).trim()) : next;
    }
}
