package dev.twincloud.agent.cnpg;

import dev.twincloud.core.protocol.Lsn;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * What only PostgreSQL itself can tell (CloudNativePG's Cluster status carries no WAL positions):
 * read through the Cluster's read-write service, which in a replica Cluster points at the
 * designated primary.
 */
public interface SqlProbe {

    /** One reading; empty when the database does not answer. */
    Optional<Reading> read();

    /**
     * Ends a sleep of the database's startup process between two tries of its WAL sources, if it is in one (see
     * {@code Replication.wakeRecoveryFromRetrySleep}); true when it was. Never throws: false when it cannot.
     */
    boolean wakeRecoveryFromRetrySleep();

    /** A superuser connection to the local database (the lease guard). */
    Connection connect() throws SQLException;

    /**
     * @param inRecovery        pg_is_in_recovery()
     * @param systemId          system identifier
     * @param timeline          current timeline
     * @param writeLsn          current write position (primary) or replay position (standby)
     * @param receiveLsn        last received position (standby), else the write position
     * @param walReceiverStreaming a standby's WAL receiver is streaming from its source
     * @param replicas          pg_stat_replication rows (primary)
     * @param archiveBacklog    WAL files waiting for the archiver; empty: unknown
     */
    record Reading(boolean inRecovery, long systemId, int timeline, Lsn writeLsn, Lsn receiveLsn,
                   boolean walReceiverStreaming, List<Replica> replicas, Optional<Integer> archiveBacklog) {
        public Reading {
            replicas = replicas == null ? List.of() : List.copyOf(replicas);
            archiveBacklog = archiveBacklog == null ? Optional.empty() : archiveBacklog;
        }

        /** Without a known archive backlog. */
        public Reading(boolean inRecovery, long systemId, int timeline, Lsn writeLsn, Lsn receiveLsn,
                       boolean walReceiverStreaming, List<Replica> replicas) {
            this(inRecovery, systemId, timeline, writeLsn, receiveLsn, walReceiverStreaming, replicas, Optional.empty());
        }
    }

    /** One pg_stat_replication row ({@code replayLagMillis}: replay_lag, null when PostgreSQL shows none). */
    record Replica(String applicationName, String state, String syncState, Lsn flushLsn, Lsn replayLsn, Long replayLagMillis) {
        Replica(String applicationName, String state, String syncState, Lsn flushLsn, Lsn replayLsn) {
            this(applicationName, state, syncState, flushLsn, replayLsn, null);
        }
    }
}
