package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ScenarioTest {

    @Test
    void allMeansEveryFaultScenarioOnceAndListsKeepTheirOrder() {
        assertThat(Scenario.parse("all")).hasSize(Scenario.values().length - 1).doesNotContain(Scenario.NONE);
        assertThat(Scenario.parse("switchover,kill-writer,switchover")).containsExactly(Scenario.SWITCHOVER, Scenario.KILL_WRITER);
        assertThatThrownBy(() -> Scenario.parse("kill-everything")).hasMessageContaining("kill-writer");
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
                long faults = steps.stream().filter(x -> x.action().fault && x.action() != FaultStep.Action.SWITCHOVER).count();
                long repairs = steps.stream().filter(x -> !x.action().fault).count();
                assertThat(repairs).as(s.id + " seed " + seed + " " + steps).isEqualTo(faults);
                for (int i = 1; i < steps.size(); i++) {
                    assertThat(steps.get(i).atMs()).isGreaterThanOrEqualTo(steps.get(i - 1).atMs());
                }
            }
        }
    }

    @Test
    void expectedFailoversOfARandomScheduleAreBoundedByItsWriterFaults() {
        List<FaultStep> steps = Scenario.RANDOM.schedule(7);
        int max = Scenario.RANDOM.maxFailovers(steps);
        assertThat(max).isBetween(0, 3);
        assertThat(Scenario.KILL_WRITER.maxFailovers(Scenario.KILL_WRITER.schedule(0))).isEqualTo(1);
    }
}
