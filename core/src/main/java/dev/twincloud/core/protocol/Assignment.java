package dev.twincloud.core.protocol;

import dev.twincloud.core.fsm.SiteState;
import java.util.Objects;
import java.util.Optional;

/**
 * The arbiter's answer to a heartbeat: the goal for the site, the current epoch and writer, and a
 * lease grant when the site is the writer and may write.
 *
 * @param syncStandby for a PRIMARY_SYNC goal, the site to name in {@code synchronous_standby_names}
 */
public record Assignment(
        long epoch,
        SiteState goal,
        SiteId writer,
        Optional<SiteId> syncStandby,
        Optional<LeaseGrant> lease,
        String why) {

    public Assignment {
        Objects.requireNonNull(goal, "goal");
        Objects.requireNonNull(writer, "writer");
        syncStandby = syncStandby == null ? Optional.empty() : syncStandby;
        lease = lease == null ? Optional.empty() : lease;
        why = why == null ? "" : why;
    }
}
