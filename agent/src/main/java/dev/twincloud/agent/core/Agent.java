package dev.twincloud.agent.core;

import dev.twincloud.core.failsafe.PromiseKeeper;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.Transition;
import dev.twincloud.core.fsm.TransitionTable;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.LeaseGrant;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.core.protocol.Timing;
import dev.twincloud.pgctl.lease.LeaseGuard;
import dev.twincloud.pgctl.roles.DatabaseRoles;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site's agent: each {@link #tick()} observes PostgreSQL, sends a heartbeat, mirrors a granted
 * lease into the database, and takes at most one step towards the assigned goal through the
 * {@link TransitionTable}. It never decides a failover: the arbiter assigns, the agent reaches.
 * One loop calls {@code tick()}; the failsafe (docs/design.md rule 9) runs beside it: the writer's
 * {@link #promiseToAskFor}/{@link #promiseAnswered} from the agent's failsafe loop, the standby's
 * {@link #considerPromise} from a web thread. Lease writes and the fence share one lock.
 */
public final class Agent {
    private static final Logger log = LoggerFactory.getLogger(Agent.class);

    private final SiteId site;
    private final PostgresDriver driver;
    private final ArbiterClient arbiter;
    private final List<String> guardedSchemas;
    /** The production roles to keep on the writer's database with the guard (null: someone else does). */
    private volatile DatabaseRoles.Spec databaseRoles;
    private final LongSupplier nanoTime;
    private final AgentListener listener;

    private volatile SiteState state = SiteState.INIT;
    private volatile long epoch;
    private String message = "";
    private Optional<Assignment> lastAssignment = Optional.empty();
    private boolean guardInstalled;
    private Lsn stopLsn = Lsn.ZERO;
    private Optional<String> demotionToken = Optional.empty();
    private boolean progressed;
    /** This tick's observation and heartbeat round trip, for the log line of an epoch's first lease. */
    private long observeNanos;
    private long answeredNanos;

    /** docs/design.md rule 7: this run of the agent, and its place in the stream of reports. */
    private final long incarnation;
    private long sequence;

    /** The one connection lease writes go through; reopened only after it failed. */
    private Connection leaseConnection;

    /** Failed starts of the writer's database since it last ran, and when the first of them failed. */
    private int failedStarts;
    private long firstFailedStartNanos;
    /** The fast path's proof is in place (data directory refuses writes, nothing runs) and reported. */
    private boolean writesRefused;
    private long writesRefusedSinceNanos;
    /** What this tick's report said, for the handshake that lifts the proof. */
    private boolean reportedWritesRefused;

    /** A crashed writer's database is given up (the fast path) after this many failed starts... */
    static final int FAST_PATH_AFTER_FAILED_STARTS = 2;
    /** ...spread over at least this long: a plain crash (a start that succeeds) never takes the fast path. */
    static final Duration FAST_PATH_AFTER = Duration.ofMillis(500);
    /** With the proof out, the agent withdraws it and tries to start its database again this often. */
    static final Duration RETRY_START_AFTER_PROOF = Duration.ofSeconds(5);

    private static final AtomicLong LAST_INCARNATION = new AtomicLong();

    /**
     * The failsafe's settings: how long this site's promises last, the margin it adds before it
     * may be promoted after one, and the largest lag with which it promises.
     */
    public record Failsafe(Duration promise, Duration margin, long maxLagBytes) {
        public static final Failsafe DEFAULTS = new Failsafe(Timing.LEASE_TTL, Timing.MARGIN, Timing.MAX_LAG_BYTES);
    }

    /** A writer asks the standby for a promise once the last grant's {@code t0} is this old. */
    public static final Duration FAILSAFE_AFTER = Duration.ofMillis(300);

    /** The standby's side of the failsafe. */
    private final PromiseKeeper keeper;
    /** Guards the lease connection, the lease row's writes and the fence, and the fields below. */
    private final Object leaseLock = new Object();
    /** The last grant from the arbiter mirrored into the database: its epoch and {@code t0}. */
    private volatile long grantEpoch;
    private long lastGrantT0Nanos;
    /** The end of the lease row as this agent last wrote it ({@code t0 + ttl}, nanoTime). */
    private long leaseEndNanos;
    /** This run has written a lease row ({@link #leaseEndNanos} means something). */
    private boolean leaseEverWritten;
    /** The lease row was ended (fence): no promise may extend it until this site reaches a writer state again. */
    private boolean leaseRevoked;
    /** The failsafe has said (once) that this lease ran out and no promise brings it back; cleared by a grant. */
    private boolean endedLeaseSaid;
    /** The last observation of the database (the writer's failsafe requests carry its position). */
    private volatile Observation lastObservation = Observation.down();

    public Agent(SiteId site, PostgresDriver driver, ArbiterClient arbiter, Collection<String> guardedSchemas,
                 LongSupplier nanoTime, AgentListener listener) {
        this(site, driver, arbiter, guardedSchemas, nanoTime, listener, Failsafe.DEFAULTS);
    }

    public Agent(SiteId site, PostgresDriver driver, ArbiterClient arbiter, Collection<String> guardedSchemas,
                 LongSupplier nanoTime, AgentListener listener, Failsafe failsafe) {
        this.site = site;
        this.driver = driver;
        this.arbiter = arbiter;
        this.guardedSchemas = List.copyOf(guardedSchemas);
        this.nanoTime = nanoTime;
        this.listener = listener;
        // The start time in epoch ms; strictly growing within one JVM, where tests create agents anew.
        long now = System.currentTimeMillis();
        this.incarnation = LAST_INCARNATION.updateAndGet(last -> Math.max(last + 1, now));
        this.keeper = new PromiseKeeper(failsafe.promise(), failsafe.margin(), failsafe.maxLagBytes(), nanoTime.getAsLong());
    }

    /**
     * Makes the agent create and keep the production roles' privileges ({@link DatabaseRoles#ensure})
     * whenever it installs the lease guard as the writer. In the lab the supervisor does this before the
     * APIs start; in a CloudNativePG deployment nobody else would.
     */
    public Agent ensureDatabaseRoles(DatabaseRoles.Spec spec) {
        this.databaseRoles = spec;
        return this;
    }

    public long incarnation() {
        return incarnation;
    }

    /** Whether the agent currently reports that its database refuses writes on any start (fast path). */
    public boolean writesRefused() {
        return writesRefused;
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

    /** The last reading of the local database (taken each heartbeat round). */
    public Observation lastObservation() {
        return lastObservation;
    }

    /**
     * How long the lease row as this agent last wrote it still runs, by this agent's clock (zero once it
     * ran out); empty when this run never wrote one. A fence ends the row in the database earlier.
     */
    public Optional<Duration> leaseRemaining() {
        synchronized (leaseLock) {
            if (!leaseEverWritten) {
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos(Math.max(0, leaseEndNanos - nanoTime.getAsLong())));
        }
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

    /** The end of the read lease, {@code t0 + ttl} on this agent's clock (rule 10), and its epoch; 0 = none. */
    private volatile long readLeaseEndNanos;
    private volatile long readLeaseEpoch;
    private volatile boolean readLeaseHeld;

    /**
     * docs/design.md rule 10: a read lease answers a report this agent made as a running standby of the
     * lease's epoch, or as the writer promoted from it (the epoch after) that has not written a write lease
     * in its epoch yet; it lasts {@code ttl} from {@code t0}, taken before the report left (as a write lease,
     * rule 2), so it ends here before it ends at the arbiter.
     */
    private void takeReadLease(LeaseGrant grant, AgentReport report, long t0) {
        boolean asStandby = report.state() == SiteState.STANDBY && report.dbRole() == DbRole.STANDBY
                && report.epoch() == grant.epoch();
        boolean asPromoted = report.state().isWriter() && report.dbRole() == DbRole.PRIMARY && report.epoch() == grant.epoch() + 1
                && grantEpoch != report.epoch();
        if (!asStandby && !asPromoted) {
            return;
        }
        long end = t0 + Duration.ofMillis(grant.ttlMillis()).toNanos();
        if (!readLeaseHeld || grant.epoch() != readLeaseEpoch || end - readLeaseEndNanos > 0) {
            readLeaseEpoch = grant.epoch();
            readLeaseEndNanos = end;
            readLeaseHeld = true;
        }
    }

    /**
     * How long this site's API may still serve reads on the read lease (rule 10), by this agent's clock:
     * while it runs as a standby of the lease's epoch, or as the writer promoted from it (the epoch
     * after) until its first write lease is written (it has every acknowledged write: the old writer's
     * lease ended before the promotion, and it writes only once leased; afterwards the write lease
     * decides, and a writer deposed later never reads on a read lease); zero otherwise or once ended.
     */
    public ReadLease readLease() {
        long epochNow = epoch;
        SiteState s = state;
        boolean applies = readLeaseHeld && ((s == SiteState.STANDBY && epochNow == readLeaseEpoch)
                || (s.isWriter() && epochNow == readLeaseEpoch + 1 && grantEpoch != epochNow));
        long left = applies ? Math.max(0, readLeaseEndNanos - nanoTime.getAsLong()) : 0;
        return new ReadLease(readLeaseEpoch, Duration.ofNanos(left));
    }

    /** A read lease as the API is told of it: its epoch and what is left of it (zero: none). */
    public record ReadLease(long epoch, Duration remaining) {
    }

    /** One heartbeat round. Returns the assignment received, if any. */
    public Optional<Assignment> tick() {
        progressed = false;
        long observing = nanoTime.getAsLong();
        Observation obs = driver.observe();
        observeNanos = nanoTime.getAsLong() - observing;
        lastObservation = obs;
        boolean fenced = state == SiteState.FENCED;
        withdrawProofForARetry(obs);
        reportedWritesRefused = writesRefused && obs.role() == DbRole.DOWN;
        AgentReport report = new AgentReport(site, epoch, state, obs.role(), obs.systemId(), obs.timeline(),
                obs.writeLsn(), obs.receiveLsn(), obs.replicas(), fenced ? stopLsn : Lsn.ZERO, message,
                fenced ? demotionToken : Optional.empty())
                .withOrder(incarnation, ++sequence)
                .withWritesRefused(reportedWritesRefused)
                .withPromise(keeper.promiseMillis(nanoTime.getAsLong()))
                .withArchiveBacklog(obs.archiveBacklog());
        // docs/design.md rule 2: t0 is taken before the request leaves, so the lease ends here before
        // it ends at the arbiter, whose timer starts when the request arrives.
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
        listener.heartbeatAnswered();
        answeredNanos = nanoTime.getAsLong() - t0;
        lastAssignment = Optional.of(a);
        // the epoch in every later log line of this loop's thread (docs/logging.md)
        org.slf4j.MDC.put("epoch", Long.toString(a.epoch()));
        // Recorded before any promotion is considered (reconcile): see PromiseKeeper.
        keeper.assigned(a.epoch(), a.writer());
        // The read lease first: one answering this site's first report as the promoted writer covers the time
        // it takes to write its first write lease (docs/design.md rule 10), which may be long on a new connection.
        a.readLease().ifPresent(l -> takeReadLease(l, report, t0));
        a.lease().ifPresent(l -> writeLease(l, obs, t0));
        reconcile(a, obs);
        return Optional.of(a);
    }

    /**
     * Mirrors a grant into the database over the kept connection. Everything between t0 and the
     * database clock's reading counts against the lease (LeaseGuard.writeLease), so a pause anywhere
     * here shortens it; a kept connection that broke (e.g. the server restarted) is replaced once,
     * still timed from the same t0.
     */
    private void writeLease(LeaseGrant grant, Observation obs, long t0) {
        if (!state.isWriter() || obs.role() != DbRole.PRIMARY || grant.epoch() != epoch) {
            return; // a grant we cannot honour yet; the arbiter's timer covers it either way
        }
        synchronized (leaseLock) {
            if (mirror(grant.epoch(), t0, Duration.ofMillis(grant.ttlMillis()))) {
                if (grantEpoch != grant.epoch()) { // once per epoch: when this site took writes again
                    log.info("site={} epoch={} first lease written {} ms after its heartbeat left (observing the database "
                            + "took {} ms before it, the arbiter answered in {} ms)", site, grant.epoch(),
                            (nanoTime.getAsLong() - t0) / 1_000_000, observeNanos / 1_000_000, answeredNanos / 1_000_000);
                }
                grantEpoch = grant.epoch();
                lastGrantT0Nanos = t0;
                leaseRevoked = false; // the arbiter grants a lease again (a fence is followed by a stop)
                endedLeaseSaid = false;
            }
        }
    }

    /** Writes the lease row for {@code epoch}, valid {@code ttl} from {@code t0}; whether it was written. Holds the lease lock. */
    private boolean mirror(long leaseEpoch, long t0, Duration ttl) {
        for (int attempt = 1; ; attempt++) {
            boolean kept = leaseConnection != null;
            try {
                Connection c = leaseConnection();
                boolean applied = LeaseGuard.writeLease(c, leaseEpoch, site.name(), t0, ttl, nanoTime);
                listener.leaseWritten(leaseEpoch, applied);
                if (applied) {
                    leaseEndNanos = t0 + ttl.toNanos();
                    leaseEverWritten = true;
                }
                return applied;
            } catch (SQLException e) {
                closeLeaseConnection();
                if (kept && attempt == 1) {
                    continue;
                }
                message = "lease write failed: " + e.getMessage();
                log.warn("site={} epoch={} lease write failed: {}", site, leaseEpoch, e.getMessage());
                return false;
            }
        }
    }

    /**
     * The failsafe, the writer's side (docs/design.md rule 9): the promise request to send now, when
     * this site is the writer, has mirrored an arbiter's grant in its epoch, has not had one for
     * {@link #FAILSAFE_AFTER}, its lease was not ended since (fenced), and the lease is still running at
     * {@code nowNanos}. The failsafe keeps a lease; it never makes a first one, and it does not bring back
     * one that has run out: by then the arbiter may have failed over (to a standby that has not heard of it
     * yet and would still promise).
     */
    public Optional<PromiseRequest> promiseToAskFor(long nowNanos) {
        Observation obs = lastObservation;
        synchronized (leaseLock) {
            long e = epoch;
            if (!state.isWriter() || obs.role() != DbRole.PRIMARY || leaseRevoked || e < 1 || grantEpoch != e
                    || nowNanos - lastGrantT0Nanos < FAILSAFE_AFTER.toNanos()) {
                return Optional.empty();
            }
            if (nowNanos - leaseEndNanos >= 0) {
                if (!endedLeaseSaid) {
                    endedLeaseSaid = true;
                    log.warn("site={} epoch={} the lease ran out {} ms ago with no grant or promise in time: the failsafe keeps "
                            + "a running lease only (docs/design.md rule 9); no writes until the arbiter grants again", site, e,
                            (nowNanos - leaseEndNanos) / 1_000_000);
                }
                return Optional.empty();
            }
            return Optional.of(new PromiseRequest(site, e, obs.writeLsn()));
        }
    }

    /**
     * The failsafe, the writer's side: the standby answered {@code request}, which left at {@code t0}
     * (taken before it left). A granted promise extends the lease row to {@code t0 + millis} — never
     * shortens it — while this site is still the writer of that epoch, was not fenced since, and its lease
     * has not run out meanwhile (an answer that comes later is too late: see {@link #promiseToAskFor}).
     * Returns whether the lease row was extended.
     */
    public boolean promiseAnswered(PromiseRequest request, PromiseAnswer answer, long t0) {
        if (!answer.granted()) {
            listener.promiseRefused(answer.why());
            return false;
        }
        synchronized (leaseLock) {
            if (!state.isWriter() || leaseRevoked || request.epoch() != epoch || answer.epoch() != epoch
                    || lastObservation.role() != DbRole.PRIMARY || nanoTime.getAsLong() - leaseEndNanos >= 0) {
                return false;
            }
            Duration ttl = Duration.ofMillis(answer.millis());
            if (t0 + ttl.toNanos() - leaseEndNanos <= 0) {
                return false; // the row already lasts longer
            }
            boolean extended = mirror(epoch, t0, ttl);
            if (extended) {
                listener.leaseKeptByPromise(epoch);
            }
            return extended;
        }
    }

    /**
     * The failsafe, the standby's side: judges the writer's request by a fresh observation of this
     * site's database. The promise is timed from the moment this method was entered (after the
     * request arrived: later, so the standby's hold ends later — the safe side).
     */
    public PromiseAnswer considerPromise(PromiseRequest request) {
        long arrival = nanoTime.getAsLong();
        Observation obs = driver.observe();
        PromiseAnswer a = keeper.consider(request,
                new PromiseKeeper.Self(state, obs.role(), obs.walReceiverStreaming(), obs.receiveLsn()), arrival);
        listener.promiseConsidered(request, a);
        return a;
    }

    /** How long this site's promotions are held by a promise (or by this run's start), in ms; 0 = not held. */
    public long promotionHeldForMillis() {
        return keeper.heldForMillis(nanoTime.getAsLong());
    }

    /**
     * Whether {@code t} would make this site's database writable while a promise may still hold (rule 9):
     * a promotion, or a start as primary of a database that is not one. (Restarting the crashed database
     * of a writer state this run reached is not held: this run passed the hold to reach it.)
     */
    private boolean promotionHeld(Transition t, Observation obs) {
        boolean makesWritable = t.action() == dev.twincloud.core.fsm.AgentAction.PROMOTE
                || (t.action() == dev.twincloud.core.fsm.AgentAction.START_AS_PRIMARY && obs.role() != DbRole.PRIMARY);
        if (!makesWritable || !keeper.promotionHeld(nanoTime.getAsLong())) {
            return false;
        }
        String m = "promotion held " + keeper.heldForMillis(nanoTime.getAsLong())
                + " ms more: a promise to the previous writer (or one an earlier run of this agent may have given) "
                + "still holds (failsafe, docs/design.md rule 9)";
        if (!message.startsWith("promotion held")) {
            log.info("site={} {}", site, m);
        }
        message = m;
        return true;
    }

    /** The kept lease connection, opened (with the guard installed, once) when there is none. */
    private Connection leaseConnection() throws SQLException {
        synchronized (leaseLock) {
            return openLeaseConnection();
        }
    }

    private Connection openLeaseConnection() throws SQLException {
        if (leaseConnection == null) {
            leaseConnection = driver.connect();
        }
        try {
            ensureGuard(leaseConnection); // a connection opened while a standby meets the guard here, once a writer
        } catch (SQLException | RuntimeException e) {
            closeLeaseConnection();
            throw e;
        }
        return leaseConnection;
    }

    /**
     * Opens the lease connection and installs the guard as soon as this site runs as the writer,
     * before its first grant arrives, so neither is on the path a grant is timed on. A connection
     * opened while this site was a standby ({@link #keepLeaseConnectionReady}) is kept if it still
     * answers (a round trip, not a new connection with its fork and TLS handshake).
     */
    private void prepareLeaseConnection() {
        try {
            synchronized (leaseLock) {
                if (leaseConnection != null && !leaseConnection.isValid(1)) {
                    closeLeaseConnection(); // the server restarted since (a re-join): a new one
                }
                leaseConnection();
            }
        } catch (SQLException | RuntimeException e) {
            log.warn("site={} could not prepare the lease connection (retried with the first grant): {}", site, e.getMessage());
        }
    }

    /**
     * A standby that follows the writer opens its lease connection ahead of time: a session opened
     * during recovery writes once the server is promoted, so a switchover's first lease does not wait
     * for a new connection (about 60 ms with TLS on the lab's machines, docs/benchmarks.md). No
     * guard, no write: only the connection.
     */
    private void keepLeaseConnectionReady() {
        synchronized (leaseLock) {
            if (leaseConnection == null) {
                try {
                    leaseConnection = driver.connect();
                } catch (SQLException | RuntimeException e) {
                    log.debug("site={} lease connection not opened ahead: {}", site, e.getMessage());
                }
            }
        }
    }

    private void closeLeaseConnection() {
        synchronized (leaseLock) {
            if (leaseConnection != null) {
                close(leaseConnection);
                leaseConnection = null;
            }
        }
    }

    private static void close(Connection c) {
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // a broken connection; nothing to keep
        }
    }

    private void ensureGuard(Connection c) throws SQLException {
        if (!guardInstalled) {
            int attached = LeaseGuard.install(c, guardedSchemas);
            DatabaseRoles.Spec roles = databaseRoles;
            if (roles != null) {
                DatabaseRoles.ensure(c, roles);
                log.info("site={} database roles {} and {} ensured", site, roles.owner().name(), roles.app().name());
            }
            guardInstalled = true;
            log.info("site={} lease guard installed ({} tables newly guarded, schemas {})", site, attached, guardedSchemas);
        }
    }

    private void reconcile(Assignment a, Observation obs) {
        if (a.epoch() < epoch) {
            // docs/design.md rule 3: epochs only grow. An arbiter answering with an older epoch lost its
            // state or was restored from an old copy; following it could promote a deposed writer.
            String m = "ignored an assignment of epoch " + a.epoch() + " (" + a.goal() + "): this site knows epoch " + epoch;
            if (!m.equals(message)) {
                log.error("site={} {}", site, m);
            }
            message = m;
            return;
        }
        if (a.goal() == state) {
            epoch = Math.max(epoch, a.epoch());
            if (obs.role() == DbRole.DOWN && (state.isWriter() || state == SiteState.STANDBY) && driver.restartsCrashedDatabase()) {
                restart(a, obs);
            } else if (state.isWriter()) {
                keepSyncSetting(a);
            } else if (state == SiteState.STANDBY && obs.role() == DbRole.STANDBY) {
                keepLeaseConnectionReady();
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
        if (promotionHeld(t, obs)) {
            return; // retried on the next heartbeat
        }
        StepResult r;
        try {
            r = act(t, a, obs);
        } catch (RuntimeException e) {
            r = StepResult.failed(e.toString());
        }
        switch (r) {
            case StepResult.Done done -> {
                if (t.to().isWriter()) {
                    prepareLeaseConnection();
                }
                log.info("site={} epoch={} FSM transition from \"{}\" to \"{}\": {}{}", site, a.epoch(), t.from(), t.to(),
                        t.why(), done.detail().isEmpty() ? "" : " (" + done.detail() + ")");
                state = t.to();
                epoch = Math.max(epoch, a.epoch());
                failedStarts = 0; // a new state (re-joined, promoted, started): a later crash is counted afresh
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

    /**
     * The assigned state stays, its database crashed (docs/design.md: the agent keeps its database
     * running): start it again the way an agent (re)start reaches that state, the table's row from
     * INIT. A writer of its epoch starts as primary (crash recovery keeps the lease row; renewals go
     * on once it reports as primary again); a standby follows the writer again.
     */
    private void restart(Assignment a, Observation obs) {
        Transition row = TransitionTable.find(SiteState.INIT, state).orElseThrow();
        if (state.isWriter() && writesRefused) {
            message = "database down, writes refused on any start (fast path); retrying a start every "
                    + RETRY_START_AFTER_PROOF.toSeconds() + " s";
            return;
        }
        StepResult r;
        try {
            r = act(row, a, obs);
        } catch (RuntimeException e) {
            r = StepResult.failed(e.toString());
        }
        switch (r) {
            case StepResult.Done done -> {
                log.warn("site={} epoch={} {} database was down: started again ({}{})", site, epoch, state, row.action(),
                        done.detail().isEmpty() ? "" : ", " + done.detail());
                message = "database restarted after a crash";
                progressed = true;
                listener.databaseRestarted(state);
                if (state.isWriter()) {
                    closeLeaseConnection(); // broken by the crash: open the next one off the timed path
                    prepareLeaseConnection();
                }
            }
            case StepResult.Retry retry -> message = "restart waiting: " + retry.waitingFor();
            case StepResult.Failed failed -> {
                String m = "restart (" + row.action() + ") failed: " + failed.reason();
                if (!m.equals(message)) { // once per distinct reason, not every heartbeat
                    log.warn("site={} epoch={} database down, restart failed: {}", site, epoch, failed.reason());
                }
                message = m;
                listener.actionFailed(row, failed.reason());
            }
        }
    }

    /**
     * Counts a failed start of the writer's database; after {@link #FAST_PATH_AFTER_FAILED_STARTS}
     * over at least {@link #FAST_PATH_AFTER}, makes the data directory refuse writes on any start
     * and, once the driver has proven that and that nothing runs, says so in the next report (at once).
     */
    private void writerStartFailed(Assignment a) {
        long now = nanoTime.getAsLong();
        if (failedStarts++ == 0) {
            firstFailedStartNanos = now;
        }
        if (failedStarts < FAST_PATH_AFTER_FAILED_STARTS || now - firstFailedStartNanos < FAST_PATH_AFTER.toNanos()) {
            return;
        }
        if (driver.refuseWritesOnStart(a.epoch())) {
            writesRefused = true;
            writesRefusedSinceNanos = now;
            listener.writesRefused(a.epoch(), true);
            progressed = true; // tell the arbiter now: it may fail over without waiting out the lease
            log.warn("site={} epoch={} database cannot be started ({} attempts): it refuses writes on any start; "
                    + "telling the arbiter (fast path)", site, a.epoch(), failedStarts);
        }
    }

    /**
     * With the proof out for a while, withdraw it to try a start again: this tick reports
     * writesRefused=false, and only an answer to it naming this site the writer of the same epoch
     * lifts the proof ({@link #mayLiftProof}).
     */
    private void withdrawProofForARetry(Observation obs) {
        if (writesRefused && (obs.role() != DbRole.DOWN
                || nanoTime.getAsLong() - writesRefusedSinceNanos >= RETRY_START_AFTER_PROOF.toNanos())) {
            endProof();
        }
    }

    private void endProof() {
        if (writesRefused) {
            writesRefused = false;
            listener.writesRefused(epoch, false);
        }
    }

    /**
     * Whether the data directory's refusal of writes may be lifted to start it as the writer: the
     * report just answered said writesRefused=false, and the answer names this site the writer of
     * the epoch the refusal was made in. An arbiter that took the fast path names another writer or
     * a newer epoch; one that has not will not take it on an older report (reports are ordered).
     */
    private boolean mayLiftProof(Assignment a, long refusedEpoch) {
        return !reportedWritesRefused && a.writer().equals(site) && a.goal().isWriter() && a.epoch() == refusedEpoch;
    }

    private StepResult startAsPrimary(Assignment a) {
        OptionalLong refused = driver.writesRefusedOnStart();
        if (refused.isPresent()) {
            if (!mayLiftProof(a, refused.getAsLong())) {
                // not a failed start: nothing was started (and the refusal keeps its epoch)
                return StepResult.retry("the data directory refuses writes since the fast path of epoch "
                        + refused.getAsLong() + "; lifted only on an answer to a report without the proof naming this "
                        + "site the writer of that epoch (goal " + a.goal() + ", epoch " + a.epoch() + ")");
            }
            driver.allowWritesOnStart();
            log.info("site={} epoch={} the arbiter still names this site the writer: data directory accepts writes again",
                    site, a.epoch());
        }
        StepResult started;
        try {
            started = driver.startAsPrimary();
        } catch (RuntimeException e) {
            started = StepResult.failed(e.toString());
        }
        if (started instanceof StepResult.Done d) {
            failedStarts = 0;
            endProof();
            return merge(d, driver.setSynchronousStandby(a.syncStandby()));
        }
        if (started instanceof StepResult.Failed && a.writer().equals(site) && a.goal().isWriter()) {
            writerStartFailed(a);
        }
        return started;
    }

    private StepResult act(Transition t, Assignment a, Observation obs) {
        return switch (t.action()) {
            case START_AS_PRIMARY -> startAsPrimary(a);
            case START_AS_STANDBY, REJOIN -> {
                endProof(); // following lifts the refusal (it starts a standby): the proof ends here
                yield driver.followWriter(a.writer());
            }
            case PROMOTE -> then(driver.promote(a.promotionToken()), () -> driver.setSynchronousStandby(Optional.empty()));
            case SET_ASYNC -> driver.setSynchronousStandby(Optional.empty());
            case SET_SYNC -> driver.setSynchronousStandby(a.syncStandby());
            case FENCE_AND_STOP_CLEAN -> {
                stopAskingForPromises();
                checkpointBeforeFence(obs);
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

    /** How long a planned switchover's checkpoint before the fence may take (it runs while writes still commit). */
    static final Duration PRE_FENCE_CHECKPOINT_TIMEOUT = Duration.ofMillis(1000);

    /**
     * A planned switchover: flush the dirty buffers while the site still takes writes, so the shutdown
     * checkpoint after the fence — which clients wait through — has little left to write. Bounded; a
     * failure or timeout only makes the shutdown slower.
     */
    private void checkpointBeforeFence(Observation obs) {
        if (obs.role() != DbRole.PRIMARY) {
            return;
        }
        long started = nanoTime.getAsLong();
        try {
            synchronized (leaseLock) { // the lease connection is not shared with the failsafe meanwhile
                Connection c = leaseConnection();
                try (var st = c.createStatement()) {
                    st.setQueryTimeout((int) Math.max(1, PRE_FENCE_CHECKPOINT_TIMEOUT.toSeconds()));
                    st.execute("CHECKPOINT");
                }
            }
            log.info("site={} checkpoint before the fence took {} ms", site, (nanoTime.getAsLong() - started) / 1_000_000);
        } catch (SQLException | RuntimeException e) {
            log.warn("site={} checkpoint before the fence failed (the shutdown checkpoint does it): {}", site, e.getMessage());
            closeLeaseConnection();
        }
    }

    /**
     * Told to fence: from now on the failsafe asks for no promise (a promise would make the switchover's
     * target hold its promotion) and extends nothing.
     */
    private void stopAskingForPromises() {
        synchronized (leaseLock) {
            leaseRevoked = true;
        }
    }

    /** Ends the lease in the database first, so no write commits while PostgreSQL shuts down. */
    private void fence(Observation obs, long floor) {
        synchronized (leaseLock) {
            leaseRevoked = true; // no promise extends the row from now on
            fenceLocked(obs, floor);
        }
    }

    private void fenceLocked(Observation obs, long floor) {
        if (obs.role() != DbRole.PRIMARY) {
            closeLeaseConnection();
            return;
        }
        try {
            LeaseGuard.fence(leaseConnection(), floor);
        } catch (SQLException e) {
            closeLeaseConnection();
            try (Connection c = driver.connect()) {
                ensureGuard(c);
                LeaseGuard.fence(c, floor);
            } catch (SQLException e2) {
                log.warn("site={} could not fence the lease row before stopping: {}", site, e2.getMessage());
            }
        } finally {
            closeLeaseConnection(); // the server stops next
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
