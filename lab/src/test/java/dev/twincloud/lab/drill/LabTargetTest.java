package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** When {@code arbiter-restart-old-state} may restart the arbiter: once the old writer has re-joined the new one. */
class LabTargetTest {
    private static final Instant NOW = Instant.parse("2026-12-02T05:00:00Z");

    private static ArbiterStatus status(Durability mode, boolean writerSync, boolean eligible, boolean switchingOver) {
        Optional<ArbiterStatus.Switchover> switchover = switchingOver
                ? Optional.of(new ArbiterStatus.Switchover(SiteId.of("aws"), SiteId.of("gcp"), NOW)) : Optional.empty();
        return new ArbiterStatus(NOW, 3, SiteId.of("gcp"), mode, writerSync, eligible, switchover, 1, 3, NOW.plusSeconds(2),
                Map.of(), List.of(), null);
    }

    @Test
    void inSyncTheWriterMustHaveItsSynchronousStandbyBack() {
        assertThat(LabTarget.standbyInSync(status(Durability.SYNC, true, true, false))).isTrue();
        assertThat(LabTarget.standbyInSync(status(Durability.SYNC, false, true, false)))
                .as("the writer does not commit with a synchronous standby yet").isFalse();
        assertThat(LabTarget.standbyInSync(status(Durability.SYNC, true, false, false)))
                .as("the old writer is still re-joining").isFalse();
        assertThat(LabTarget.standbyInSync(status(Durability.SYNC, true, true, true))).as("the switchover is under way").isFalse();
    }

    @Test
    void inAsyncAnEligibleStandbyIsEnough() {
        assertThat(LabTarget.standbyInSync(status(Durability.ASYNC, false, true, false))).isTrue();
        assertThat(LabTarget.standbyInSync(status(Durability.ASYNC, false, false, false))).isFalse();
    }
}
