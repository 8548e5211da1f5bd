package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.SiteId;
import java.util.List;
import java.util.Map;

/**
 * The outcome of one decision: the new state (store {@code state.durable()} before answering when it
 * changed), an assignment per site, events for the history, and alerts for a human.
 */
public record Decision(ClusterState state, Map<SiteId, Assignment> assignments, List<Event> events, List<String> alerts) {
    public Decision {
        assignments = Map.copyOf(assignments);
        events = List.copyOf(events);
        alerts = List.copyOf(alerts);
    }

    public Assignment assignmentFor(SiteId site) {
        return assignments.get(site);
    }
}
