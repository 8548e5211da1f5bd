package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
class LinkLatencyTest {

    @Test
    void allDirectionsThenPairsOnTop() {
        Map<String, Duration> l = LinkLatency.parse(10, List.of("gcp-aws=35", "arbiter->gcp=2"));
        assertThat(l).hasSize(6)
                .containsEntry("gcp->aws", Duration.ofMillis(35)).containsEntry("aws->gcp", Duration.ofMillis(35))
                .containsEntry("gcp->arbiter", Duration.ofMillis(10)).containsEntry("arbiter->gcp", Duration.ofMillis(2))
                .containsEntry("aws->arbiter", Duration.ofMillis(10)).containsEntry("arbiter->aws", Duration.ofMillis(10));
        assertThat(LinkLatency.parse(0, List.of())).isEmpty();
        assertThat(LinkLatency.parse(0, List.of("gcp->aws=5"))).containsExactly(Map.entry("gcp->aws", Duration.ofMillis(5)));
        assertThat(LinkLatency.parse(10, List.of("gcp-aws=0"))).as("0 takes a pair out").doesNotContainKeys("gcp->aws", "aws->gcp");
    }

    @Test
    void specsRoundTripForADetachedLab() {
        Map<String, Duration> l = LinkLatency.parse(0, List.of("gcp->aws=5", "aws-arbiter=7"));
        assertThat(LinkLatency.parse(0, LinkLatency.toSpecs(l))).isEqualTo(l);
    }

    @Test
    void badSpecsSayWhy() {
        assertThatThrownBy(() -> LinkLatency.parse(0, List.of("gcp-aws"))).hasMessageContaining("looks like gcp-aws=10");
        assertThatThrownBy(() -> LinkLatency.parse(0, List.of("gcp-aws=fast"))).hasMessageContaining("whole milliseconds");
        assertThatThrownBy(() -> LinkLatency.parse(0, List.of("gcp-gcp=1"))).hasMessageContaining("must name two of");
        assertThatThrownBy(() -> LinkLatency.parse(0, List.of("gcp-aws=700000"))).hasMessageContaining("between 0 and 600000");
        assertThatThrownBy(() -> LinkLatency.parse(-1, List.of())).hasMessageContaining("--link-latency-ms");
    }
}
