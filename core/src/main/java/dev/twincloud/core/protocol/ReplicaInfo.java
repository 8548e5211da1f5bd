package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.Objects;
import java.util.Optional;

/**
 * One row of the writer's {@code pg_stat_replication}, as the writer's agent saw it.
 *
 * @param name            the standby's {@code application_name}: by convention its site name
 * @param state           walsender state, e.g. {@code streaming}, {@code catchup}
 * @param syncState       {@code sync}, {@code async}, {@code potential} or {@code quorum}
 * @param flushLsn        last WAL position the standby has flushed to disk
 * @param replayLsn       last WAL position the standby has replayed
 * @param replayLagMillis {@code replay_lag} in milliseconds: how long the standby took, lately, from the
 *                        writer's flush of WAL to its own replay of it. Absent when PostgreSQL shows none
 *                        (no WAL written for a while, the standby just connected) and from an older agent.
 *                        For display: the arbiter's decisions use the LSNs, not this.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplicaInfo(String name, String state, String syncState, Lsn flushLsn, Lsn replayLsn,
                          Optional<Long> replayLagMillis) {
    public ReplicaInfo {
        Objects.requireNonNull(name, "name");
        state = state == null ? "" : state;
        syncState = syncState == null ? "" : syncState;
        flushLsn = flushLsn == null ? Lsn.ZERO : flushLsn;
        replayLsn = replayLsn == null ? Lsn.ZERO : replayLsn;
        replayLagMillis = replayLagMillis == null ? Optional.empty() : replayLagMillis.filter(ms -> ms >= 0);
    }

    /** A row without a measured replay lag. */
    public ReplicaInfo(String name, String state, String syncState, Lsn flushLsn, Lsn replayLsn) {
        this(name, state, syncState, flushLsn, replayLsn, Optional.empty());
    }

    public boolean isStreaming() {
        return "streaming".equals(state);
    }

    public boolean isSync() {
        return "sync".equals(syncState) && isStreaming();
    }
}
