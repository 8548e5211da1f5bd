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

    final PostgresDriver driver = new PostgresDriver() {
        public Observation observe() {
            return new Observation(DbRole.STANDBY, 1, 1, Lsn.ZERO, Lsn.ZERO, List.of());
        }
        public StepResult startAsPrimary() { calls.add("startAsPrimary"); return StepResult.done(); }
        public StepResult followWriter(SiteId w) { calls.add("follow " + w); return StepResult.done(); }
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
    }, List.of("public"), System::nanoTime, new AgentListener() { });

    static Assignment goal(long epoch, SiteState s) {
        return new Assignment(epoch, s, s.isWriter() ? AWS : GCP, Optional.empty(), Optional.empty(), "test", Optional.empty());
    }

    /** The arbiter's promote goal of a planned switchover, carrying the old writer's demotion token. */
    static Assignment promoteWith(long epoch, String token) {
        return new Assignment(epoch, SiteState.PRIMARY_ASYNC, AWS, Optional.empty(), Optional.empty(), "test", Optional.of(token));
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

    @Test
    void anUnreachableArbiterChangesNothing() {
        Agent lonely = new Agent(AWS, driver, r -> { throw new java.io.IOException("connection refused"); },
                List.of("public"), System::nanoTime, new AgentListener() { });
        assertThat(lonely.tick()).isEmpty();
        assertThat(lonely.state()).isEqualTo(SiteState.INIT);
        assertThat(calls).isEmpty();
    }
}
