package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
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
 * @param incarnation       identifies one run of the agent process (its start time in epoch
 *                          milliseconds): a restarted agent reports a larger one; 0 from an older agent
 * @param sequence          grows by one with every report of one incarnation: with the incarnation,
 *                          the arbiter orders reports and ignores one older than the newest it has seen
 * @param writesRefused     the agent proves that its database refuses writes now and will on a
 *                          restart (postmaster gone and configured so that the guard refuses every
 *                          write): the arbiter may fail over without waiting out the lease (fast path)
 * @param promiseMillis     a standby: how long its promise to the writer of its epoch not to be
 *                          promoted still lasts, in milliseconds from when this report was made (0: none;
 *                          docs/design.md rule 9, failsafe). The arbiter starts no failover while it may
 *                          still hold
 * @param archiveBacklog    how many WAL files wait for the archiver ({@code .ready} in {@code pg_wal/archive_status})
 *                          when this report was made; absent: unknown (an older agent, archiving off or not
 *                          readable). A planned switchover holds the old writer's fence, bounded, while its
 *                          backlog is above 0: PostgreSQL archives every ready file before a clean shutdown
 *                          ends (docs/backups.md)
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
        Optional<String> demotionToken,
        long incarnation,
        long sequence,
        boolean writesRefused,
        long promiseMillis,
        Optional<Integer> archiveBacklog) {

    /** A report without an archive backlog (unknown). */
    public AgentReport(SiteId site, long epoch, SiteState state, DbRole dbRole, long systemId, int timeline, Lsn writeLsn,
                       Lsn receiveLsn, List<ReplicaInfo> replicas, Lsn stopLsn, String message, Optional<String> demotionToken,
                       long incarnation, long sequence, boolean writesRefused, long promiseMillis) {
        this(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn, message, demotionToken,
                incarnation, sequence, writesRefused, promiseMillis, Optional.empty());
    }

    /** A report without ordering (incarnation and sequence 0), without a proof of refused writes or a promise. */
    public AgentReport(SiteId site, long epoch, SiteState state, DbRole dbRole, long systemId, int timeline, Lsn writeLsn,
                       Lsn receiveLsn, List<ReplicaInfo> replicas, Lsn stopLsn, String message, Optional<String> demotionToken) {
        this(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn, message, demotionToken,
                0, 0, false, 0);
    }

    /** A report without a failsafe promise. */
    public AgentReport(SiteId site, long epoch, SiteState state, DbRole dbRole, long systemId, int timeline, Lsn writeLsn,
                       Lsn receiveLsn, List<ReplicaInfo> replicas, Lsn stopLsn, String message, Optional<String> demotionToken,
                       long incarnation, long sequence, boolean writesRefused) {
        this(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn, message, demotionToken,
                incarnation, sequence, writesRefused, 0);
    }

    /**
     * From JSON: an older agent sends no {@code incarnation}, {@code sequence}, {@code writesRefused},
     * {@code promiseMillis} or {@code archiveBacklog}; they default to 0, 0, false, 0 and unknown (a report
     * without order, without a proof, without a promise, without a known backlog), not to an error.
     */
    @JsonCreator
    static AgentReport fromJson(
            @JsonProperty("site") SiteId site,
            @JsonProperty("epoch") long epoch,
            @JsonProperty("state") SiteState state,
            @JsonProperty("dbRole") DbRole dbRole,
            @JsonProperty("systemId") long systemId,
            @JsonProperty("timeline") int timeline,
            @JsonProperty("writeLsn") Lsn writeLsn,
            @JsonProperty("receiveLsn") Lsn receiveLsn,
            @JsonProperty("replicas") List<ReplicaInfo> replicas,
            @JsonProperty("stopLsn") Lsn stopLsn,
            @JsonProperty("message") String message,
            @JsonProperty("demotionToken") Optional<String> demotionToken,
            @JsonProperty("incarnation") Long incarnation,
            @JsonProperty("sequence") Long sequence,
            @JsonProperty("writesRefused") Boolean writesRefused,
            @JsonProperty("promiseMillis") Long promiseMillis,
            @JsonProperty("archiveBacklog") Integer archiveBacklog) {
        return new AgentReport(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn,
                message, demotionToken, incarnation == null ? 0 : incarnation, sequence == null ? 0 : sequence,
                writesRefused != null && writesRefused, promiseMillis == null ? 0 : promiseMillis,
                Optional.ofNullable(archiveBacklog));
    }

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
        if (incarnation < 0 || sequence < 0) {
            throw new IllegalArgumentException("incarnation and sequence must be >= 0");
        }
        if (writesRefused && dbRole == DbRole.PRIMARY) {
            throw new IllegalArgumentException("a running primary cannot prove that it refuses writes");
        }
        if (promiseMillis < 0) {
            throw new IllegalArgumentException("promiseMillis must be >= 0");
        }
        archiveBacklog = archiveBacklog == null ? Optional.empty() : archiveBacklog;
        if (archiveBacklog.filter(n -> n < 0).isPresent()) {
            throw new IllegalArgumentException("archiveBacklog must be >= 0");
        }
    }

    /** This report stamped with its place in the agent's stream of reports. */
    public AgentReport withOrder(long incarnation, long sequence) {
        return new AgentReport(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn,
                message, demotionToken, incarnation, sequence, writesRefused, promiseMillis, archiveBacklog);
    }

    /** This report with the fast-path proof that the database refuses writes. */
    public AgentReport withWritesRefused(boolean refused) {
        return new AgentReport(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn,
                message, demotionToken, incarnation, sequence, refused, promiseMillis, archiveBacklog);
    }

    /** This report saying that the site's failsafe promise lasts {@code millis} more (0: none). */
    public AgentReport withPromise(long millis) {
        return new AgentReport(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn,
                message, demotionToken, incarnation, sequence, writesRefused, millis, archiveBacklog);
    }

    /** This report with the number of WAL files waiting for the archiver (empty: unknown). */
    public AgentReport withArchiveBacklog(Optional<Integer> backlog) {
        return new AgentReport(site, epoch, state, dbRole, systemId, timeline, writeLsn, receiveLsn, replicas, stopLsn,
                message, demotionToken, incarnation, sequence, writesRefused, promiseMillis, backlog);
    }

    /**
     * Whether this report comes after {@code other} in the agent's stream: a later incarnation, or
     * the same incarnation and a larger sequence. Reports without ordering (0/0) are never "after".
     */
    public boolean isNewerThan(AgentReport other) {
        if (incarnation != other.incarnation) {
            return incarnation > other.incarnation;
        }
        return sequence > other.sequence;
    }

    public Optional<ReplicaInfo> replica(SiteId standby) {
        return replicas.stream().filter(r -> r.name().equals(standby.name())).findFirst();
    }
}
