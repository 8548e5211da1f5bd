package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The health checker's pace: the interval while a backend is healthy, the shorter one while none is. */
class HealthCheckerTest {

    private final Backend gcp = new Backend("gcp", URI.create("http://127.0.0.1:1"));
    private final Backend aws = new Backend("aws", URI.create("http://127.0.0.1:2"));

    @Test
    void probesQuicklyWhileNoBackendIsHealthyAndAtTheIntervalOtherwise() throws Exception {
        AtomicBoolean gcpIsWriter = new AtomicBoolean(false);
        AtomicInteger awsProbes = new AtomicInteger();
        Prober prober = b -> {
            if (b.name().equals("aws")) {
                awsProbes.incrementAndGet();
                return Prober.Result.notWriter("standby");
            }
            return gcpIsWriter.get() ? new Prober.Result(true, "200") : Prober.Result.notWriter("fenced");
        };
        var pool = new BackendPool(List.of(gcp, aws), 1, 2, true, new EdgeMetrics(List.of("gcp", "aws")), Clock.systemUTC());
        try (var checker = new HealthChecker(pool, prober, Duration.ofMillis(400), Duration.ofMillis(10))) {
            checker.start();
            Thread.sleep(800);
            int noneHealthy = awsProbes.getAndSet(0);
            gcpIsWriter.set(true);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!pool.anyHealthy() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(pool.anyHealthy()).isTrue();
            awsProbes.set(0);
            Thread.sleep(800);
            int oneHealthy = awsProbes.get();
            // 800 ms: at 10 ms up to 80 probes, at 400 ms at most 3 (wide margins: a busy machine)
            assertThat(noneHealthy).as("probes of aws in 800 ms while none was healthy").isGreaterThan(8);
            assertThat(oneHealthy).as("probes of aws in 800 ms while gcp was healthy").isLessThanOrEqualTo(4);
        }
    }

    @Test
    void theLabProfileProbesEveryTenMillisecondsWhileNoneIsHealthyAndTheCloudProfileNever() {
        assertThat(EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--profile", "lab").noneHealthyInterval())
                .isEqualTo(Duration.ofMillis(10));
        assertThat(EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--profile", "cloud").noneHealthyInterval())
                .isEqualTo(Duration.ofMillis(1000));
        assertThat(EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--interval-ms", "300", "--timeout-ms", "100").noneHealthyInterval())
                .isEqualTo(Duration.ofMillis(300));
        assertThat(EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--profile", "cloud", "--interval-ms", "200", "--timeout-ms", "100")
                .noneHealthyInterval()).as("never longer than the interval").isEqualTo(Duration.ofMillis(200));
    }
}
