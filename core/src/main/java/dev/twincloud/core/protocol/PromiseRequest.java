package dev.twincloud.core.protocol;

import java.util.Objects;

/**
 * Failsafe (docs/design.md rule 9): the writer's agent, not hearing from the arbiter, asks the
 * standby's agent not to be promoted for a while, so that it may keep its database lease meanwhile.
 *
 * @param writer   the asking site, the writer of {@code epoch}
 * @param epoch    the epoch the writer holds its lease in
 * @param writeLsn the writer's current WAL position, for the standby to check its own lag
 */
public record PromiseRequest(SiteId writer, long epoch, Lsn writeLsn) {
    public PromiseRequest {
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(writeLsn, "writeLsn");
        if (epoch < 1) {
            throw new IllegalArgumentException("epoch must be >= 1");
        }
    }
}
