package dev.twincloud.core.protocol;

import java.util.Objects;

/**
 * One row of the writer's {@code pg_stat_replication}, as the writer's agent saw it.
 *
 * @param name      the standby's {@code application_name}: by convention its site name
 * @param state     walsender state, e.g. {@code streaming}, {@code catchup}
 * @param syncState {@code sync}, {@code async}, {@code potential} or {@code quorum}
 * @param flushLsn  last WAL position the standby has flushed to disk
 */
public record ReplicaInfo(String name, String state, String syncState, Lsn flushLsn, Lsn replayLsn) {
    public ReplicaInfo {
        Objects.requireNonNull(name, "name");
        state = state == null ? "" : state;
        syncState = syncState == null ? "" : syncState;
        flushLsn = flushLsn == null ? Lsn.ZERO : flushLsn;
        replayLsn = replayLsn == null ? Lsn.ZERO : replayLsn;
    }

    public boolean isStreaming() {
        return "streaming".equals(state);
    }

    public boolean isSync() {
        return "sync".equals(syncState) && isStreaming();
    }
}
