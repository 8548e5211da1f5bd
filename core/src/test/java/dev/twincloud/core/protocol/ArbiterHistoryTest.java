package dev.twincloud.core.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The status page's chart data: throughput is the writer's WAL position delta over time. */
class ArbiterHistoryTest {
    static final Instant T = Instant.parse("2026-11-30T09:00:00Z");
    static final SiteId GCP = SiteId.of("gcp");

    static ArbiterHistory.Sample at(long millis, Lsn lsn) {
        return new ArbiterHistory.Sample(T.plusMillis(millis), 1, GCP, Optional.ofNullable(lsn), null, Map.of("aws", 0L));
    }

    @Test
    void throughputIsTheWalWrittenPerSecondBetweenTwoSamples() {
        var before = at(0, Lsn.parse("0/3000000"));
        var after = at(500, Lsn.parse("0/3100000")); // 1 MiB in half a second

        assertThat(after.after(before).writeBytesPerSecond()).contains(2L * 1024 * 1024);
        assertThat(after.writeBytesPerSecond()).as("unknown until compared with the sample before").isEmpty();
        assertThat(at(1000, Lsn.parse("0/3000000")).after(before).writeBytesPerSecond()).contains(0L);
    }

    @Test
    void throughputIsUnknownWithoutBothPositionsOrWhenThePositionWentBack() {
        var known = at(0, Lsn.parse("1/0"));
        assertThat(at(1000, null).after(known).writeBytesPerSecond()).isEmpty();
        assertThat(known.after(at(-1000, null)).writeBytesPerSecond()).isEmpty();
        assertThat(at(1000, Lsn.parse("0/FFFFFF00")).after(known).writeBytesPerSecond())
                .as("a new writer behind the old one (async failover)").isEmpty();
        assertThat(at(0, Lsn.parse("1/100")).after(known).writeBytesPerSecond()).as("no time passed").isEmpty();
    }

    @Test
    void missingOptionalFieldsMeanUnknown() {
        var s = new ArbiterHistory.Sample(T, 1, GCP, null, null, null);
        assertThat(s.writerLsn()).isEmpty();
        assertThat(s.lagBytes()).isEmpty();
        assertThat(new ArbiterHistory(T, 1000, 600_000, null).samples()).isEmpty();
    }
}
