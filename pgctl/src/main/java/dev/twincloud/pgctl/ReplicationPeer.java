package dev.twincloud.pgctl;

import dev.twincloud.core.protocol.Lsn;
/**
 * One row of pg_stat_replication on a primary: a connected standby (or pg_basebackup).
 *
 * @param applicationName the standby's application_name (what synchronous_standby_names matches)
 * @param state           "streaming", "catchup", "backup", ...
 * @param syncState       "sync", "quorum", "potential", "async"
 * @param flushLsn        last WAL position the standby flushed (null until reported)
 * @param replayLsn       last WAL position the standby replayed (null until reported)
 * @param replayLagMillis replay_lag in milliseconds (null when PostgreSQL shows none: idle, or just connected)
 */
public record ReplicationPeer(String applicationName, String state, String syncState, Lsn flushLsn, Lsn replayLsn,
                              Long replayLagMillis) {
    /** A row without a replay lag. */
    public ReplicationPeer(String applicationName, String state, String syncState, Lsn flushLsn, Lsn replayLsn) {
        this(applicationName, state, syncState, flushLsn, replayLsn, null);
    }
}
