package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackendPoolTest {

    private final Backend gcp = new Backend("gcp", URI.create("http://127.0.0.1:1"));
    private final Backend aws = new Backend("aws", URI.create("http://127.0.0.1:2"));
    private final MutableClock clock = new MutableClock(Instant.parse("2025-01-01T00:00:00Z"));
    private final EdgeMetrics metrics = new EdgeMetrics(List.of("gcp", "aws"));
    private final BackendPool pool = new BackendPool(List.of(gcp, aws), 2, 2, metrics, clock);

    private void probe(Backend b, boolean ok) {
        clock.advance(Duration.ofMillis(100));
        pool.record(b, ok, "test");
    }

    @Test
    void noneHealthyAtStart() {
        assertThat(pool.active()).isEmpty();
        assertThat(pool.route()).isEmpty();
    }

    @Test
    void followsTheOnlyHealthyBackend() {
        probe(aws, true);
        probe(aws, true);
        assertThat(pool.active()).contains(aws);
        probe(aws, false);
        assertThat(pool.active()).contains(aws); // one failure is below the threshold
        probe(aws, false);
        assertThat(pool.active()).isEmpty();
        assertThat(metrics.transitions("aws", true)).isEqualTo(1);
        assertThat(metrics.transitions("aws", false)).isEqualTo(1);
    }

    @Test
    void prefersTheBackendHealthyLongestAndCountsTheAnomaly() {
        probe(aws, true);
        probe(aws, true); // aws healthy first
        probe(gcp, true);
        probe(gcp, true);
        Optional<Backend> chosen = pool.route();
        assertThat(chosen).contains(aws);
        assertThat(metrics.multipleHealthyAnomalies()).isEqualTo(1);
        probe(aws, false);
        probe(aws, false);
        assertThat(pool.route()).contains(gcp);
        assertThat(metrics.multipleHealthyAnomalies()).isEqualTo(1);
    }

    @Test
    void statusReportsCounters() {
        probe(gcp, true);
        probe(aws, false);
        List<BackendPool.BackendStatus> s = pool.status();
        assertThat(s).extracting(x -> x.backend().name()).containsExactly("gcp", "aws");
        assertThat(s.get(0).consecutiveOk()).isEqualTo(1);
        assertThat(s.get(1).consecutiveFail()).isEqualTo(1);
        assertThat(s.get(0).healthy()).isFalse();
    }

    /**
     * The lab profile: a writer whose health answers come late under load turns unhealthy, but while no
     * other backend is healthy it keeps the traffic (no 503 from the edge); once it says "not the writer",
     * or another backend is healthy, it does not.
     */
    @Test
    void aWriterSlowedDownByLoadKeepsTheTrafficWhileNoOtherBackendIsHealthy() {
        BackendPool lab = new BackendPool(List.of(gcp, aws), 1, 2, true, metrics, clock);
        clock.advance(Duration.ofMillis(100));
        lab.record(gcp, new Prober.Result(true, "writer"));
        lab.record(aws, Prober.Result.notWriter("not-writer"));
        assertThat(lab.route()).contains(gcp);
        lab.record(gcp, new Prober.Result(false, "timeout after 80 ms"));
        lab.record(gcp, new Prober.Result(false, "timeout after 80 ms"));
        assertThat(lab.status().get(0).healthy()).isFalse();
        assertThat(lab.route()).as("slow, not refused: still the best guess").contains(gcp);
        clock.advance(BackendPool.LAST_RESORT_FOR.plusMillis(1));
        assertThat(lab.route()).as("not for long: a hung writer would swallow requests until the failover").isEmpty();
        lab.record(gcp, new Prober.Result(true, "writer"));
        lab.record(gcp, new Prober.Result(false, "timeout after 80 ms"));
        lab.record(gcp, new Prober.Result(false, "timeout after 80 ms"));
        assertThat(lab.route()).contains(gcp);

        lab.record(gcp, Prober.Result.notWriter("not-writer"));
        assertThat(lab.route()).as("it said it is not the writer").isEmpty();

        lab.record(gcp, new Prober.Result(true, "writer"));
        lab.record(gcp, new Prober.Result(false, "timeout"));
        lab.record(gcp, new Prober.Result(false, "timeout"));
        lab.record(aws, new Prober.Result(true, "writer"));
        assertThat(lab.route()).as("another backend is healthy").contains(aws);
    }

    /** The cloud profile, like a cloud load balancer: no last resort. */
    @Test
    void theCloudProfileHasNoLastResort() {
        probe(gcp, true);
        probe(gcp, true);
        probe(gcp, false);
        probe(gcp, false);
        assertThat(pool.route()).isEmpty();
    }
}
