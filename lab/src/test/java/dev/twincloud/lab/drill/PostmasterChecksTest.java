package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.drill.FaultStep.Action;
import org.junit.jupiter.api.Test;

class PostmasterChecksTest {

    @Test
    void aCheckAfterTheWholeSiteWasKilledIsMoot() {
        PostmasterChecks c = new PostmasterChecks();
        c.played(Action.KILL_POSTGRES, "gcp", "", "kill-postgres writer (gcp)");
        c.played(Action.KILL, "gcp", "", "kill writer (gcp)");
        assertThat(c.moot("gcp")).contains("kill writer (gcp)");
    }

    @Test
    void aCheckIsFairWhenOnlyOtherSitesOrOtherComponentsWereHit() {
        PostmasterChecks c = new PostmasterChecks();
        c.played(Action.KILL_POSTGRES, "gcp", "", "kill-postgres writer (gcp)");
        c.played(Action.KILL, "aws", "", "kill standby (aws)");
        c.played(Action.PAUSE, "gcp", "api", "pause writer-api (gcp-api)");
        c.played(Action.PARTITION, "gcp", "arbiter", "partition writer-arbiter (gcp-arbiter)");
        assertThat(c.moot("gcp")).isEmpty();
    }

    @Test
    void aPausedAgentMakesTheCheckMootAndEachKillIsJudgedOnItsOwn() {
        PostmasterChecks c = new PostmasterChecks();
        c.played(Action.PAUSE, "gcp", "agent", "pause writer-agent (gcp-agent)"); // before any kill: nothing to judge
        c.played(Action.KILL_POSTGRES, "gcp", "", "kill-postgres writer (gcp)");
        c.played(Action.PAUSE, "gcp", "agent", "pause writer-agent (gcp-agent)");
        assertThat(c.moot("gcp")).contains("pause writer-agent (gcp-agent)");
        c.played(Action.KILL_POSTGRES, "gcp", "", "kill-postgres writer (gcp)");
        assertThat(c.moot("gcp")).isEmpty();
    }
}
