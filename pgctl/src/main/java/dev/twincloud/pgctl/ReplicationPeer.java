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
 */
public record ReplicationPeer(String applicationName, String state, String syncState, Lsn flushLsn, Lsn replayLsn) {
}
