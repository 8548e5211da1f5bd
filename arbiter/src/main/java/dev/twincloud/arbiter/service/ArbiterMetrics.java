package dev.twincloud.arbiter.service;

import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The arbiter's meters ({@code /actuator/prometheus}): epoch, writer per site, standby eligibility
 * and alert count as gauges over the last committed state; events by kind, heartbeats, lease
 * grants and ignored (late, reordered, duplicated) reports per site as counters; a timer around decide + persist.
 * Also the lease's remaining time, the durability mode and the writer's sync state, the failsafe's hold,
 * how long the standby has been ineligible and the age of each site's last heartbeat, for the alert rules
 * (docs/observability.md).
 */
public final class ArbiterMetrics {

    private final MeterRegistry registry;
    private final Timer decideTimer;
    private final Map<SiteId, Counter> heartbeats = new ConcurrentHashMap<>();
    private final Map<SiteId, Counter> grants = new ConcurrentHashMap<>();
    private final Map<SiteId, Counter> ignored = new ConcurrentHashMap<>();
    private final Map<String, Counter> events = new ConcurrentHashMap<>();
    private final InstantSource clock;
    /** When a scrape first found the standby ineligible (null: eligible, or no state). */
    private volatile Instant ineligibleSince;

    public ArbiterMetrics(MeterRegistry registry) {
        this(registry, InstantSource.system());
    }

    public ArbiterMetrics(MeterRegistry registry, InstantSource clock) {
        this.registry = registry;
        this.clock = clock;
        this.decideTimer = Timer.builder("twincloud.arbiter.decide")
                .description("one decision: decide, store the durable state when it changed, record events")
                .publishPercentileHistogram()
                .register(registry);
    }

    /**
     * Registers the gauges, reading the published state and alerts whenever scraped. {@code state}
     * gives null on a replica that is not the elected one: its state gauges are then NaN (no sample),
     * so only the acting arbiter's values are summed or alerted on.
     */
    public void bind(List<SiteId> sites, Supplier<ClusterState> state, Supplier<Integer> alertCount,
                     BooleanSupplier acting) {
        Gauge.builder("twincloud.arbiter.acting", () -> acting.getAsBoolean() ? 1 : 0)
                .description("1 on the arbiter replica that acts (the only one, or the elected one)").register(registry);
        Gauge.builder("twincloud.arbiter.epoch", () -> orNaN(state, s -> s.durable().epoch()))
                .description("the current epoch").register(registry);
        for (SiteId site : sites) {
            Gauge.builder("twincloud.arbiter.writer", () -> orNaN(state, s -> s.durable().writer().equals(site) ? 1 : 0))
                    .description("1 for the site that is the writer of the current epoch")
                    .tag("site", site.name()).register(registry);
            heartbeatCounter(site);
            grantCounter(site);
            ignoredCounter(site);
        }
        Gauge.builder("twincloud.arbiter.standby.eligible", () -> orNaN(state, s -> s.durable().standbyEligible() ? 1 : 0))
                .description("1 when the standby may be promoted automatically (sync: confirmed in sync; "
                        + "async: streaming within max_lag by the writer's last report)").register(registry);
        // Every kind and site from zero: a rule's increase() sees the first FAILOVER too (a series born at 1 shows
        // no increase). The site is the event's own (the promoted site for a FAILOVER), so an alert names the site
        // the event was about, not whichever site writes when the rule is evaluated.
        for (EventKind kind : EventKind.values()) {
            for (SiteId site : sites) {
                eventCounter(kind, site);
            }
        }
        Gauge.builder("twincloud.arbiter.standby.ineligible.seconds", () -> ineligibleSeconds(state.get()))
                .description("how long the standby has not been eligible for promotion, from the first scrape that found it so "
                        + "(0 while eligible)").baseUnit("seconds").register(registry);
        Gauge.builder("twincloud.arbiter.alerts", alertCount::get)
                .description("alerts currently raised for a human").register(registry);
        Gauge.builder("twincloud.arbiter.lease.remaining.seconds",
                        () -> orNaN(state, s -> Math.max(0, seconds(Duration.between(clock.instant(), s.leaseExpiresAt())))))
                .description("how long the writer's last lease still runs by the arbiter's clock (0: ended)")
                .baseUnit("seconds").register(registry);
        Gauge.builder("twincloud.arbiter.failsafe.holding", () -> orNaN(state, s -> s.failsafe().holdingSince().isPresent() ? 1 : 0))
                .description("1 while the writer's lease lapsed at the arbiter and a failover is held by the standby's promise "
                        + "(the writer writes on the failsafe)").register(registry);
        Gauge.builder("twincloud.arbiter.mode.sync", () -> orNaN(state, s -> s.durable().mode() == Durability.SYNC ? 1 : 0))
                .description("1 when the durability mode is SYNC").register(registry);
        Gauge.builder("twincloud.arbiter.writer.sync", () -> orNaN(state, s -> s.durable().writerSync() ? 1 : 0))
                .description("1 when the writer replicates synchronously (0 in SYNC mode: dropped to async)").register(registry);
        for (SiteId site : sites) {
            Gauge.builder("twincloud.arbiter.heartbeat.age.seconds", () -> orNaN(state, s -> {
                        ClusterState.Streak streak = s.reachable().get(site);
                        return streak == null ? Double.NaN : Math.max(0, seconds(Duration.between(streak.last(), clock.instant())));
                    }))
                    .description("time since the arbiter last heard a heartbeat from the site (NaN before the first)")
                    .tag("site", site.name()).baseUnit("seconds").register(registry);
        }
    }

