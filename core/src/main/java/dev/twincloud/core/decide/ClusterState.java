package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.Lsn;
import java.time.Instant;
import dev.twincloud.core.protocol.SiteId;
import java.util.Map;
import java.util.Optional;

/**
 * The arbiter's whole state: the durable part plus what lives only in memory.
 *
 * @param leaseExpiresAt      arbiter-clock end of the last lease granted; after a restart, restart
 *                            time + ttl (no new writer until one full ttl has passed)
 * @param writerLsn           the writer's last reported WAL position (ZERO = unknown)
 * @param standbyMissingSince since when the writer has reported its standby as not streaming
 * @param epochSince          when this arbiter assigned the current epoch (or loaded it)
 * @param reachable           per site, the current run of heartbeats without a gap longer than the
 *                            report timeout
 */
public record ClusterState(
        DurableState durable,
        Instant leaseExpiresAt,
        Lsn writerLsn,
        Optional<Instant> standbyMissingSince,
        Instant epochSince,
        Map<SiteId, Streak> reachable) {

    /** Heartbeats from a site arriving since {@code since}, the last at {@code last}. */
    public record Streak(Instant since, Instant last) {
    }

    public ClusterState {
        reachable = Map.copyOf(reachable);
    }

    /** The state right after the arbiter (re)starts with {@code durable} loaded from disk. */
    public static ClusterState loaded(DurableState durable, Instant now, ArbiterConfig config) {
        return new ClusterState(durable, now.plus(config.leaseTtl()), Lsn.ZERO, Optional.empty(), now, Map.of());
    }

    ClusterState with(DurableState d) {
        return new ClusterState(d, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, reachable);
    }

    /** A new epoch assigned at {@code now}. */
    ClusterState withNewEpoch(DurableState d, Instant now) {
        return new ClusterState(d, leaseExpiresAt, writerLsn, standbyMissingSince, now, reachable);
    }

    ClusterState withReachable(Map<SiteId, Streak> r) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, standbyMissingSince, epochSince, r);
    }

    ClusterState withLeaseExpiry(Instant at) {
        return new ClusterState(durable, at, writerLsn, standbyMissingSince, epochSince, reachable);
    }

    ClusterState withWriterLsn(Lsn lsn) {
        return new ClusterState(durable, leaseExpiresAt, lsn, standbyMissingSince, epochSince, reachable);
    }

    ClusterState withStandbyMissingSince(Optional<Instant> since) {
        return new ClusterState(durable, leaseExpiresAt, writerLsn, since, epochSince, reachable);
    }
}
