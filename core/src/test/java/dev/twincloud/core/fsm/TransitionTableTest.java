package dev.twincloud.core.fsm;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import org.junit.jupiter.api.Test;

class TransitionTableTest {

    @Test
    void everyRowIsUniqueAndSaysWhy() {
        var keys = new HashSet<String>();
        for (Transition t : TransitionTable.ROWS) {
            assertThat(keys.add(t.from() + "->" + t.to())).as("duplicate row " + t).isTrue();
            assertThat(t.from()).isNotEqualTo(t.to());
            assertThat(t.why()).isNotBlank();
        }
    }

    @Test
    void everyStateCanBeLeftAndEveryGoalCanBeReached() {
        for (SiteState s : SiteState.values()) {
            assertThat(TransitionTable.ROWS).as("a way out of " + s).anyMatch(t -> t.from() == s);
            if (s != SiteState.INIT) {
                assertThat(TransitionTable.ROWS).as("a way into " + s).anyMatch(t -> t.to() == s);
            }
        }
    }

    @Test
    void theAgentCanAlwaysReachTheWriterAndStandbyGoalsFromInit() {
        for (SiteState goal : SiteState.values()) {
            if (goal != SiteState.INIT) {
                assertThat(TransitionTable.find(SiteState.INIT, goal)).as("INIT -> " + goal).isPresent();
            }
        }
    }

    @Test
    void theDocsShowTheDiagramGeneratedFromTheTable() throws Exception {
        Path doc = Path.of("..", "docs", "failover.md");
        String text = Files.readString(doc);
        assertThat(text).as("docs/failover.md is regenerated from TransitionTable.mermaid()/markdown()")
                .contains(TransitionTable.mermaid()).contains(TransitionTable.markdown());
    }
}
