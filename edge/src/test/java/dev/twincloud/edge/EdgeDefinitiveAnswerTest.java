package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The edge with real HTTP backends whose health is on a port of its own (like the API's health
 * listener): a definitive "not the writer" drops the site at once with the lab profile's rule, and
 * counts as one failure among many without it (the cloud profile, like a GCP LB). The unhealthy threshold
 * is set so high that only the rule can explain a drop, so no timing margin decides the outcome.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeDefinitiveAnswerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int NEVER = 1_000_000;

    private static EdgeConfig config(FakeSite gcp, boolean definitiveDownAtOnce) {
        return new EdgeConfig("127.0.0.1", 0, List.of(new Backend("gcp", gcp.url(), gcp.healthPort())),
                "/actuator/health/writer", Duration.ofMillis(50), Duration.ofMillis(50), 1, NEVER,
                definitiveDownAtOnce ? EdgeConfig.Profile.LAB : EdgeConfig.Profile.CLOUD, definitiveDownAtOnce);
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void withTheRuleANotWriterAnswerDropsTheSiteAtOnce() throws Exception {
        try (FakeSite gcp = new FakeSite("gcp", true); EdgeServer edge = new EdgeServer(config(gcp, true)).start()) {
            gcp.healthy.set(true);
            await("gcp healthy (probed on its health port)", () -> edge.pool().active().isPresent());
            gcp.downVerdict.set("not-writer");
            gcp.healthy.set(false);
            await("gcp dropped on one definitive answer", () -> edge.pool().active().isEmpty());
            assertThat(edge.pool().status().getFirst().consecutiveFail()).isLessThan(NEVER);
        }
    }

    @Test
    void withTheRuleAnUnknownAnswerStillWaitsForTheThreshold() throws Exception {
        try (FakeSite gcp = new FakeSite("gcp", true); EdgeServer edge = new EdgeServer(config(gcp, true)).start()) {
            gcp.healthy.set(true);
            await("gcp healthy", () -> edge.pool().active().isPresent());
            gcp.downVerdict.set("unknown");
            gcp.healthy.set(false);
            await("several failed probes", () -> edge.pool().status().getFirst().consecutiveFail() >= 5);
            assertThat(edge.pool().active()).as("not definitive: only the threshold drops it").isPresent();
        }
    }

    @Test
    void withoutTheRuleANotWriterAnswerIsOneFailureLikeAnyOther() throws Exception {
        try (FakeSite gcp = new FakeSite("gcp", true); EdgeServer edge = new EdgeServer(config(gcp, false)).start()) {
            gcp.healthy.set(true);
            await("gcp healthy", () -> edge.pool().active().isPresent());
            gcp.downVerdict.set("not-writer");
            gcp.healthy.set(false);
            await("several failed probes", () -> edge.pool().status().getFirst().consecutiveFail() >= 5);
            assertThat(edge.pool().active()).as("cloud profile: the threshold applies").isPresent();
        }
    }
}
