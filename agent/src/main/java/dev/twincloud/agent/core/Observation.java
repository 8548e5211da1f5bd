package dev.twincloud.agent.core;

import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import java.util.List;
import java.util.Optional;

/**
 * One reading of the local PostgreSQL, taken by a {@link PostgresDriver}.
 *
 * @param walReceiverStreaming a standby: its WAL receiver is streaming from its upstream (in a two-site
 *                             system, the writer) — a promise to the writer needs it (docs/design.md rule 9)
 * @param archiveBacklog       WAL files waiting for the archiver; empty: unknown (reported as such, {@code
 *                             AgentReport#archiveBacklog})
 */
public record Observation(DbRole role, long systemId, int timeline, Lsn writeLsn, Lsn receiveLsn, List<ReplicaInfo> replicas,
                          boolean walReceiverStreaming, Optional<Integer> archiveBacklog) {
    public static Observation down() {
        return new Observation(DbRole.DOWN, 0, 0, Lsn.ZERO, Lsn.ZERO, List.of());
    }

    /** A reading without a known archive backlog. */
    public Observation(DbRole role, long systemId, int timeline, Lsn writeLsn, Lsn receiveLsn, List<ReplicaInfo> replicas,
                       boolean walReceiverStreaming) {
        this(role, systemId, timeline, writeLsn, receiveLsn, replicas, walReceiverStreaming, Optional.empty());
    }

    /** This reading with {@code backlog} WAL files waiting for the archiver (empty: unknown). */
    public Observation withArchiveBacklog(Optional<Integer> backlog) {
        return new Observation(role, systemId, timeline, writeLsn, receiveLsn, replicas, walReceiverStreaming, backlog);
    }

    /** A reading without a streaming WAL receiver (a primary, or a standby that is not streaming). */
    public Observation(DbRole role, long systemId, int timeline, Lsn writeLsn, Lsn receiveLsn, List<ReplicaInfo> replicas) {
        this(role, systemId, timeline, writeLsn, receiveLsn, replicas, false);
    }

    public Observation {
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
        writeLsn = writeLsn == null ? Lsn.ZERO : writeLsn;
        receiveLsn = receiveLsn == null ? writeLsn : receiveLsn;
        archiveBacklog = archiveBacklog == null ? Optional.empty() : archiveBacklog;
    }
}
