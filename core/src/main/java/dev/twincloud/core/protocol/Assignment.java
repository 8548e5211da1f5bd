package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param hurry          a switchover or the new writer's first lease is under way: the site should send
 *                       its next heartbeat soon rather than after the usual interval, so no step of the
 *                       change waits for a heartbeat (false from an arbiter that does not send it)
 * @param readLease      for the synchronous standby in sync mode: a read lease (docs/design.md rule 10),
 *                       valid {@code ttlMillis} from when the agent sent its heartbeat; empty otherwise
 *                       (and from an arbiter that does not grant them)
 */
public record Assignment(
        long epoch,
        SiteState goal,
        SiteId writer,
        Optional<SiteId> syncStandby,
        Optional<LeaseGrant> lease,
        String why,
        Optional<String> promotionToken,
        boolean hurry,
        Optional<LeaseGrant> readLease) {

    /** From JSON: an older arbiter sends no {@code hurry}; it reads as false, not as an error. */
    @JsonCreator
    static Assignment fromJson(
            @JsonProperty("epoch") long epoch,
            @JsonProperty("goal") SiteState goal,
            @JsonProperty("writer") SiteId writer,
            @JsonProperty("syncStandby") Optional<SiteId> syncStandby,
            @JsonProperty("lease") Optional<LeaseGrant> lease,
            @JsonProperty("why") String why,
            @JsonProperty("promotionToken") Optional<String> promotionToken,
            @JsonProperty("hurry") Boolean hurry,
            @JsonProperty("readLease") Optional<LeaseGrant> readLease) {
        return new Assignment(epoch, goal, writer, syncStandby, lease, why, promotionToken, hurry != null && hurry, readLease);
    }

    /** An assignment without a read lease. */
    public Assignment(long epoch, SiteState goal, SiteId writer, Optional<SiteId> syncStandby,
                      Optional<LeaseGrant> lease, String why, Optional<String> promotionToken, boolean hurry) {
        this(epoch, goal, writer, syncStandby, lease, why, promotionToken, hurry, Optional.empty());
    }

    /** An assignment that does not ask for a hurried heartbeat. */
    public Assignment(long epoch, SiteState goal, SiteId writer, Optional<SiteId> syncStandby,
                      Optional<LeaseGrant> lease, String why, Optional<String> promotionToken) {
        this(epoch, goal, writer, syncStandby, lease, why, promotionToken, false);
    }

    public Assignment {
        Objects.requireNonNull(goal, "goal");
        Objects.requireNonNull(writer, "writer");
        syncStandby = syncStandby == null ? Optional.empty() : syncStandby;
        lease = lease == null ? Optional.empty() : lease;
        why = why == null ? "" : why;
        promotionToken = Tokens.normalize(promotionToken, "promotionToken");
        readLease = readLease == null ? Optional.empty() : readLease;
    }
}
