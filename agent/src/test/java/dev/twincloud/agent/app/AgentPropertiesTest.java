package dev.twincloud.agent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.Timing;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/** The heartbeat interval comes from core's Timing unless set; application.yml passes an empty value when the variable is unset. */
class AgentPropertiesTest {

    static AgentProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("twincloud.agent", AgentProperties.class);
    }

    @Test
    void anEmptyOrMissingHeartbeatIntervalIsTheReferenceTiming() {
        assertThat(bind(Map.of("twincloud.agent.heartbeat-interval", "")).heartbeatInterval()).isEqualTo(Timing.HEARTBEAT_INTERVAL);
        assertThat(bind(Map.of("twincloud.agent.site", "gcp")).heartbeatInterval()).isEqualTo(Timing.HEARTBEAT_INTERVAL);
    }

    @Test
    void aSetHeartbeatIntervalWins() {
        assertThat(bind(Map.of("twincloud.agent.heartbeat-interval", "250ms")).heartbeatInterval()).isEqualTo(Duration.ofMillis(250));
    }
}
