package dev.twincloud.arbiter.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The arbiter's gauges over its published state, read at each scrape with the arbiter's clock. */
class ArbiterMetricsTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-30T10:00:00Z"));
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AtomicReference<ClusterState> state = new AtomicReference<>();
    final ArbiterConfig config = ArbiterConfig.defaults(List.of(GCP, AWS));

    ArbiterMetrics bound() {
        ArbiterMetrics m = new ArbiterMetrics(registry, now::get);
        m.bind(List.of(GCP, AWS), state::get, () -> 0, () -> state.get() != null);
        return m;
    }

    static DurableState durable(boolean writerSync, boolean eligible) {
        return new DurableState(3, GCP, Durability.SYNC, writerSync, eligible, Optional.empty(), 0, 3, false);
    }

    double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void leaseLeftSyncStateAndHowLongTheStandbyIsIneligible() {
        bound();
        state.set(ClusterState.loaded(durable(false, false), now.get(), config)); // lease: one ttl from the start
        assertThat(gauge("twincloud.arbiter.lease.remaining.seconds")).isEqualTo(config.leaseTtl().toNanos() / 1e9);
        assertThat(gauge("twincloud.arbiter.mode.sync")).isEqualTo(1);
        assertThat(gauge("twincloud.arbiter.writer.sync")).as("dropped to async").isZero();
        assertThat(gauge("twincloud.arbiter.standby.ineligible.seconds")).as("the first scrape that sees it").isZero();
        now.set(now.get().plus(Duration.ofSeconds(75)));
        assertThat(gauge("twincloud.arbiter.standby.ineligible.seconds")).isEqualTo(75);
        assertThat(gauge("twincloud.arbiter.lease.remaining.seconds")).as("ended").isZero();
        state.set(ClusterState.loaded(durable(true, true), now.get(), config));
        assertThat(gauge("twincloud.arbiter.standby.ineligible.seconds")).isZero();
        assertThat(gauge("twincloud.arbiter.writer.sync")).isEqualTo(1);
        state.set(ClusterState.loaded(durable(true, false), now.get(), config));
        now.set(now.get().plus(Duration.ofSeconds(5)));
        assertThat(gauge("twincloud.arbiter.standby.ineligible.seconds")).as("counted anew").isZero();
        now.set(now.get().plus(Duration.ofSeconds(5)));
        assertThat(gauge("twincloud.arbiter.standby.ineligible.seconds")).isEqualTo(5);
    }

    @Test
    void heartbeatAgePerSiteAndNothingOnAReplicaThatDoesNotAct() {
        bound();
        assertThat(gauge("twincloud.arbiter.epoch")).as("not acting").isNaN();
        assertThat(gauge("twincloud.arbiter.acting")).isZero();
        ClusterState loaded = ClusterState.loaded(durable(true, true), now.get(), config);
        state.set(new ClusterState(loaded.durable(), loaded.leaseExpiresAt(), loaded.writerLsn(), loaded.standbyMissingSince(),
                loaded.epochSince(), Map.of(GCP, new ClusterState.Streak(now.get().minusSeconds(60), now.get().minusMillis(1500))),
                loaded.newest(), loaded.barrier(), loaded.leaseMark(), loaded.writerHeardAtStart(), loaded.failsafe(), loaded.readLeaseUntil(), loaded.promotionReads()));
        assertThat(gauge("twincloud.arbiter.heartbeat.age.seconds", "site", "gcp")).isEqualTo(1.5);
        assertThat(gauge("twincloud.arbiter.heartbeat.age.seconds", "site", "aws")).as("never heard").isNaN();
        assertThat(gauge("twincloud.arbiter.acting")).isEqualTo(1);
        assertThat(gauge("twincloud.arbiter.failsafe.holding")).isZero();
    }

    @Test
    void everyEventKindIsCountedFromZero() {
        bound();
        for (EventKind k : EventKind.values()) {
            for (String site : List.of("gcp", "aws")) {
                assertThat(registry.get("twincloud.arbiter.events").tag("kind", k.name()).tag("site", site).counter().count())
                        .as(k.name() + " " + site).isZero();
            }
        }
    }
}