    private double ineligibleSeconds(ClusterState s) {
        if (s == null) {
            ineligibleSince = null;
            return Double.NaN;
        }
        if (s.durable().standbyEligible()) {
            ineligibleSince = null;
            return 0;
        }
        Instant now = clock.instant();
        Instant since = ineligibleSince;
        if (since == null) {
            ineligibleSince = since = now;
        }
        return seconds(Duration.between(since, now));
    }

    private static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    private static double orNaN(Supplier<ClusterState> state, java.util.function.ToDoubleFunction<ClusterState> f) {
        ClusterState s = state.get();
        return s == null ? Double.NaN : f.applyAsDouble(s);
    }

    Timer decideTimer() {
        return decideTimer;
    }

    private Counter heartbeatCounter(SiteId site) {
        return heartbeats.computeIfAbsent(site, s -> Counter.builder("twincloud.arbiter.heartbeats").tag("site", s.name())
                .description("heartbeats accepted").register(registry));
    }

    private Counter grantCounter(SiteId site) {
        return grants.computeIfAbsent(site, s -> Counter.builder("twincloud.arbiter.lease.grants").tag("site", s.name())
                .description("write leases granted (first grants and renewals)").register(registry));
    }

    private Counter ignoredCounter(SiteId site) {
        return ignored.computeIfAbsent(site, s -> Counter.builder("twincloud.arbiter.reports.ignored").tag("site", s.name())
                .description("reports ignored as not newer than the newest from the site (late, reordered or duplicated)")
                .register(registry));
    }

    void reportIgnored(SiteId site) {
        ignoredCounter(site).increment();
    }

    void heartbeat(SiteId site) {
        heartbeatCounter(site).increment();
    }

    void leaseGranted(SiteId site) {
        grantCounter(site).increment();
    }

    void event(Event e) {
        eventCounter(e.kind(), e.site()).increment();
    }

    /** {@code site} null (an event about no one site): the tag says {@code none}. */
    private Counter eventCounter(EventKind kind, SiteId site) {
        String s = site == null ? "none" : site.name();
        return events.computeIfAbsent(kind.name() + "/" + s, k -> Counter.builder("twincloud.arbiter.events")
                .tag("kind", kind.name()).tag("site", s)
                .description("events recorded in the history, by kind and the site they are about").register(registry));
    }
}
