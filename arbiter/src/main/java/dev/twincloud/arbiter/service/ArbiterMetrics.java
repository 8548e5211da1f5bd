package dev.twincloud.arbiter.service;

import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.protocol.SiteId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The arbiter's meters ({@code /actuator/prometheus}): epoch, writer per site, standby eligibility
 * and alert count as gauges over the last committed state; events by kind, heartbeats and lease
 * grants per site as counters; a timer around decide + persist.
 */
public final class ArbiterMetrics {

    private final MeterRegistry registry;
    private final Timer decideTimer;
    private final Map<SiteId, Counter> heartbeats = new ConcurrentHashMap<>();
    private final Map<SiteId, Counter> grants = new ConcurrentHashMap<>();
    private final Map<String, Counter> events = new ConcurrentHashMap<>();

    public ArbiterMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.decideTimer = Timer.builder("twincloud.arbiter.decide")
                .description("one decision: decide, store the durable state when it changed, record events")
                .publishPercentileHistogram()
                .register(registry);
    }

    /** Registers the gauges, reading the published state and alerts whenever scraped. */
    void bind(List<SiteId> sites, Supplier<ClusterState> state, Supplier<Integer> alertCount) {
        Gauge.builder("twincloud.arbiter.epoch", () -> state.get().durable().epoch())
                .description("the current epoch").register(registry);
        for (SiteId site : sites) {
            Gauge.builder("twincloud.arbiter.writer", () -> state.get().durable().writer().equals(site) ? 1 : 0)
                    .description("1 for the site that is the writer of the current epoch")
                    .tag("site", site.name()).register(registry);
            heartbeats.put(site, Counter.builder("twincloud.arbiter.heartbeats").tag("site", site.name())
                    .description("heartbeats accepted").register(registry));
            grants.put(site, Counter.builder("twincloud.arbiter.lease.grants").tag("site", site.name())
                    .description("write leases granted (first grants and renewals)").register(registry));
        }
        Gauge.builder("twincloud.arbiter.standby.eligible", () -> state.get().durable().standbyEligible() ? 1 : 0)
                .description("1 when the standby may be promoted automatically in sync mode").register(registry);
        Gauge.builder("twincloud.arbiter.alerts", alertCount::get)
                .description("alerts currently raised for a human").register(registry);
    }

    Timer decideTimer() {
        return decideTimer;
    }

    void heartbeat(SiteId site) {
        heartbeats.get(site).increment();
    }

    void leaseGranted(SiteId site) {
        grants.get(site).increment();
    }

    void event(Event e) {
        events.computeIfAbsent(e.kind(), k -> Counter.builder("twincloud.arbiter.events").tag("kind", k)
                .description("events recorded in the history, by kind").register(registry)).increment();
    }
}
