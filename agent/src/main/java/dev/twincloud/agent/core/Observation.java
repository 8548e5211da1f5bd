package dev.twincloud.agent.core;

import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import java.util.List;

/** One reading of the local PostgreSQL, taken by a {@link PostgresDriver}. */
public record Observation(DbRole role, long systemId, int timeline, Lsn writeLsn, Lsn receiveLsn, List<ReplicaInfo> replicas) {
    public static Observation down() {
        return new Observation(DbRole.DOWN, 0, 0, Lsn.ZERO, Lsn.ZERO, List.of());
    }

    public Observation {
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
        writeLsn = writeLsn == null ? Lsn.ZERO : writeLsn;
        receiveLsn = receiveLsn == null ? writeLsn : receiveLsn;
    }
}
