package dev.twincloud.core.protocol;

import dev.twincloud.core.fsm.SiteState;
import java.util.Objects;
import java.util.Optional;

/**
 * The arbiter's answer to a heartbeat: the goal for the site, the current epoch and writer, and a
 * lease grant when the site is the writer and may write.
 *
 * @param syncStandby    for a PRIMARY_SYNC goal, the site to name in {@code synchronous_standby_names}
 * @param promotionToken for the target of a planned switchover, while it is told to promote: the old
 *                       writer's demotion token ({@link AgentReport#demotionToken()}), to promote
 *                       with; empty otherwise (and always after an unplanned failover or a forced
 *                       promotion)
 */
public record Assignment(
        long epoch,
        SiteState goal,
        SiteId writer,
        Optional<SiteId> syncStandby,
        Optional<LeaseGrant> lease,
        String why,
        Optional<String> promotionToken) {

    public Assignment {
        Objects.requireNonNull(goal, "goal");
        Objects.requireNonNull(writer, "writer");
        syncStandby = syncStandby == null ? Optional.empty() : syncStandby;
        lease = lease == null ? Optional.empty() : lease;
        why = why == null ? "" : why;
        promotionToken = Tokens.normalize(promotionToken, "promotionToken");
    }
}
