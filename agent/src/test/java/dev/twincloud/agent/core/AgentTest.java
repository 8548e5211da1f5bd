package dev.twincloud.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The agent's loop without PostgreSQL: a scripted driver and a scripted arbiter. */
class AgentTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");

    final List<String> calls = new ArrayList<>();
    StepResult promoteResult = StepResult.done("promoted");
    Optional<String> driverDemotionToken = Optional.empty();
    Assignment next;
    final List<AgentReport> sent = new ArrayList<>();

    DbRole role = DbRole.STANDBY;
    StepResult startResult = StepResult.done();
    boolean canRefuseWrites = true;
    OptionalLong refusedEpoch = OptionalLong.empty();
    long nanos = 1_000_000_000L;
    /** A promise lasting 1 ns and no margin: the hold after an agent's start is over at once. */
    static final Agent.Failsafe NO_START_HOLD = new Agent.Failsafe(java.time.Duration.ofNanos(1), java.time.Duration.ZERO, Long.MAX_VALUE);
    static final long START_HOLD_NANOS = Agent.Failsafe.DEFAULTS.promise().plus(Agent.Failsafe.DEFAULTS.margin()).toNanos();

    final PostgresDriver driver = new PostgresDriver() {
        public Observation observe() {
            return new Observation(role, 1, 1, Lsn.ZERO, Lsn.ZERO, List.of());
        }
        public StepResult startAsPrimary() {
            calls.add("startAsPrimary");
            if (refusedEpoch.isPresent()) {
                return StepResult.failed("refuses writes");
            }
            if (startResult instanceof StepResult.Done) {
                role = DbRole.PRIMARY;
            }
            return startResult;
        }
        public boolean refuseWritesOnStart(long epoch) {
            calls.add("refuseWritesOnStart " + epoch);
            if (canRefuseWrites) {
                refusedEpoch = OptionalLong.of(epoch);
            }
            return canRefuseWrites;
        }
        public OptionalLong writesRefusedOnStart() { return refusedEpoch; }
        public void allowWritesOnStart() { calls.add("allowWritesOnStart"); refusedEpoch = OptionalLong.empty(); }
        public StepResult followWriter(SiteId w) { calls.add("follow " + w); role = DbRole.STANDBY; refusedEpoch = OptionalLong.empty(); return StepResult.done(); }
        public StepResult promote(Optional<String> token) {
            calls.add("promote" + token.map(t -> " with " + t).orElse(""));
            return promoteResult;
        }
        public StepResult setSynchronousStandby(Optional<SiteId> s) { calls.add("sync " + s.map(SiteId::name).orElse("none")); return StepResult.done(); }
        public StepResult stopClean() { calls.add("stopClean"); return StepResult.done(); }
        public StepResult stopNow() { calls.add("stopNow"); return StepResult.done(); }
        public Lsn stopLsn() { return Lsn.parse("0/5000028"); }
        public Optional<String> demotionToken() { return driverDemotionToken; }
        public Connection connect() { throw new UnsupportedOperationException("no database in this test"); }
    };

    final Agent agent = new Agent(AWS, driver, r -> {
        sent.add(r);
        return next;
    }, List.of("public"), System::nanoTime, new AgentListener() { }, NO_START_HOLD);

    static Assignment goal(long epoch, SiteState s) {
        return new Assignment(epoch, s, s.isWriter() ? AWS : GCP, Optional.empty(), Optional.empty(), "test", Optional.empty());
    }

    /** The arbiter's promote goal of a planned switchover, carrying the old writer's demotion token. */
    static Assignment promoteWith(long epoch, String token) {
        return new Assignment(epoch, SiteState.PRIMARY_ASYNC, AWS, Optional.empty(), Optional.empty(), "test", Optional.of(token));
    }

    /** docs/design.md rule 10: an assignment carrying a read lease. */
    static Assignment withReadLease(Assignment a, long epoch, long ttlMillis) {
        return new Assignment(a.epoch(), a.goal(), a.writer(), a.syncStandby(), a.lease(), a.why(), a.promotionToken(), a.hurry(),
                Optional.of(new dev.twincloud.core.protocol.LeaseGrant(epoch, ttlMillis)));
    }

    @Test
    void aReadLeaseRunsFromWhenTheReportLeftAndOnlyForTheStandbyOfItsEpochOrTheWriterPromotedFromIt() {
        long[] clock = {5_000_000_000L};
        List<Long> sentAt = new ArrayList<>();
        Agent a = new Agent(AWS, driver, r -> {
            sentAt.add(clock[0]);
            clock[0] += 300_000_000L; // the answer takes 300 ms
            return next;
        }, List.of("public"), () -> clock[0], new AgentListener() { }, NO_START_HOLD);
        // a grant answering a report made before this agent ran as a standby: not taken
        next = withReadLease(goal(1, SiteState.STANDBY), 1, 1000);
        a.tick();
        assertThat(a.state()).isEqualTo(SiteState.STANDBY);
        assertThat(a.readLease().remaining()).as("the report said INIT").isZero();
        // as a standby of epoch 1: 1000 ms from when the report left, so 700 ms left on the answer
        a.tick();
        assertThat(a.readLease().epoch()).isEqualTo(1);
        assertThat(a.readLease().remaining()).isEqualTo(java.time.Duration.ofMillis(700));
        clock[0] += 600_000_000L;
        assertThat(a.readLease().remaining()).isEqualTo(java.time.Duration.ofMillis(100));
        clock[0] += 200_000_000L;
        assertThat(a.readLease().remaining()).as("ended").isZero();
        // renewed, then promoted to the writer of epoch 2: kept until it ends
        next = withReadLease(goal(1, SiteState.STANDBY), 1, 1000);
        a.tick();
        assertThat(a.readLease().remaining()).isEqualTo(java.time.Duration.ofMillis(700));
        next = goal(2, SiteState.PRIMARY_ASYNC);
        a.tick();
        assertThat(a.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(a.readLease().remaining()).isEqualTo(java.time.Duration.ofMillis(400));
        // its first report as the promoted writer, answered with a read lease of the epoch it was a standby in
        // (the arbiter's last one, with its first write lease): renewed, until that write lease is written
        role = DbRole.PRIMARY;
        next = withReadLease(goal(2, SiteState.PRIMARY_ASYNC), 1, 1000);
        a.tick();
        assertThat(a.readLease().remaining()).isEqualTo(java.time.Duration.ofMillis(700));
        // one of its own epoch is not for a writer: not taken (the lease above runs on, 300 ms later)
        next = withReadLease(goal(2, SiteState.PRIMARY_ASYNC), 2, 1000);
        a.tick();
        assertThat(a.readLease().epoch()).isEqualTo(1);
        assertThat(a.readLease().remaining()).isEqualTo(java.time.Duration.ofMillis(400));
        // a standby again in a later epoch: the old lease is void at once
        role = DbRole.STANDBY; // this fake's stop does not change the role: as a standby it runs from here
        next = goal(3, SiteState.DEMOTED);
        a.tick();
        next = goal(3, SiteState.STANDBY);
        a.tick();
        assertThat(a.epoch()).isEqualTo(3);
        assertThat(a.readLease().remaining()).isZero();
        // a grant for another epoch than the report's is not taken
        next = withReadLease(goal(3, SiteState.STANDBY), 4, 1000);
        a.tick();
        assertThat(a.readLease().remaining()).isZero();
    }

    @Test
    void reachesAGoalThroughTheTableAndSaysSoAtOnce() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.STANDBY);
        assertThat(agent.epoch()).isEqualTo(1);
        assertThat(agent.progressed()).isTrue();
        assertThat(calls).containsExactly("follow gcp");
        agent.tick();
        assertThat(agent.progressed()).as("nothing new to tell").isFalse();
    }

    @Test
    void promotesOnlyFromStandbyAndKeepsTheOldEpochUntilDone() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        promoteResult = StepResult.retry("promotion in progress");
        next = goal(2, SiteState.PRIMARY_ASYNC);
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.STANDBY);
        assertThat(agent.epoch()).as("a goal not yet reached does not move the epoch").isEqualTo(1);
        assertThat(agent.message()).contains("promotion in progress");
        promoteResult = StepResult.done("promoted");
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(agent.epoch()).isEqualTo(2);
        assertThat(calls).containsSubsequence("promote", "promote", "sync none");
    }

    @Test
    void promotesWithTheTokenTheAssignmentCarriesOnEveryAttempt() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        promoteResult = StepResult.retry("CloudNativePG replaying up to the token's checkpoint");
        next = promoteWith(2, "dG9rZW4=");
        agent.tick();
        promoteResult = StepResult.done("promoted");
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(calls).containsExactly("follow gcp", "promote with dG9rZW4=", "promote with dG9rZW4=", "sync none");
    }

    @Test
    void anAssignmentWithoutATokenPromotesWithout() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        next = goal(2, SiteState.PRIMARY_ASYNC);
        agent.tick();
        assertThat(calls).containsExactly("follow gcp", "promote", "sync none");
    }

    @Test
    void aFencedSiteReportsItsDriversDemotionTokenWithTheStopPosition() {
        driverDemotionToken = Optional.of("ZGVtb3Rpb24=");
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        assertThat(sent.getLast().demotionToken()).as("INIT: nothing to hand over").isEmpty();
        next = goal(1, SiteState.PRIMARY_ASYNC);
        agent.tick(); // promotes (no token): now the writer
        next = goal(1, SiteState.FENCED);
        agent.tick(); // switchover away: stops cleanly
        assertThat(agent.state()).isEqualTo(SiteState.FENCED);
        agent.tick();
        assertThat(sent.getLast().state()).isEqualTo(SiteState.FENCED);
        assertThat(sent.getLast().stopLsn()).isEqualTo(Lsn.parse("0/5000028"));
        assertThat(sent.getLast().demotionToken()).contains("ZGVtb3Rpb24=");

        next = goal(2, SiteState.STANDBY); // the switchover is done: follow the new writer
        agent.tick();
        agent.tick();
        assertThat(sent.getLast().state()).isEqualTo(SiteState.STANDBY);
        assertThat(sent.getLast().demotionToken()).as("reported only while FENCED").isEmpty();
    }

    @Test
    void aGoalWithoutARowIsRefusedNotActedOn() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        calls.clear();
        next = goal(1, SiteState.FENCED); // STANDBY -> FENCED is not in the table
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.STANDBY);
        assertThat(agent.message()).contains("no transition from STANDBY to FENCED");
        assertThat(calls).isEmpty();
    }

    @Test
    void aFailedActionLeavesTheStateAndReportsWhy() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        promoteResult = StepResult.failed("disk full");
        next = goal(2, SiteState.PRIMARY_ASYNC);
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.STANDBY);
        assertThat(agent.message()).contains("PROMOTE failed: disk full");
        assertThat(agent.progressed()).isFalse();
    }

    /**
     * docs/design.md rule 9: a (re)started agent cannot know what its previous run promised, so it
     * holds a promotion for one promise and margin from its start, then promotes.
     */
    @Test
    void aStartedAgentHoldsAPromotionForOnePromiseAndMargin() {
        Agent fresh = new Agent(AWS, driver, r -> { sent.add(r); return next; }, List.of("public"), () -> nanos,
                new AgentListener() { });
        next = goal(1, SiteState.STANDBY);
        fresh.tick();
        next = goal(2, SiteState.PRIMARY_ASYNC);
        fresh.tick();
        assertThat(fresh.state()).isEqualTo(SiteState.STANDBY);
        assertThat(fresh.message()).startsWith("promotion held");
        assertThat(calls).doesNotContain("promote");
        nanos += START_HOLD_NANOS;
        fresh.tick();
        assertThat(fresh.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(calls).contains("promote");
    }

    /** Rule 3: an assignment of an older epoch (an arbiter restored from an old copy) is not followed. */
    @Test
    void anAssignmentOfAnOlderEpochIsIgnored() {
        next = goal(4, SiteState.STANDBY);
        agent.tick();
        calls.clear();
        next = goal(3, SiteState.PRIMARY_ASYNC);
        agent.tick();
        assertThat(agent.state()).isEqualTo(SiteState.STANDBY);
        assertThat(agent.epoch()).isEqualTo(4);
        assertThat(calls).doesNotContain("promote");
        assertThat(agent.message()).contains("ignored an assignment of epoch 3");
    }

    @Test
    void anUnreachableArbiterChangesNothing() {
        Agent lonely = new Agent(AWS, driver, r -> { throw new java.io.IOException("connection refused"); },
                List.of("public"), System::nanoTime, new AgentListener() { }, NO_START_HOLD);
        assertThat(lonely.tick()).isEmpty();
        assertThat(lonely.state()).isEqualTo(SiteState.INIT);
        assertThat(calls).isEmpty();
    }

    /** docs/design.md rule 7: every report says which run of the agent sent it and where in its stream. */
    @Test
    void reportsCarryTheAgentsIncarnationAndASequenceThatGrowsByOne() {
        long before = System.currentTimeMillis();
        Agent fresh = new Agent(AWS, driver, r -> { sent.add(r); return next; }, List.of("public"), System::nanoTime, new AgentListener() { }, NO_START_HOLD);
        next = goal(1, SiteState.STANDBY);
        fresh.tick();
        fresh.tick();
        fresh.tick();
        assertThat(sent).extracting(AgentReport::sequence).containsExactly(1L, 2L, 3L);
        assertThat(sent).extracting(AgentReport::incarnation).containsOnly(fresh.incarnation());
        assertThat(fresh.incarnation()).as("start time in epoch ms").isBetween(before, System.currentTimeMillis() + 1000);

        Agent unreachable = new Agent(AWS, driver, r -> { sent.add(r); throw new java.io.IOException("lost"); },
                List.of("public"), System::nanoTime, new AgentListener() { }, NO_START_HOLD);
        unreachable.tick();
        unreachable.tick();
        Agent restarted = new Agent(AWS, driver, r -> { sent.add(r); return next; }, List.of("public"), System::nanoTime, new AgentListener() { }, NO_START_HOLD);
        restarted.tick();
        assertThat(sent.get(3).isNewerThan(sent.get(2))).as("a lost report still takes a number").isTrue();
        assertThat(sent.get(4).sequence()).isEqualTo(2);
        assertThat(sent.getLast().incarnation()).as("a restarted agent is a newer incarnation").isGreaterThan(unreachable.incarnation());
        assertThat(sent.getLast().isNewerThan(sent.get(4))).isTrue();
    }

    final List<String> heard = new ArrayList<>();
    final AgentListener listener = new AgentListener() {
        @Override
        public void databaseRestarted(SiteState state) {
            heard.add("restarted " + state);
        }

        @Override
        public void writesRefused(long epoch, boolean refused) {
            heard.add("writesRefused " + epoch + " " + refused);
        }
    };

    /** An agent on the writer site, timed by a clock the test moves. */
    Agent writer() {
        Agent w = new Agent(AWS, driver, r -> { sent.add(r); return next; }, List.of(), () -> nanos, listener);
        nanos += START_HOLD_NANOS; // past the hold after the agent's start (docs/design.md rule 9)
        next = goal(3, SiteState.PRIMARY_ASYNC);
        role = DbRole.DOWN;
        w.tick();
        assertThat(w.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        calls.clear();
        return w;
    }

    @Test
    void aCrashedWritersDatabaseIsStartedAgainAsPrimaryWithoutAnyNewGoal() {
        Agent w = writer();
        role = DbRole.DOWN; // postmaster killed
        w.tick();
        assertThat(calls).containsExactly("startAsPrimary", "sync none");
        assertThat(w.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(w.message()).contains("restarted");
        assertThat(sent).noneMatch(AgentReport::writesRefused);
        assertThat(heard).containsExactly("restarted PRIMARY_ASYNC");
    }

    @Test
    void aCrashedStandbyFollowsTheWriterAgain() {
        next = goal(1, SiteState.STANDBY);
        agent.tick();
        calls.clear();
        role = DbRole.DOWN;
        agent.tick();
        assertThat(calls).containsExactly("follow gcp");
        assertThat(agent.state()).isEqualTo(SiteState.STANDBY);
    }

    @Test
    void aWriterWhoseDatabaseCannotStartProvesItRefusesWritesThenSaysSo() {
        Agent w = writer();
        role = DbRole.DOWN;
        startResult = StepResult.failed("PG_VERSION missing");
        w.tick();
        nanos += 300_000_000L;
        w.tick();
        assertThat(calls).as("two failed starts within 500 ms: keep trying").containsExactly("startAsPrimary", "startAsPrimary");
        nanos += 300_000_000L;
        w.tick();
        assertThat(calls).containsExactly("startAsPrimary", "startAsPrimary", "startAsPrimary", "refuseWritesOnStart 3");
        assertThat(sent).as("nothing claimed before the proof").noneMatch(AgentReport::writesRefused);
        assertThat(w.progressed()).as("the arbiter hears of it at once").isTrue();
        w.tick();
        assertThat(sent.getLast().writesRefused()).isTrue();
        assertThat(calls).as("no start while the proof is out").endsWith("refuseWritesOnStart 3");

        // Later: withdraw the proof, and lift it only on an answer that still names this site the writer.
        nanos += 5_000_000_000L;
        calls.clear();
        startResult = StepResult.done();
        w.tick();
        assertThat(sent.getLast().writesRefused()).isFalse();
        assertThat(calls).containsExactly("allowWritesOnStart", "startAsPrimary", "sync none");
        assertThat(w.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(heard).containsExactly("writesRefused 3 true", "writesRefused 3 false", "restarted PRIMARY_ASYNC");
    }

    @Test
    void theRefusalIsNotLiftedWhenTheArbiterMovedOn() {
        Agent w = writer();
        role = DbRole.DOWN;
        startResult = StepResult.failed("PG_VERSION missing");
        w.tick();
        nanos += 600_000_000L;
        w.tick();
        assertThat(refusedEpoch).hasValue(3);
        w.tick();
        assertThat(sent.getLast().writesRefused()).isTrue();
        // the arbiter took the fast path: a new writer in epoch 4; this site is told to stand down
        nanos += 5_000_000_000L;
        calls.clear();
        next = new Assignment(4, SiteState.DEMOTED, GCP, Optional.empty(), Optional.empty(), "stand down", Optional.empty());
        w.tick();
        assertThat(calls).doesNotContain("allowWritesOnStart", "startAsPrimary");
        assertThat(refusedEpoch).hasValue(3);
        assertThat(w.state()).isEqualTo(SiteState.DEMOTED);
    }

    @Test
    void afterAFastPathAReJoinAndAPromotionOneFailedStartIsNotEnoughForAnotherProof() {
        Agent w = writer();
        role = DbRole.DOWN;
        startResult = StepResult.failed("PG_VERSION missing");
        w.tick();
        nanos += 600_000_000L;
        w.tick();
        assertThat(refusedEpoch).as("first fast path").hasValue(3);
        // the arbiter failed over; this site stands down, re-joins as a standby, and is promoted later
        next = new Assignment(4, SiteState.DEMOTED, GCP, Optional.empty(), Optional.empty(), "stand down", Optional.empty());
        w.tick();
        next = new Assignment(4, SiteState.STANDBY, GCP, Optional.empty(), Optional.empty(), "follow gcp", Optional.empty());
        w.tick();
        assertThat(w.state()).isEqualTo(SiteState.STANDBY);
        assertThat(refusedEpoch).as("following a writer lifts the refusal").isEmpty();
        next = goal(5, SiteState.PRIMARY_ASYNC);
        w.tick();
        assertThat(w.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
        role = DbRole.PRIMARY;

        // a new crash, and one start that fails: the rule is two failed starts over >= 500 ms, counted afresh
        calls.clear();
        role = DbRole.DOWN;
        nanos += 10_000_000_000L;
        w.tick();
        assertThat(calls).containsExactly("startAsPrimary");
        assertThat(refusedEpoch).as("one failed start of a fresh crash: keep trying").isEmpty();
    }

    @Test
    void aDriverThatCannotProveItNeverClaimsRefusedWrites() {
        canRefuseWrites = false; // e.g. CloudNativePG
        Agent w = writer();
        role = DbRole.DOWN;
        startResult = StepResult.failed("cannot start");
        for (int i = 0; i < 5; i++) {
            w.tick();
            nanos += 300_000_000L;
        }
        assertThat(calls).contains("refuseWritesOnStart 3");
        assertThat(sent).noneMatch(AgentReport::writesRefused);
    }

    @Test
    void aNewAgentFindingTheRefusalLiftsItOnlyAsTheWriterOfThatEpoch() {
        refusedEpoch = OptionalLong.of(3);
        role = DbRole.DOWN;
        Agent w = new Agent(AWS, driver, r -> { sent.add(r); return next; }, List.of(), () -> nanos, new AgentListener() { });
        nanos += START_HOLD_NANOS;
        next = goal(5, SiteState.PRIMARY_ASYNC); // writer again, but of a later epoch (e.g. forced)
        w.tick();
        nanos += 1_000_000_000L;
        w.tick();
        assertThat(calls).doesNotContain("allowWritesOnStart", "startAsPrimary", "refuseWritesOnStart 5");
        assertThat(refusedEpoch).as("the refusal keeps its epoch").hasValue(3);
        assertThat(w.message()).contains("refuses writes since the fast path of epoch 3");
        assertThat(w.state()).isEqualTo(SiteState.INIT);
        next = goal(3, SiteState.PRIMARY_ASYNC);
        w.tick();
        assertThat(calls).containsSubsequence("allowWritesOnStart", "startAsPrimary");
        assertThat(w.state()).isEqualTo(SiteState.PRIMARY_ASYNC);
    }
}
