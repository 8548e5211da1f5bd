package dev.twincloud.core.decide;

import static dev.twincloud.core.decide.Fixture.AWS;
import static dev.twincloud.core.decide.Fixture.GCP;
import static dev.twincloud.core.decide.Fixture.SYSID;

import dev.twincloud.core.failsafe.PromiseKeeper;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.TransitionTable;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * A simulated two-site cluster and its arbiter at the level of messages and clocks, in steps of
 * 10 ms of real time:
 * <ul>
 *   <li>heartbeats and answers travel over a network that delays (sometimes by seconds: "held"
 *       links), reorders, duplicates and loses them, or cuts a site off;</li>
 *   <li>each agent runs on its own clock (bounded drift), sends one request at a time, times out
 *       after one second, and may pause as a whole (its database keeps running); it computes its
 *       database lease the way the real agent does: {@code t0} taken on its own clock before the
 *       request leaves, {@code valid_until = t0 + ttl} on that same clock (the database's clock is the
 *       host's);</li>
 *   <li>each database commits at a bounded rate while it holds a valid lease, waits for its
 *       synchronous standby in PRIMARY_SYNC, crashes and is restarted by its agent (which first makes
 *       it refuse writes and says so: the fast path);</li>
 *   <li>the arbiter is the pure {@link Decider} with the service's ordering of reports
 *       ({@link ReportMark#supersedes}) — or without it, to check that the decider alone stays safe
 *       when late reports reach it — a tick every 100 ms, an occasional restart, and spells when it
 *       is dead or cut off from both sites (then back from its durable state, or as it was);</li>
 *   <li>the failsafe (docs/design.md rule 9): a writer that has not had a grant for
 *       {@link #FAILSAFE_AFTER} ms asks the standby's agent, over the link between the sites (which
 *       delays, loses and is cut with replication), for a promise; the standby answers through the
 *       real {@link PromiseKeeper} and holds its promotion; the writer's lease is timed from its own
 *       {@code t0} as for a grant. Agents restart now and then and forget what they promised.</li>
 * </ul>
 * The invariants are checked as it runs; a violation throws {@link AssertionError} with the seed.
 */
final class NetSim {

    static final ArbiterConfig CONFIG = Fixture.CONFIG;
    static final long STEP = 10;
    static final long TTL = CONFIG.leaseTtl().toMillis();
    static final long TIMEOUT = 1000;
    static final long INTERVAL = 100;
    /** Largest clock drift rate of an agent against real time (the arbiter's clock). */
    static final double MAX_DRIFT = 0.02;
    /** Bytes one commit adds; at most one commit per step: the write rate is at most COMMIT / STEP bytes/ms. */
    static final long COMMIT = 16 * 1024;
    static final double RATE = (double) COMMIT / STEP;

    /** Loss allowed by a failover in async mode: max_lag plus one ttl of writes on the writer's clock. */
    static final double ASYNC_LOSS_BOUND = CONFIG.maxLagBytes() + RATE * TTL / (1 - MAX_DRIFT) + COMMIT;
    /** The writer asks for a promise once its last grant's {@code t0} is this old (its own clock). */
    static final long FAILSAFE_AFTER = 300;

    final Random rnd;
    final long seed;
    final Durability mode;
    final boolean arbiterOrders;
    final boolean operatorSwitchovers;
    /** Random faults on (the property tests) or off (scripted scenarios). */
    boolean randomFaults = true;
    /** The failsafe on (as built) or off (as before it: to show what it changes). */
    boolean failsafe = true;
    /** Mutant switch: false = the standby's agent promotes although its promise may still hold. */
    boolean standbyHoldsPromotions = true;
    /** False = the arbiter never learns of promises (as an arbiter from before the failsafe). */
    boolean arbiterSeesPromises = true;
    /** Mutant switch: true = the writer asks for and takes a promise also after its lease ran out (as found by a drill). */
    boolean failsafeRevivesEndedLeases;
    /**
     * Steps in which a database committed in an epoch the arbiter had already replaced by another site's: the old
     * writer writing after the arbiter's failover (no second writer while the standby holds its promotion, but writes
     * the arbiter had ended).
     */
    long stepsCommittingAfterReplaced;
    /** Until then the arbiter is dead, or cut off from both sites: it hears and decides nothing. */
    long arbiterDownUntil;
    boolean arbiterRestartsAfterDown;
    boolean arbiterDown;
    /** Steps (of {@link #STEP} ms) in which no database could commit, counted from {@link #countGapsFrom}. */
    long stepsWithoutWriter;
    long countGapsFrom = Long.MAX_VALUE;
    final Instant origin = Instant.parse("2026-11-28T12:00:00Z");
    long t;

    /** The read leases of docs/design.md rule 10 on (their property test) or off (every other run, as found). */
    final boolean readLeases;
    /** Read lease ttl of the runs with read leases. */
    static final long READ_LEASE_TTL = 800;
    final ArbiterConfig config;
    final Decider decider;
    /** Steps in which a standby held a valid read lease (the read-lease property is not vacuous). */
    long stepsWithReadLease;
    /** Of those, steps of a writer promoted from the standby still reading on it (before its first write lease). */
    long stepsReadingThroughPromotion;
    /** Steps in which a standby held a read lease while a switchover to it was under way. */
    long stepsOnReadLeaseDuringSwitchover;
    /** Steps of a writer promoted by a switchover still reading on its read lease (before its first write lease). */
    long stepsReadingThroughSwitchoverPromotion;
    /** The epochs a switchover began (SWITCHOVER_PROMOTE). */
    final java.util.Set<Long> switchoverEpochs = new java.util.HashSet<>();
    long readLeasesGranted;
    ClusterState state;
    final Map<SiteId, Observed> reports = new HashMap<>();
    long ignored;
    long arbiterEpoch;

    final Map<SiteId, Agent> agents = new HashMap<>();
    final PriorityQueue<Msg> net = new PriorityQueue<>((a, b) -> a.at != b.at ? Long.compare(a.at, b.at) : Long.compare(a.order, b.order));
    long msgOrder;
    boolean replicationCut;
    long replicationCutUntil;
    /** Until then the standby receives slower than the writer commits: its lag grows past max_lag. */
    long replicationSlowUntil;
    /**
     * A combined fault that makes a late report matter: the writer's link starts holding messages,
     * then replication is cut (the writer drops to async and acknowledges what the standby lacks),
     * then the writer is cut off from the arbiter while its held reports are still on the way.
     */
    long comboStart = -1;
    SiteId comboSite;

    /** Highest acknowledged commit of the current history (reset to what a failover keeps in async mode). */
    long highestAcked;
    long lostAcknowledged;
    double worstAsyncLoss;
    int failovers;
    int fastPaths;
    int failsafeHolds;
    final List<String> log = new ArrayList<>();

    enum Kind { REPORT, ANSWER, PROMISE_REQUEST, PROMISE_ANSWER }

    /**
     * A message: a report to the arbiter from {@code site}, or to the agent of {@code site} an answer of
     * the arbiter, a promise request of its peer, or its peer's promise answer.
     */
    record Msg(long at, long order, SiteId site, Kind kind, AgentReport report, Assignment answer, long reqSeq,
               PromiseRequest promiseRequest, PromiseAnswer promiseAnswer) {
        boolean toArbiter() {
            return kind == Kind.REPORT;
        }

        boolean betweenSites() {
            return kind == Kind.PROMISE_REQUEST || kind == Kind.PROMISE_ANSWER;
        }

        static Msg report(SiteId from, AgentReport r) {
            return new Msg(0, 0, from, Kind.REPORT, r, null, requestId(r), null, null);
        }

        /**
         * The request a report travels in, unique across the agent's runs: an HTTP answer dies with the process that
         * asked, so a restarted agent never takes the answer to its previous run's request (seed -9693642).
         */
        static long requestId(AgentReport r) {
            return r.incarnation() * (1L << 32) + r.sequence();
        }

        static Msg answer(SiteId to, Assignment a, long reqSeq) {
            return new Msg(0, 0, to, Kind.ANSWER, null, a, reqSeq, null, null);
        }

        Msg at(long when, long order) {
            return new Msg(when, order, site, kind, report, answer, reqSeq, promiseRequest, promiseAnswer);
        }
    }

    final class Agent {
        final SiteId site;
        final double rate;
        final double offset;
        long incarnation = 1;
        long seq;
        SiteState state = SiteState.INIT;
        long epoch;
        long lsn = 100;
        long ackedUpTo = 100;
        long stopLsn;
        /** The lease row's valid_until, on this agent's (= its database host's) clock. */
        double validUntil = Double.NEGATIVE_INFINITY;
        boolean dbDown;
        long dbDownUntil;
        long pausedUntil;
        long cutUntil;
        long heldUntil;
        long pendingSeq = -1;
        double pendingT0;
        /** The report the pending request carries: a read lease answers it (Agent.takeReadLease). */
        AgentReport pendingReport;
        double nextSendAt;
        final List<Msg> inbox = new ArrayList<>();
        /**
         * Rule 10, the agent's side: the end of its read lease on its own clock ({@code t0 + ttl}), and the
         * epoch it was granted in. Valid only while this agent runs as a standby of that epoch, or as the
         * writer (promoted from it); forgotten on a restart.
         */
        double readLeaseUntil = Double.NEGATIVE_INFINITY;
        long readLeaseEpoch;
        /** The {@code t0} of the last lease grant written from the arbiter (this agent's clock). */
        double lastGrantT0 = Double.NEGATIVE_INFINITY;
        /** The epoch of the last lease grant written from the arbiter. */
        long grantEpoch;
        /** The failsafe: promise requests on the way and when each left (this agent's clock), the last sent. */
        final Map<Long, Double> pendingPromises = new HashMap<>();
        double lastPromiseAskedAt = Double.NEGATIVE_INFINITY;
        long promiseSeq;
        /** The standby's side: what this run of the agent promised (forgotten on a restart). */
        PromiseKeeper keeper;
        int promotionsHeld;

        Agent(SiteId site) {
            this.site = site;
            this.rate = 1 + (rnd.nextDouble() * 2 - 1) * MAX_DRIFT;
            this.offset = rnd.nextDouble() * 1e6;
            this.keeper = newKeeper();
        }

        PromiseKeeper newKeeper() {
            return new PromiseKeeper(CONFIG.leaseTtl(), CONFIG.margin(), CONFIG.maxLagBytes(), nanos());
        }

        double clock() {
            return offset + t * rate;
        }

        /** This agent's monotonic clock in nanoseconds, as the real agent's {@code System.nanoTime()}. */
        long nanos() {
            return (long) (clock() * 1e6);
        }

        /** The agent process restarts: a new incarnation that knows nothing of what the last one promised. */
        void restart() {
            incarnation++;
            seq = 0;
            pendingSeq = -1;
            pendingPromises.clear();
            inbox.clear();
            readLeaseUntil = Double.NEGATIVE_INFINITY;
            keeper = newKeeper();
            nextSendAt = clock();
        }

        boolean paused() {
            return t < pausedUntil;
        }

        DbRole role() {
            if (dbDown) {
                return DbRole.DOWN;
            }
            return switch (state) {
                case PRIMARY_SYNC, PRIMARY_ASYNC -> DbRole.PRIMARY;
                case STANDBY -> DbRole.STANDBY;
                default -> DbRole.DOWN;
            };
        }

        /** The database would commit now: running as primary with a lease row valid by its clock. */
        /** Whether this standby may serve reads on its read lease now (rule 10), as the agent tells its API. */
        boolean readLeaseHolds() {
            return clock() < readLeaseUntil && (role() == DbRole.STANDBY && readLeaseEpoch == epoch || readsThroughPromotion());
        }

        /** As the agent: the writer promoted from a standby of the read lease's epoch, until its first write lease. */
        boolean readsThroughPromotion() {
            return clock() < readLeaseUntil && state.isWriter() && role() == DbRole.PRIMARY && epoch == readLeaseEpoch + 1
                    && grantEpoch != epoch;
        }

        boolean mayCommit() {
            return role() == DbRole.PRIMARY && clock() < validUntil;
        }

        Agent peer() {
            return agents.get(CONFIG.other(site));
        }

        /** One tick of the agent process: restart a crashed database, send the next heartbeat. */
        void act() {
            if (paused()) {
                return;
            }
            for (Msg m : List.copyOf(inbox)) {
                inbox.remove(m);
                switch (m.kind()) {
                    case ANSWER -> receive(m);
                    case PROMISE_REQUEST -> answerPromise(m);
                    case PROMISE_ANSWER -> promiseAnswered(m);
                    default -> throw new IllegalStateException(m.kind().toString());
                }
            }
            askForPromise();
            if (pendingSeq >= 0 && clock() > pendingT0 + TIMEOUT) {
                pendingSeq = -1; // timed out: a late answer will be dropped
                nextSendAt = clock();
            }
            if (pendingSeq >= 0 || clock() < nextSendAt) {
                return;
            }
            boolean refused = false;
            if (dbDown && t >= dbDownUntil) {
                dbDown = false; // the agent restarts its database (its lease row stays as it was)
            } else if (dbDown && state.isWriter()) {
                // Before it claims the fast path, the agent makes the stopped database refuse every
                // write even if started: the lease row is voided.
                validUntil = Double.NEGATIVE_INFINITY;
                refused = true;
            }
            AgentReport r = observe().withOrder(incarnation, ++seq).withWritesRefused(refused)
                    .withPromise(keeper.promiseMillis(nanos()));
            pendingSeq = Msg.requestId(r);
            pendingT0 = clock(); // rule 2: t0 before the request leaves
            pendingReport = r;
            send(Msg.report(site, r));
            if (rnd.nextDouble() < 0.05) {
                send(Msg.report(site, r)); // duplicated on the way
            }
        }

        /**
         * Rule 9, the writer's side: a writer that has held an arbiter's lease in its epoch and has had
         * no grant for a while asks the standby's agent for a promise, once per interval, each request
         * timed from its own {@code t0}, while its lease still runs (the failsafe keeps a lease; it never makes a
         * first one and does not bring back one that ran out).
         */
        void askForPromise() {
            pendingPromises.values().removeIf(t0 -> clock() > t0 + TIMEOUT);
            if (!failsafe || !state.isWriter() || role() != DbRole.PRIMARY || epoch < 1 || grantEpoch != epoch
                    || clock() - lastGrantT0 < FAILSAFE_AFTER || clock() < lastPromiseAskedAt + INTERVAL
                    || (clock() >= validUntil && !failsafeRevivesEndedLeases)) {
                return;
            }
            long id = ++promiseSeq;
            lastPromiseAskedAt = clock();
            pendingPromises.put(id, clock()); // rule 2: t0 before the request leaves
            send(new Msg(0, 0, peer().site, Kind.PROMISE_REQUEST, null, null, id,
                    new PromiseRequest(site, epoch, new Lsn(lsn)), null));
        }

        /** Rule 9, the standby's side, through the real policy. */
        void answerPromise(Msg m) {
            Agent writer = peer();
            var self = new PromiseKeeper.Self(state, role(), streaming(writer), new Lsn(lsn));
            PromiseAnswer a = keeper.consider(m.promiseRequest(), self, nanos());
            send(new Msg(0, 0, writer.site, Kind.PROMISE_ANSWER, null, null, m.reqSeq(), null, a));
        }

        void promiseAnswered(Msg m) {
            Double t0 = pendingPromises.remove(m.reqSeq());
            if (t0 == null) {
                return; // an answer to a request given up on
            }
            PromiseAnswer a = m.promiseAnswer();
            if (a.granted() && a.epoch() == epoch && state.isWriter() && role() == DbRole.PRIMARY
                    && (clock() < validUntil || failsafeRevivesEndedLeases)) {
                double until = t0 + a.millis();
                if (until > clock() && until > validUntil) {
                    validUntil = until; // LeaseGuard.writeLease, timed from t0 like a grant; only to extend
                }
            }
        }

        AgentReport observe() {
            List<ReplicaInfo> rows = new ArrayList<>();
            if (role() == DbRole.PRIMARY && streaming(this)) {
                Agent o = peer();
                rows.add(new ReplicaInfo(o.site.name(), "streaming", state == SiteState.PRIMARY_SYNC ? "sync" : "async",
                        new Lsn(o.lsn), new Lsn(o.lsn)));
            }
            return new AgentReport(site, epoch, state, role(), SYSID, 1, new Lsn(lsn), new Lsn(lsn), rows,
                    new Lsn(state == SiteState.FENCED ? stopLsn : 0), "", Optional.empty());
        }

        void receive(Msg m) {
            if (m.reqSeq != pendingSeq) {
                return; // an answer to a request this agent gave up on
            }
            double t0 = pendingT0;
            pendingSeq = -1;
            nextSendAt = clock() + INTERVAL;
            Assignment a = m.answer;
            keeper.assigned(a.epoch(), a.writer()); // before the promotion check in reach (PromiseKeeper)
            // As the agent: the read lease is taken for the report it answers, before the assignment is acted on
            // (the answer that tells a standby to promote may carry one: rule 10 through a promotion).
            AgentReport answered = pendingReport;
            a.readLease().ifPresent(l -> {
                boolean asStandby = answered.state() == SiteState.STANDBY && answered.dbRole() == DbRole.STANDBY
                        && answered.epoch() == l.epoch();
                boolean asPromoted = answered.state().isWriter() && answered.dbRole() == DbRole.PRIMARY
                        && answered.epoch() == l.epoch() + 1 && grantEpoch != answered.epoch();
                if ((asStandby || asPromoted) && incarnation == answered.incarnation()) {
                    if (readLeaseEpoch != l.epoch() || t0 + l.ttlMillis() > readLeaseUntil) {
                        readLeaseUntil = t0 + l.ttlMillis();
                    }
                    readLeaseEpoch = l.epoch();
                }
            });
            reach(a);
            a.lease().ifPresent(l -> {
                if (state.isWriter() && role() == DbRole.PRIMARY && l.epoch() == epoch) {
                    double until = t0 + l.ttlMillis();
                    if (until > clock()) {
                        validUntil = until; // LeaseGuard.writeLease: nothing written when already ended
                        lastGrantT0 = Math.max(lastGrantT0, t0);
                        grantEpoch = l.epoch();
                    }
                }
            });
        }

        void reach(Assignment a) {
            SiteState cur = state;
            if (a.goal() != cur) {
                if (TransitionTable.find(cur, a.goal()).isEmpty()) {
                    return; // the agent logs "no transition" and ignores the goal
                }
                if (failsafe && standbyHoldsPromotions && a.goal().isWriter() && cur == SiteState.STANDBY
                        && keeper.promotionHeld(nanos())) {
                    promotionsHeld++;
                    return; // rule 9: a promise to the old writer may still hold; retried on the next answer
                }
                Agent o = peer();
                switch (a.goal()) {
                    case FENCED -> {
                        validUntil = Double.NEGATIVE_INFINITY;
                        // the shutdown checkpoint record begins at the stop position and ends one past it
                        stopLsn = lsn + 1;
                        lsn = stopLsn + 1;
                        if (streaming(this)) {
                            o.lsn = Math.max(o.lsn, lsn);
                        }
                        dbDown = false; // a clean stop acknowledges nothing more; the database is down as FENCED
                    }
                    case DEMOTED -> validUntil = Double.NEGATIVE_INFINITY;
                    case PRIMARY_ASYNC -> {
                        if (cur == SiteState.STANDBY) {
                            promoted(this);
                        } else if (cur == SiteState.PRIMARY_SYNC) {
                            ackedUpTo = lsn; // commits waiting for the standby are released, acknowledged
                            acked(ackedUpTo);
                        }
                    }
                    case STANDBY -> {
                        lsn = o.lsn; // rewind / re-clone onto the writer's history
                        ackedUpTo = lsn;
                        validUntil = Double.NEGATIVE_INFINITY;
                    }
                    default -> { }
                }
                state = a.goal();
                log("%s %s -> %s (epoch %d)", site, cur, a.goal(), a.epoch());
            }
            if (a.epoch() < epoch) {
                throw violation(site + " was told epoch " + a.epoch() + " after " + epoch);
            }
            epoch = Math.max(epoch, a.epoch());
        }

        void send(Msg m) {
            if (m.betweenSites() ? replicationCut : t < cutUntil) {
                return; // cut off
            }
            if (rnd.nextDouble() < 0.02) {
                return; // lost
            }
            long delay = rnd.nextInt(40);
            if (t < heldUntil) {
                delay += 200 + rnd.nextInt(3000); // the link holds bytes: late and out of step
            } else if (rnd.nextDouble() < 0.03) {
                delay += rnd.nextInt(1500);
            }
            net.add(m.at(t + delay, msgOrder++));
        }
    }

    NetSim(long seed, Durability mode, boolean arbiterOrders, boolean operatorSwitchovers) {
        this(seed, mode, arbiterOrders, operatorSwitchovers, false);
    }

    NetSim(long seed, Durability mode, boolean arbiterOrders, boolean operatorSwitchovers, boolean readLeases) {
        this.readLeases = readLeases;
        this.config = readLeases ? CONFIG.withReadLeaseTtl(java.time.Duration.ofMillis(READ_LEASE_TTL)) : CONFIG;
        this.decider = new Decider(config);
        this.seed = seed;
        this.rnd = new Random(seed);
        this.mode = mode;
        this.arbiterOrders = arbiterOrders;
        this.operatorSwitchovers = operatorSwitchovers;
        state = ClusterState.loaded(DurableState.initial(GCP, mode), now(), config);
        arbiterEpoch = state.durable().epoch();
        agents.put(GCP, new Agent(GCP));
        agents.put(AWS, new Agent(AWS));
    }

    Instant now() {
        return origin.plusMillis(t);
    }

    AssertionError violation(String what) {
        int from = Math.max(0, log.size() - 40);
        return new AssertionError("seed " + seed + " (" + mode + (arbiterOrders ? "" : ", arbiter without ordering")
                + ") at t=" + t + " ms: " + what + "\n" + String.join("\n", log.subList(from, log.size())));
    }

    void log(String format, Object... args) {
        log.add(t + " " + String.format(format, args));
    }

    /** Runs {@code millis} of real time. */
    void run(long millis) {
        long end = t + millis;
        while (t < end) {
            step();
        }
    }

    void step() {
        t += STEP;
        faults();
        while (!net.isEmpty() && net.peek().at <= t) {
            Msg m = net.poll();
            if (m.toArbiter()) {
                if (!arbiterDown) {
                    arbiterReceives(m);
                }
            } else {
                agents.get(m.site).inbox.add(m);
            }
        }
        if (t % 100 == 0 && !arbiterDown) {
            adopt(decider.decide(state, reports, now(), Optional.empty()));
        }
        for (Agent a : agents.values()) {
            a.act();
        }
        replicate();
        commit();
        checkOneLease();
        checkReadLeases();
        if (t >= countGapsFrom && !agents.get(GCP).mayCommit() && !agents.get(AWS).mayCommit()) {
            stepsWithoutWriter++;
        }
    }

    /** The arbiter dies (or is cut off from both sites) for {@code millis}; back from its durable state or as it was. */
    void arbiterAway(long millis, boolean restarts) {
        arbiterDown = true;
        arbiterDownUntil = t + millis;
        arbiterRestartsAfterDown = restarts;
        log("arbiter %s until %d", restarts ? "dead" : "cut off from both sites", arbiterDownUntil);
    }

    void faults() {
        if (arbiterDown && t >= arbiterDownUntil) {
            arbiterDown = false;
            if (arbiterRestartsAfterDown) {
                state = ClusterState.loaded(state.durable(), now(), config);
                reports.clear();
                log("arbiter back, restarted from its durable state");
            } else {
                log("arbiter reachable again");
            }
        }
        if (t >= replicationCutUntil) {
            replicationCut = false;
        }
        if (!randomFaults) {
            return;
        }
        if (comboStart >= 0) {
            long dt = t - comboStart;
            Agent w = agents.get(comboSite);
            if (dt == 100) {
                replicationCut = true;
                replicationCutUntil = t + 8000;
                log("combo: replication cut until %d", replicationCutUntil);
            } else if (dt == 2500) {
                w.cutUntil = t + 8000;
                log("combo: %s cut off from the arbiter until %d", w.site, w.cutUntil);
                comboStart = -1;
            }
        } else if (steady() && rnd.nextDouble() < 0.001) {
            comboStart = t;
            comboSite = state.durable().writer();
            agents.get(comboSite).heldUntil = t + 300;
            log("combo: %s link holds messages until %d", comboSite, t + 300);
        }
        for (Agent a : agents.values()) {
            double p = rnd.nextDouble() * 2;
            if (p < 0.0008) {
                a.cutUntil = t + 500 + rnd.nextInt(5000);
                log("%s cut off from the arbiter until %d", a.site, a.cutUntil);
            } else if (p < 0.0016) {
                a.heldUntil = t + 500 + rnd.nextInt(4000);
                log("%s link holds messages until %d", a.site, a.heldUntil);
            } else if (p < 0.0022) {
                a.pausedUntil = t + 200 + rnd.nextInt(4000);
                log("%s agent paused until %d", a.site, a.pausedUntil);
            } else if (p < 0.0026 && !a.dbDown) {
                a.dbDown = true;
                a.dbDownUntil = t + 200 + rnd.nextInt(rnd.nextBoolean() ? 1000 : 8000);
                log("%s database crashed, back after %d", a.site, a.dbDownUntil);
            } else if (failsafe && p < 0.0029) {
                a.restart();
                log("%s agent restarted (incarnation %d)", a.site, a.incarnation);
            }
        }
        double p = rnd.nextDouble();
        if (p < 0.0008) {
            replicationCut = true;
            replicationCutUntil = t + 300 + rnd.nextInt(5000);
            log("replication cut until %d", replicationCutUntil);
        } else if (p < 0.0014) {
            replicationSlowUntil = t + 1000 + rnd.nextInt(9000);
            log("replication slow until %d", replicationSlowUntil);
        } else if (p < 0.0016) {
            state = ClusterState.loaded(state.durable(), now(), config);
            reports.clear();
            log("arbiter restarted");
        } else if (p < 0.0018 && operatorSwitchovers && !arbiterDown) {
            SiteId target = CONFIG.other(state.durable().writer());
            decider.requestSwitchover(state, reports, target, now()).state().ifPresent(s -> {
                state = s;
                log("operator: switchover to %s", target);
            });
        } else if (failsafe && p >= 0.0018 && p < 0.0022 && !arbiterDown) {
            arbiterAway(500 + rnd.nextInt(12_000), rnd.nextBoolean());
        }
    }

    /** The writer commits under its lease and its standby follows. */
    boolean steady() {
        Agent w = agents.get(state.durable().writer());
        return w.mayCommit() && w.peer().state == SiteState.STANDBY && !replicationCut;
    }

    void arbiterReceives(Msg m) {
        AgentReport r = arbiterSeesPromises ? m.report : m.report.withPromise(0);
        Observed stored = reports.get(m.site);
        Decision d;
        if (arbiterOrders && stored != null && !ReportMark.supersedes(r, stored.report())) {
            ignored++;
            d = decider.decide(state, reports, now(), Optional.empty());
        } else {
            reports.put(m.site, new Observed(r, now()));
            d = decider.decide(state, reports, now(), Optional.of(m.site));
        }
        adopt(d);
        Assignment a = d.assignmentFor(m.site);
        if (a.readLease().isPresent()) {
            readLeasesGranted++;
        }
        agents.get(m.site).send(Msg.answer(m.site, a, m.reqSeq));
    }

    void adopt(Decision d) {
        long e = d.state().durable().epoch();
        if (e < arbiterEpoch) {
            throw violation("the arbiter's epoch went back: " + arbiterEpoch + " -> " + e);
        }
        arbiterEpoch = e;
        for (Event ev : d.events()) {
            log("arbiter %s %s epoch %d: %s", ev.kind(), ev.site(), ev.epoch(), ev.why());
            if (ev.kind() == EventKind.FAILSAFE) {
                failsafeHolds++;
            }
            if (ev.kind() == EventKind.SWITCHOVER_PROMOTE) {
                switchoverEpochs.add(ev.epoch());
            }
            if (ev.kind() == EventKind.FAILOVER) {
                failovers++;
                if (ev.why().startsWith("fast path:")) {
                    fastPaths++;
                }
            }
        }
        state = d.state();
    }

    boolean streaming(Agent writer) {
        Agent s = writer.peer();
        return !replicationCut && writer.role() == DbRole.PRIMARY && s.role() == DbRole.STANDBY;
    }

    void replicate() {
        for (Agent w : agents.values()) {
            if (!streaming(w)) {
                continue;
            }
            Agent s = w.peer();
            if (w.state == SiteState.PRIMARY_SYNC) {
                s.lsn = Math.max(s.lsn, w.lsn);
                w.ackedUpTo = w.lsn; // the waiting commits are confirmed by the synchronous standby
                acked(w.ackedUpTo);
            } else {
                // async: the standby catches up at a varying pace, sometimes too slow for max_lag
                long pace = t < replicationSlowUntil ? rnd.nextInt((int) COMMIT / 4)
                        : rnd.nextInt(8) == 0 ? rnd.nextInt((int) COMMIT) : rnd.nextInt((int) (3 * COMMIT));
                s.lsn = Math.min(w.lsn, s.lsn + pace);
            }
        }
    }

    void commit() {
        for (Agent a : agents.values()) {
            if (!a.mayCommit() || rnd.nextInt(4) == 0) {
                continue;
            }
            if (a.epoch < arbiterEpoch && !state.durable().writer().equals(a.site)) {
                stepsCommittingAfterReplaced++;
            }
            a.lsn += COMMIT;
            if (a.state == SiteState.PRIMARY_ASYNC) {
                a.ackedUpTo = a.lsn;
                acked(a.ackedUpTo);
            } else if (streaming(a)) {
                a.peer().lsn = a.lsn;
                a.ackedUpTo = a.lsn;
                acked(a.ackedUpTo);
            } // PRIMARY_SYNC without its standby: the commit waits, not acknowledged
        }
    }

    void acked(long lsn) {
        highestAcked = Math.max(highestAcked, lsn);
    }

    /** Rule 1: at no instant of real time may two databases commit. */
    void checkOneLease() {
        if (agents.get(GCP).mayCommit() && agents.get(AWS).mayCommit()) {
            throw violation("both sites hold a valid database lease");
        }
    }

    /**
     * Rule 10: a standby that holds a valid read lease has every acknowledged write (its API then waits
     * for replay to reach what it has flushed, and serves reads of it without a staleness bound).
     */
    void checkReadLeases() {
        for (Agent a : agents.values()) {
            if (a.readLeaseHolds()) {
                stepsWithReadLease++;
                if (a.readsThroughPromotion()) {
                    stepsReadingThroughPromotion++;
                    if (switchoverEpochs.contains(a.epoch)) {
                        stepsReadingThroughSwitchoverPromotion++;
                    }
                } else if (state.durable().switchover().isPresent()) {
                    stepsOnReadLeaseDuringSwitchover++;
                }
                if (a.lsn < highestAcked) {
                    throw violation(a.site + " serves reads on its read lease without " + (highestAcked - a.lsn)
                            + " bytes of acknowledged writes");
                }
            }
        }
    }

    /** {@code a} was promoted from standby: what acknowledged writes does it lack? */
    void promoted(Agent a) {
        long lost = Math.max(0, highestAcked - a.lsn);
        log("%s promoted with %d, highest acknowledged %d: %d bytes lost", a.site, a.lsn, highestAcked, lost);
        if (mode == Durability.SYNC) {
            if (lost > 0) {
                lostAcknowledged += lost;
                throw violation(a.site + " promoted without " + lost + " bytes of acknowledged writes (sync mode)");
            }
        } else {
            worstAsyncLoss = Math.max(worstAsyncLoss, lost);
            if (lost > ASYNC_LOSS_BOUND) {
                throw violation(a.site + " promoted without " + lost + " bytes of acknowledged writes, more than max_lag + "
                        + "one ttl of writes = " + (long) ASYNC_LOSS_BOUND + " (async mode)");
            }
            highestAcked = a.lsn; // the new history; what it lacks is lost, within the bound
        }
        a.ackedUpTo = a.lsn;
    }
}
