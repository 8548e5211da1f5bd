package dev.twincloud.core.protocol;

import dev.twincloud.core.fsm.SiteState;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A heartbeat: what one site's agent observed, sent to the arbiter every heartbeat interval.
 *
 * @param site              the reporting site
 * @param epoch             the newest epoch this agent has been told about
 * @param state             the state the agent has reached (the last goal it completed)
 * @param dbRole            what the local PostgreSQL is right now
 * @param systemId          PostgreSQL system identifier (0 if unknown): both sites must share it
 * @param timeline          current timeline id (0 if unknown)
 * @param writeLsn          primary: {@code pg_current_wal_lsn()}; standby: last replayed position
 * @param receiveLsn        standby: last position received and flushed from upstream (else = writeLsn)
 * @param replicas          primary: its {@code pg_stat_replication} rows, read <em>after</em> writeLsn
 * @param stopLsn           FENCED: the shutdown checkpoint location of the cleanly stopped server
 * @param message           a human-readable note (last action error, etc.), may be empty
 * @param demotionToken     FENCED: the token the driver produced when it demoted the database cleanly
 *                          (CloudNativePG's {@code status.demotionToken}), for the arbiter to hand to
 *                          the switchover target; opaque to the arbiter, at most 4096 characters;
 *                          absent, null or blank (an older agent, the local driver)
 *                          means none
 */
public record AgentReport(
        SiteId site,
        long epoch,
        SiteState state,
        DbRole dbRole,
        long systemId,
        int timeline,
        Lsn writeLsn,
        Lsn receiveLsn,
        List<ReplicaInfo> replicas,
        Lsn stopLsn,
        String message,
        Optional<String> demotionToken) {

    public AgentReport {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(dbRole, "dbRole");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0");
        }
        writeLsn = writeLsn == null ? Lsn.ZERO : writeLsn;
        receiveLsn = receiveLsn == null ? writeLsn : receiveLsn;
        replicas = replicas == null ? List.of() : List.copyOf(replicas);
        stopLsn = stopLsn == null ? Lsn.ZERO : stopLsn;
        message = message == null ? "" : message;
        demotionToken = Tokens.normalize(demotionToken, "demotionToken");
    }

    public Optional<ReplicaInfo> replica(SiteId standby) {
        return replicas.stream().filter(r -> r.name().equals(standby.name())).findFirst();
    }
}
