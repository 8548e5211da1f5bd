package dev.twincloud.core.protocol;

/**
 * A write lease granted by the arbiter. The agent turns it into a row in its database with
 * {@code valid_until = db_now + ttl - (time since the request left, measured after the database
 * clock was read)} (docs/design.md rule 2), so the lease always ends in the database before the
 * arbiter's own timer (started on receipt) does.
 */
public record LeaseGrant(long epoch, long ttlMillis) {
    public LeaseGrant {
        if (epoch < 1) {
            throw new IllegalArgumentException("lease epoch must be >= 1");
        }
        if (ttlMillis < 1) {
            throw new IllegalArgumentException("lease ttl must be positive");
        }
    }
}
