package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.edge.EdgeConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The lab passes only {@code --profile} to the edge, which owns the settings; the lab's copy of the
 * numbers (printed by {@code lab up} and the benchmarks) must stay equal to the edge's.
 */
class EdgeProfileTest {

    @ParameterizedTest
    @EnumSource(LabSettings.EdgeProfile.class)
    void theLabsNumbersAreTheEdges(LabSettings.EdgeProfile lab) {
        EdgeConfig edge = EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--profile", lab.flag());
        assertThat(edge.interval()).isEqualTo(lab.interval);
        assertThat(edge.timeout()).isEqualTo(lab.timeout);
        assertThat(edge.healthyThreshold()).isEqualTo(lab.healthy);
        assertThat(edge.unhealthyThreshold()).isEqualTo(lab.unhealthy);
        assertThat(edge.definitiveDownAtOnce()).isEqualTo(lab.definitiveDownAtOnce);
    }

    @Test
    void parsesAnyCaseAndRefusesOthersClearly() {
        assertThat(LabSettings.EdgeProfile.parse("Cloud")).isEqualTo(LabSettings.EdgeProfile.CLOUD);
        assertThat(LabSettings.EdgeProfile.parse("lab")).isEqualTo(LabSettings.EdgeProfile.LAB);
        assertThatThrownBy(() -> LabSettings.EdgeProfile.parse("aws")).hasMessage("edge profile must be lab or cloud, got: aws");
    }
}
