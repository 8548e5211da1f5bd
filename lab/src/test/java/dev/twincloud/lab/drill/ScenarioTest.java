package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScenarioTest {

    @Test
    void allMeansEveryFaultScenarioOnceAndListsKeepTheirOrder() {
        assertThat(Scenario.parse("all")).hasSize(Scenario.values().length - 3 - Scenario.NEED_REPLICAS.size())
                .doesNotContain(Scenario.NONE, Scenario.LOAD, Scenario.RESTORE).doesNotContainAnyElementsOf(Scenario.NEED_REPLICAS);
        assertThat(Scenario.parse("switchover,kill-writer,switchover")).containsExactly(Scenario.SWITCHOVER, Scenario.KILL_WRITER);
        assertThatThrownBy(() -> Scenario.parse("kill-everything")).hasMessageContaining("kill-writer");
        assertThat(Scenario.parse("all,-random,load")).doesNotContain(Scenario.RANDOM).endsWith(Scenario.LOAD)
                .hasSize(Scenario.parse("all").size());
        assertThatThrownBy(() -> Scenario.parse("kill-writer,-random")).hasMessageContaining("-random leaves out a scenario not listed before it");
    }

    @Test
    void loadIsTheNoneScheduleForAMinuteAtHalfTheMeasuredMaximumAndExpectsNoPromotion() {
        assertThat(Scenario.parse("load")).containsExactly(Scenario.LOAD);
        assertThat(Scenario.parse("all,load")).endsWith(Scenario.LOAD).contains(Scenario.KILL_WRITER);
        assertThat(Scenario.byId(" LOAD ")).isEqualTo(Scenario.LOAD);
        assertThat(Scenario.LOAD.schedule(1)).isEqualTo(Scenario.NONE.schedule(1)).isEmpty();
        assertThat(Scenario.LOAD.quietPhaseMs()).isEqualTo(60_000);
        assertThat(Scenario.NONE.quietPhaseMs()).isEqualTo(6_000);
        assertThat(Scenario.LOAD_FRACTION).isGreaterThanOrEqualTo(0.5);
        assertThat(Scenario.LOAD.minFailovers).isZero();
        assertThat(Scenario.LOAD.maxFailovers(List.of())).isZero();
        assertThat(Scenario.LOAD.unplanned).isFalse();
        assertThatThrownBy(() -> Scenario.parse("lod")).hasMessageContaining("load");
    }

    @Test
    void theSameSeedGivesTheSameRandomScheduleAndOthersDiffer() {
        assertThat(Scenario.RANDOM.schedule(42)).isEqualTo(Scenario.RANDOM.schedule(42));
        long distinct = java.util.stream.LongStream.range(0, 20).mapToObj(Scenario.RANDOM::schedule).distinct().count();
        assertThat(distinct).isGreaterThan(10);
    }

    @Test
    void everyFaultOfAScheduleIsRepairedWithinItAndStepsAreInTimeOrder() {
        for (Scenario s : Scenario.values()) {
            for (long seed = 0; seed < 30; seed++) {
                List<FaultStep> steps = s.schedule(seed);
                long faults = steps.stream().filter(x -> x.action().fault && x.action() != FaultStep.Action.SWITCHOVER
                        && x.action() != FaultStep.Action.ROLLING_RESTART_ARBITER).count(); // planned: nothing to repair
                long repairs = steps.stream().filter(x -> !x.action().fault && x.action() != FaultStep.Action.SAVE_ARBITER_STATE
                        && x.action() != FaultStep.Action.RESTORE_DRILL).count(); // a check, not a repair
                assertThat(repairs).as(s.id + " seed " + seed + " " + steps).isEqualTo(faults);
                for (int i = 1; i < steps.size(); i++) {
                    assertThat(steps.get(i).atMs()).isGreaterThanOrEqualTo(steps.get(i - 1).atMs());
                }
            }
        }
    }

    /** docs/design.md rule 9: losing the arbiter (any way) promotes nobody; losing the writer from both does. */
    @Test
    void theFailsafeScenariosExpectNoPromotionUnlessTheWriterIsCutOffFromBoth() {
        assertThat(expected(Scenario.PARTITION_WRITER_ARBITER)).containsExactly(0, 0);
        assertThat(expected(Scenario.PARTITION_ARBITER_STANDBY)).containsExactly(0, 0);
        assertThat(expected(Scenario.PARTITION_ARBITER)).containsExactly(0, 0);
        assertThat(expected(Scenario.KILL_ARBITER)).containsExactly(0, 0);
        assertThat(expected(Scenario.ISOLATE_WRITER)).containsExactly(1, 1);
        assertThat(Scenario.ISOLATE_WRITER.unplanned).isTrue();
        assertThat(Scenario.ISOLATE_WRITER.schedule(0)).filteredOn(x -> x.action() == FaultStep.Action.PARTITION)
                .extracting(FaultStep::target, FaultStep::other)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("writer", "arbiter"), org.assertj.core.groups.Tuple.tuple("writer", "standby"));
        assertThat(expected(Scenario.ARBITER_RESTART_OLD_STATE)).as("the switchover").containsExactly(1, 1);
        assertThat(Scenario.ARBITER_RESTART_OLD_STATE.schedule(0)).extracting(FaultStep::action).containsExactly(
                FaultStep.Action.SAVE_ARBITER_STATE, FaultStep.Action.SWITCHOVER, FaultStep.Action.RESTART_ARBITER_FROM_SAVED,
                FaultStep.Action.CHECK_ARBITER_REFUSES);
    }

    @Test
    void withTwoReplicasAllHasTheReplicaScenariosInsteadOfRestoringTheStateFile() {
        List<Scenario> two = Scenario.parse("all", 2);
        assertThat(two).containsAll(Scenario.NEED_REPLICAS).doesNotContain(Scenario.ARBITER_RESTART_OLD_STATE, Scenario.NONE, Scenario.LOAD)
                .contains(Scenario.KILL_ARBITER, Scenario.KILL_WRITER);
        assertThat(Scenario.parse("all", 1)).isEqualTo(Scenario.parse("all")).contains(Scenario.ARBITER_RESTART_OLD_STATE);
        assertThat(Scenario.parse("kill-acting-arbiter,kill-etcd-member,rolling-restart-arbiter", 2))
                .containsExactly(Scenario.KILL_ACTING_ARBITER, Scenario.KILL_ETCD_MEMBER, Scenario.ROLLING_RESTART_ARBITER);
        assertThatThrownBy(() -> Scenario.parse("kill-acting-arbiter")).hasMessage(
                "kill-acting-arbiter needs a drill lab with two arbiter replicas (--arbiter-replicas 2)");
        assertThatThrownBy(() -> Scenario.parse("arbiter-restart-old-state", 2)).hasMessageContaining(
                "arbiter-restart-old-state needs a drill lab with one arbiter");
    }

    /** Losing one arbiter replica or one etcd member, or restarting the replicas in turn, promotes nobody. */
    @Test
    void theReplicaScenariosExpectNoPromotionAndTargetWhatIsActingWhenTheyPlay() {
        for (Scenario s : Scenario.NEED_REPLICAS) {
            assertThat(expected(s)).as(s.id).containsExactly(0, 0);
            assertThat(s.unplanned).isFalse();
        }
        assertThat(Scenario.KILL_ACTING_ARBITER.schedule(0)).containsExactly(FaultStep.of(0, FaultStep.Action.KILL, "acting-arbiter"),
                FaultStep.of(8000, FaultStep.Action.REVIVE, "acting-arbiter"));
        assertThat(Scenario.KILL_ETCD_MEMBER.schedule(0)).containsExactly(FaultStep.of(0, FaultStep.Action.KILL, "etcd-leader"),
                FaultStep.of(4000, FaultStep.Action.REVIVE, "etcd-leader"));
        assertThat(Scenario.ROLLING_RESTART_ARBITER.schedule(0)).extracting(FaultStep::action)
                .containsExactly(FaultStep.Action.ROLLING_RESTART_ARBITER);
    }

    @Test
    void expectedFailoversOfARandomScheduleAreBoundedByItsWriterFaults() {
        List<FaultStep> steps = Scenario.RANDOM.schedule(7);
        int max = Scenario.RANDOM.maxFailovers(steps);
        assertThat(max).isBetween(0, 3);
        assertThat(Scenario.KILL_WRITER.maxFailovers(Scenario.KILL_WRITER.schedule(0))).isEqualTo(1);
    }

    @Test
    void theStrongerNemesisPausesOneComponentLongerThanATtlKillsOnlyAPostmasterHoldsTransactionsAndDelaysLinks() {
        long ttl = 2500;
        FaultStep agent = Scenario.PAUSE_WRITER_AGENT.schedule(0).get(0);
        assertThat(agent.action()).isEqualTo(FaultStep.Action.PAUSE);
        assertThat(agent.other()).isEqualTo("agent");
        assertThat(Scenario.PAUSE_WRITER_AGENT.schedule(0).get(1).atMs()).isGreaterThan(ttl);
        assertThat(Scenario.PAUSE_WRITER_API.schedule(0).get(0).other()).isEqualTo("api");
        assertThat(Scenario.PAUSE_WRITER_POSTMASTER.schedule(0).get(0).other()).isEqualTo("postgres");
        assertThat(Scenario.PAUSE_WRITER_POSTMASTER.schedule(0).get(1).atMs()).isGreaterThan(ttl);

        // expected promotions: what a correct system does
        assertThat(expected(Scenario.PAUSE_WRITER_AGENT)).containsExactly(1, 1);
        assertThat(expected(Scenario.PAUSE_WRITER_API)).containsExactly(0, 0);
        assertThat(expected(Scenario.PAUSE_WRITER_POSTMASTER)).containsExactly(0, 1);
        assertThat(expected(Scenario.KILL_WRITER_POSTMASTER)).as("0; 1 when the restart outlasts the lease on a loaded machine").containsExactly(0, 1);
        assertThat(expected(Scenario.KILL_STANDBY_POSTMASTER)).containsExactly(0, 0);
        assertThat(expected(Scenario.LONG_TXNS_DEPOSED)).containsExactly(1, 1);
        assertThat(expected(Scenario.DELAY_WRITER_ARBITER)).containsExactly(0, 0);
        assertThat(expected(Scenario.DELAY_REPLICATION)).containsExactly(0, 0);

        assertThat(Scenario.KILL_STANDBY_POSTMASTER.schedule(0)).extracting(FaultStep::action, FaultStep::target)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(FaultStep.Action.KILL_POSTGRES, "standby"),
                        org.assertj.core.groups.Tuple.tuple(FaultStep.Action.CHECK_POSTGRES, "standby"));

        // the held transactions are committed after the writer was cut off for longer than a ttl, before the heal
        List<FaultStep> txns = Scenario.LONG_TXNS_DEPOSED.schedule(0);
        // (cut off from the arbiter and the standby: with the failsafe, a cut from the arbiter alone deposes nobody)
        assertThat(txns).extracting(FaultStep::action).containsExactly(FaultStep.Action.OPEN_TXNS, FaultStep.Action.PARTITION,
                FaultStep.Action.PARTITION, FaultStep.Action.COMMIT_TXNS, FaultStep.Action.HEAL, FaultStep.Action.HEAL);
        assertThat(txns).filteredOn(x -> x.action() == FaultStep.Action.PARTITION).extracting(FaultStep::other)
                .containsExactly("arbiter", "standby");
        assertThat(txns.get(3).atMs() - txns.get(2).atMs()).isGreaterThan(ttl + 1500);
        assertThat(txns.get(4).atMs()).isGreaterThan(txns.get(3).atMs());

        FaultStep d = Scenario.DELAY_WRITER_ARBITER.schedule(0).get(0);
        assertThat(d.action()).isEqualTo(FaultStep.Action.DELAY);
        assertThat(d.ms()).isGreaterThan(100).isLessThan(250); // above the heartbeat, a round trip under the agent's 500 ms timeout
        assertThat(Scenario.SLOW_WRITER_ARBITER.schedule(0).get(0).ms()).isGreaterThan(250).isLessThan(ttl);
        assertThat(Scenario.DELAY_REPLICATION.schedule(0).get(0).other()).isEqualTo("standby");
        assertThat(d.toString()).contains("delay writer arbiter 200 ms");
    }

    @Test
    void randomDrawsTheNewFaultsTooAndKeepsAPostmasterCheckAfterItsKill() {
        java.util.Set<FaultStep.Action> seen = java.util.EnumSet.noneOf(FaultStep.Action.class);
        for (long seed = 0; seed < 300; seed++) {
            List<FaultStep> steps = Scenario.RANDOM.schedule(seed);
            steps.forEach(x -> seen.add(x.action()));
            for (FaultStep k : steps.stream().filter(x -> x.action() == FaultStep.Action.KILL_POSTGRES).toList()) {
                assertThat(steps).anyMatch(c -> c.action() == FaultStep.Action.CHECK_POSTGRES && c.target().equals(k.target())
                        && c.atMs() - k.atMs() == Scenario.POSTMASTER_CHECK_MS);
            }
        }
        assertThat(seen).contains(FaultStep.Action.PAUSE, FaultStep.Action.KILL_POSTGRES, FaultStep.Action.OPEN_TXNS,
                FaultStep.Action.COMMIT_TXNS, FaultStep.Action.DELAY, FaultStep.Action.UNDELAY);
    }

    private static List<Integer> expected(Scenario s) {
        return List.of(s.minFailovers, s.maxFailovers(s.schedule(0)));
    }
}
