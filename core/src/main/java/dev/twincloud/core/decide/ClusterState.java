package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.Lsn;
import java.time.Instant;
import java.util.Optional;

/**
 * The arbiter's whole state: the durable part plus what lives only in memory.
 *
 * @param leaseExpiresAt      arbiter-clock end of the last lease granted; after a restart, restart
 *                            time + ttl (no new writer until one full ttl has passed)
 * @param writerLsn           the writer's last reported WAL position (ZERO = unknown)
 * @param standbyMissingSince since when the writer has reported its standby as not streaming
 * @param epochSince          when this arbiter assigned the current epoch (or loaded it)
 */
public record ClusterState(
        DurableState durable,
        Instant leaseExpiresAt,
        Lsn writerLsn,
        Optional<Instant> standbyMissingSince,
        Instant epochSince) {

    /** The state right after the arbiter (re)starts with {@code durable} loaded from disk. */
    public static ClusterState loaded(DurableState durable, Instant now, ArbiterConfig config) {
        return new ClusterState(durable, now.plus(config.leaseTtl()), Lsn.ZERO, Optional.empty(), now);
    }

    ClusterState with(DurableState d) {
        return new ClusterState(d, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince);
    }

    /** A new epoch assigned at {@code now}. */
    ClusterState withNewEpoch(DurableState d, Instant now) {
        return new ClusterState(d, leaseExpiresAt, writerLsn, standbyMissingSince, now);
    }

    ClusterState withLeaseExpiry(Instant at) {
        return new ClusterState(durable, at, writerLsn, standbyMissingSince, epochSince);
    }

    ClusterState withWriterLsn(Lsn lsn) {
        return new ClusterState(durable, leaseExpiresAt, lsn, standbyMissingSince, epochSince);
    }

    ClusterState withStandbyMissingSince(Optional<Instant> since) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, since, epochSince);
    }
}
