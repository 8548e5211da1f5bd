package dev.twincloud.agent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.Timing;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class AgentRunnerTest {

    static final Duration INTERVAL = Duration.ofMillis(100);

    @Test
    void hurriesOnlyWhileAskedAndForABoundedTime() {
        assertThat(AgentRunner.pause(INTERVAL, false, 0)).isEqualTo(INTERVAL);
        assertThat(AgentRunner.pause(INTERVAL, true, 0)).isEqualTo(Timing.HURRIED_HEARTBEAT_INTERVAL);
        assertThat(AgentRunner.pause(INTERVAL, true, Timing.HURRY_AT_MOST.toNanos() - 1))
                .isEqualTo(Timing.HURRIED_HEARTBEAT_INTERVAL);
        assertThat(AgentRunner.pause(INTERVAL, true, Timing.HURRY_AT_MOST.toNanos())).as("hurried too long").isEqualTo(INTERVAL);
    }

    @Test
    void neverSlowsAHeartbeatThatIsAlreadyQuicker() {
        assertThat(AgentRunner.pause(Duration.ofMillis(5), true, 0)).isEqualTo(Duration.ofMillis(5));
    }
}
