package dev.twincloud.pgctl;

import dev.twincloud.core.protocol.Lsn;
import java.util.Optional;

/**
 * Where a server stands in replication, read in one query.
 *
 * @param inRecovery       pg_is_in_recovery(): true on a standby
 * @param systemIdentifier pg_control_system(): equal on a primary and its standbys, differs across clusters
 * @param timeline         current timeline: the receiver's on a streaming standby, else the last checkpoint's
 * @param currentLsn       primary: pg_current_wal_lsn(); standby: empty
 * @param receiveLsn       standby: pg_last_wal_receive_lsn() (empty until something was streamed)
 * @param replayLsn        standby: pg_last_wal_replay_lsn()
 * @param walReceiverStatus standby: pg_stat_wal_receiver.status ("streaming", ...), empty when no receiver runs
 * @param archiveBacklog   WAL files waiting for the archiver ({@code .ready} in {@code pg_wal/archive_status},
 *                         {@link WalArchiveStatus#backlog}); empty when the role may not read it
 */
public record ReplicationStatus(boolean inRecovery, long systemIdentifier, int timeline, Optional<Lsn> currentLsn,
                                Optional<Lsn> receiveLsn, Optional<Lsn> replayLsn,
                                Optional<String> walReceiverStatus, Optional<Integer> archiveBacklog) {

    public ReplicationStatus {
        archiveBacklog = archiveBacklog == null ? Optional.empty() : archiveBacklog;
    }

    /** The newest position this server has: current on a primary, replay on a standby. */
    public Optional<Lsn> position() {
        return inRecovery ? replayLsn : currentLsn;
    }
}
