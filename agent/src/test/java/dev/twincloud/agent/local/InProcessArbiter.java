package dev.twincloud.agent.local;

import dev.twincloud.agent.core.ArbiterClient;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The real decider behind a method call instead of HTTP, for agent tests on real PostgreSQL. */
final class InProcessArbiter {
    final Decider decider;
    ClusterState state;
    final Map<SiteId, Observed> reports = new HashMap<>();
    final List<Event> events = new ArrayList<>();
    final Map<SiteId, Boolean> reachable = new HashMap<>();

    InProcessArbiter(SiteId writer, Duration ttl) {
        var config = new ArbiterConfig(List.of(SiteId.of("gcp"), SiteId.of("aws")), ttl, Duration.ofMillis(100),
                Duration.ofSeconds(2), Duration.ofMillis(500), 16 << 20, Duration.ofSeconds(10));
        decider = new Decider(config);
        state = ClusterState.loaded(DurableState.initial(writer, Durability.SYNC), Instant.now().minus(ttl.multipliedBy(2)), config);
    }

    ArbiterClient clientFor(SiteId site) {
        reachable.put(site, true);
        return report -> {
            if (!reachable.get(site)) {
                throw new java.io.IOException("partitioned from the arbiter");
            }
            synchronized (this) {
                Instant now = Instant.now();
                reports.put(site, new Observed(report, now));
                var d = decider.decide(state, reports, now, Optional.of(site));
                state = d.state();
                events.addAll(d.events());
                return d.assignmentFor(site);
            }
        };
    }

    synchronized void switchover(SiteId to) {
        var r = decider.requestSwitchover(state, reports, to, Instant.now());
        state = r.state().orElseThrow(() -> new AssertionError(r.error().orElse("")));
        events.addAll(r.events());
    }

    synchronized ClusterState state() {
        return state;
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    synchronized SiteId writer() {
        return state.durable().writer();
    }

    synchronized long epoch() {
        return state.durable().epoch();
    }

    synchronized Assignment peek(SiteId site) {
        return decider.decide(state, reports, Instant.now(), Optional.empty()).assignmentFor(site);
    }
}
