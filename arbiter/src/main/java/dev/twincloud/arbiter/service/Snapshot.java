package dev.twincloud.arbiter.service;

import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.ClusterState;
import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A consistent copy of the arbiter's view at {@code now}, for the status endpoint. */
public record Snapshot(
        Instant now,
        ClusterState state,
        Map<SiteId, Observed> reports,
        Map<SiteId, Assignment> lastAssignments,
        List<String> alerts,
        ArbiterConfig config) {
}
