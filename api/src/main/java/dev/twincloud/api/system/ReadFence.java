package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Locale;
import java.util.function.Supplier;

import javax.sql.DataSource;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.jdbc.CannotGetJdbcConnectionException;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.datasource.ConnectionHolder;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Reads follow the fence (docs/design.md rule 8): a GET is served only by the leased writer, or by a
 * standby whose data is provably at most {@code twincloud.api.reads.max-staleness} old; anything else
 * answers 503 with {@code Retry-After}. The database decides, on the connection and in the snapshot
 * the read then uses:
 *
 * <ol>
 *   <li>Before the snapshot (autocommit): on a standby, the WAL receiver's presence and status and
 *       {@code c = pg_last_xact_replay_timestamp()}, the commit time of the last transaction replayed.</li>
 *   <li>{@code BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY}; the first statement takes the one
 *       snapshot every statement of the read uses, and checks in it: a primary must hold a valid lease
 *       ({@code twincloud.write_lease_problem()} null, by the database's clock, lease row as of the
 *       snapshot; not asked when {@code twincloud.api.require-lease} is false, as in embedded dev mode);
 *       a standby must still be one.</li>
 * </ol>
 *
 * <p>Staleness bound on a standby: a write acknowledged before {@code c} was committed before the
 * transaction that committed at {@code c} (its commit record comes earlier in the WAL), and that one
 * was replayed before the snapshot, so every write acknowledged before {@code c} is visible:
 * staleness ≤ {@code clock_timestamp() − c}, measured after the snapshot (an over-estimate), assuming
 * the two sites' clocks agree (NTP; an error of ε makes the bound ε off). On a twincloud site the
 * writer's agent renews the lease every heartbeat, and each renewal is a replicated commit, so the
 * bound stays near the heartbeat interval plus the replication delay while the standby streams; it
 * grows without limit when the upstream is gone or replay stops. A standby without a running,
 * streaming WAL receiver is refused outright.
 *
 * <p>Read-your-writes (docs/adr/0016-read-local-active-active.md): a read must reflect at least the
 * request's minimum position ({@link ReadYourWrites#requested}). A standby takes
 * {@code pg_last_wal_replay_lsn()} before the snapshot (everything up to it is visible in the snapshot
 * taken after) and, while that is below the minimum, polls it for up to
 * {@code twincloud.api.reads.min-lsn-wait}; then refuses ({@code min-lsn-not-replayed}). The writer
 * reflects every commit, and states {@code pg_current_wal_insert_lsn()} read in the snapshot: at or
 * after the commit record of every transaction the snapshot sees. The position goes out as
 * {@code Twincloud-Lsn} and in the {@code twincloud-lsn} cookie. Every refusal here may be served by
 * the other site: {@link ApiProblem#unavailableHere}, forwarded when forwarding is configured.
 *
 * <p>On a read lease (docs/design.md rule 10, {@link ReadLease}): while this site's agent holds one,
 * the writer runs synchronous with this standby, so every write acknowledged before the read began has
 * been flushed here ({@code pg_last_wal_receive_lsn()}, read before the snapshot). The standby waits
 * (up to min-lsn-wait) until replay has reached that position, takes the snapshot, and serves the read
 * if the lease still holds: nothing acknowledged before the read is missing, so the response states
 * staleness 0 and {@code Twincloud-Read-Basis: read-lease} — also without a streaming WAL receiver
 * (the writer lost): no write can be acknowledged without this standby until the lease has ended. A
 * primary without a valid write lease (this site just promoted, before its first write lease) serves on
 * the read lease the same way: the old writer's lease ended before the promotion. Otherwise, the
 * staleness bound above.
 */
@Component
public class ReadFence {

    public static final String SITE_HEADER = "Twincloud-Site";
    public static final String ROLE_HEADER = "Twincloud-Role";
    public static final String STALENESS_HEADER = "Twincloud-Staleness-Ms";
    /** {@code read-lease} or {@code staleness-bound} on a standby's answer: what let it serve the read. */
    public static final String BASIS_HEADER = "Twincloud-Read-Basis";

    /** How a site serves a read: as the leased writer, or as a standby within its bound. */
    public enum Role {
        WRITER, STANDBY;

        public String header() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the fence decided for one read; {@code onReadLease}: served on the read lease (rule 10). */
    public record Verdict(String site, Role role, long stalenessMs, Lsn lsn, boolean onReadLease) {
        public Verdict(String site, Role role, long stalenessMs, Lsn lsn) {
            this(site, role, stalenessMs, lsn, false);
        }
    }

    private static final String GUARD_PROBLEM = """
            case when to_regnamespace('twincloud') is null
                   then 'the twincloud lease guard is not installed in this database'
                 when not has_schema_privilege('twincloud', 'USAGE')
                   then 'role ' || current_user || ' may not use the twincloud schema'
                 when to_regprocedure('twincloud.write_lease_problem()') is null
                   then 'the twincloud lease guard is not installed in this database'
            end""";

    private final DataSource dataSource;
    private final boolean requireLease;
    private final Duration maxStaleness;
    private final String configuredSite;
    private final Duration minLsnWait;
    private final ReadLease readLease;
    /** Runs between the standby's look and the snapshot: tests put a promotion there. */
    private volatile Runnable beforeSnapshotHook = () -> { };

    ReadFence(DataSource dataSource, ReadLease readLease,
              @Value("${twincloud.api.require-lease:true}") boolean requireLease,
              @Value("${twincloud.api.reads.max-staleness:1s}") Duration maxStaleness,
              @Value("${twincloud.api.site:local}") String configuredSite,
              @Value("${twincloud.api.reads.min-lsn-wait:500ms}") Duration minLsnWait) {
        if (maxStaleness.isNegative()) {
            throw new IllegalArgumentException("twincloud.api.reads.max-staleness must not be negative");
        }
        if (minLsnWait.isNegative()) {
            throw new IllegalArgumentException("twincloud.api.reads.min-lsn-wait must not be negative");
        }
        this.minLsnWait = minLsnWait;
        this.readLease = readLease;
        this.dataSource = dataSource;
        this.requireLease = requireLease;
        this.maxStaleness = maxStaleness;
        this.configuredSite = configuredSite;
    }

    /** Tests: {@code hook} runs in every read between the standby's look and the snapshot (a role change there). */
    void beforeSnapshot(Runnable hook) {
        this.beforeSnapshotHook = hook;
    }

    /**
     * Runs {@code read} in one read-only REPEATABLE READ transaction whose snapshot passed the fence,
     * and sets the {@code Twincloud-*} headers on the current response; throws a 503 {@link ApiProblem}
     * when this site may not serve reads now.
     */
    public <T> T serve(Supplier<T> read) {
        if (TransactionSynchronizationManager.hasResource(dataSource)) {
            throw new IllegalStateException("ReadFence.serve must not run inside another transaction");
        }
        Lsn min = ReadYourWrites.requested(); // a malformed Twincloud-Min-Lsn is a 400 before any connection
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw new CannotGetJdbcConnectionException("read fence: no connection", e);
        }
        try {
            Before before = beforeSnapshot(c);
            boolean onLease = false;
            if (before.standby() && before.flushLsn() != null && readLease.holds()) {
                // rule 10: everything acknowledged before this read began is flushed here; wait for its replay
                Lsn flushed = before.flushLsn();
                before = pollReplay(c, flushed, before, false);
                onLease = atLeast(before.replayLsn(), flushed);
            }
            if (before.standby() && min != null && !atLeast(before.replayLsn(), min)) {
                before = awaitReplay(c, min, before);
                if (onLease && !atLeast(before.replayLsn(), min)) {
                    throw minLsnNotReplayed(before, min);
                }
            }
            beforeSnapshotHook.run();
            c.setAutoCommit(false);
            boolean bound = false;
            try {
                Verdict verdict = inSnapshot(c, before, onLease);
                headers(verdict.site(), verdict);
                ReadYourWrites.stampCurrent(verdict.lsn());
                TransactionSynchronizationManager.bindResource(dataSource, new ConnectionHolder(c));
                bound = true;
                T result = read.get();
                c.commit();
                return result;
            } catch (RuntimeException | SQLException e) {
                rollbackQuietly(c);
                throw e;
            } finally {
                if (bound) {
                    TransactionSynchronizationManager.unbindResource(dataSource);
                }
                try {
                    c.setAutoCommit(true);
                } catch (SQLException ignored) {
                    // broken connection: the pool discards it
                }
            }
        } catch (SQLException e) {
            throw new UncategorizedSQLException("read fence", null, e);
        } finally {
            try {
                c.close();
            } catch (SQLException ignored) {
                // the pool discards a broken connection
            }
        }
    }

    /** What a standby knows before the snapshot: anything replayed later only makes the data fresher. */
    private record Before(boolean standby, OffsetDateTime lastReplayedCommit, Integer receiverPid, String receiverStatus,
                          Lsn replayLsn, Lsn flushLsn) {
        boolean streaming() {
            return receiverPid != null && (receiverStatus == null || receiverStatus.equals("streaming"));
        }
    }

    private static Before beforeSnapshot(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                select pg_is_in_recovery(), pg_last_xact_replay_timestamp(),
                       (select pid from pg_stat_wal_receiver), (select status from pg_stat_wal_receiver),
                       pg_last_wal_replay_lsn()::text, pg_last_wal_receive_lsn()::text""")) {
            rs.next();
            return new Before(rs.getBoolean(1), rs.getObject(2, OffsetDateTime.class),
                    (Integer) rs.getObject(3), rs.getString(4), ReadYourWrites.lsnOrNull(rs.getString(5)),
                    ReadYourWrites.lsnOrNull(rs.getString(6)));
        }
    }

    /**
     * Polls the replay position until it reaches {@code target}, for at most min-lsn-wait; with
     * {@code whileStreaming}, only while the WAL receiver streams (a standby that does not will not get
     * to a position it has not received). Without: what this standby has flushed, which the startup
     * process replays on its own.
     */
    private Before pollReplay(Connection c, Lsn target, Before before, boolean whileStreaming) throws SQLException {
        long deadline = System.nanoTime() + minLsnWait.toNanos();
        Before now = before;
        while (now.standby() && (!whileStreaming || now.streaming()) && !atLeast(now.replayLsn(), target)
                && System.nanoTime() < deadline) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = beforeSnapshot(c);
        }
        return now;
    }

    private static boolean atLeast(Lsn position, Lsn min) {
        return position != null && (min == null || position.isAtLeast(min));
    }

    /**
     * Polls the replay position until it reaches {@code min}, for at most min-lsn-wait; a standby that is
     * not streaming will not get there, so it is not waited for (the fence refuses it next).
     */
    private Before awaitReplay(Connection c, Lsn min, Before before) throws SQLException {
        Before now = pollReplay(c, min, before, true);
        if (now.standby() && now.streaming() && !atLeast(now.replayLsn(), min)) {
            throw minLsnNotReplayed(now, min);
        }
        return now;
    }

    private ApiProblem minLsnNotReplayed(Before now, Lsn min) {
        return refused(configuredSite, "min-lsn-not-replayed", "This standby has replayed up to "
                + now.replayLsn() + ", not yet " + min + " (Twincloud-Min-Lsn or cookie twincloud-lsn) after waiting "
                + minLsnWait.toMillis() + " ms. Retry shortly, or read from the writer.");
    }

    private Verdict inSnapshot(Connection c, Before before, boolean onLease) throws SQLException {
        boolean standby;
        String site;
        String guardProblem;
        OffsetDateTime now;
        Lsn writerLsn;
        try (Statement s = c.createStatement()) {
            s.execute("set transaction isolation level repeatable read, read only");
            // the insert position, read after the snapshot was taken: at or after the commit record of every
            // transaction the snapshot sees (a commit record is inserted before the transaction becomes visible)
            try (ResultSet rs = s.executeQuery("select pg_is_in_recovery(), nullif(current_setting('twincloud.site', true), ''), "
                    + GUARD_PROBLEM + ", clock_timestamp(), "
                    + "case when pg_is_in_recovery() then null else pg_current_wal_insert_lsn()::text end")) {
                rs.next();
                standby = rs.getBoolean(1);
                site = rs.getString(2) == null ? configuredSite : rs.getString(2);
                guardProblem = rs.getString(3);
                now = rs.getObject(4, OffsetDateTime.class);
                writerLsn = ReadYourWrites.lsnOrNull(rs.getString(5));
            }
        }
        if (!standby) {
            if (requireLease) {
                String problem = guardProblem != null ? guardProblem : leaseProblem(c);
                if (problem != null && readLease.holds()) {
                    // rule 10: just promoted, before its first write lease — also when it was still a standby at the
                    // look before this snapshot; nobody else can have acknowledged a write, and this database has
                    // every write acknowledged before the read began
                    return new Verdict(site, Role.STANDBY, 0, writerLsn, true);
                }
                if (problem != null) {
                    throw refused(site, "not-leased-writer", "This site's database is a primary without a valid write lease ("
                            + problem + "): it may have been deposed. Retry shortly, through the edge.");
                }
            }
            return new Verdict(site, Role.WRITER, 0, writerLsn);
        }
        if (!before.standby()) {
            throw refused(site, "role-changing", "This site's database changed role during the read. Retry shortly.");
        }
        if (onLease && readLease.holds()) { // checked after the snapshot was taken
            return new Verdict(site, Role.STANDBY, 0, before.replayLsn(), true);
        }
        if (!before.streaming()) {
            throw refused(site, "standby-not-streaming", "This site is a standby that is not streaming from its upstream"
                    + (before.receiverStatus() == null ? "" : " (WAL receiver " + before.receiverStatus() + ")")
                    + ": its data may be arbitrarily stale. Retry shortly, through the edge.");
        }
        if (before.lastReplayedCommit() == null) {
            throw refused(site, "standby-too-stale",
                    "This standby has replayed no transaction since it started: how stale its data is cannot be bounded.");
        }
        long stalenessMs = Math.max(0, ceilMillis(Duration.between(before.lastReplayedCommit(), now)));
        if (stalenessMs > maxStaleness.toMillis()) {
            throw refused(site, "standby-too-stale", "This standby's data may be up to " + stalenessMs
                    + " ms stale, beyond its bound of " + maxStaleness.toMillis() + " ms. Retry shortly, through the edge.");
        }
        return new Verdict(site, Role.STANDBY, stalenessMs, before.replayLsn());
    }

    private static String leaseProblem(Connection c) throws SQLException {
        try (PreparedStatement p = c.prepareStatement("select twincloud.write_lease_problem()"); ResultSet rs = p.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long ceilMillis(Duration d) {
        long ms = d.toMillis();
        return d.minusMillis(ms).isZero() || d.isNegative() ? ms : ms + 1;
    }

    private ApiProblem refused(String site, String type, String detail) {
        headers(site, null);
        return ApiProblem.unavailableHere(type, detail);
    }

    private static void headers(String site, Verdict verdict) {
        if (!(RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes)) {
            return;
        }
        HttpServletResponse response = attributes.getResponse();
        if (response == null) {
            return;
        }
        response.setHeader(SITE_HEADER, site);
        if (verdict != null) {
            response.setHeader(ROLE_HEADER, verdict.role().header());
            response.setHeader(STALENESS_HEADER, Long.toString(verdict.stalenessMs()));
            if (verdict.role() == Role.STANDBY) {
                response.setHeader(BASIS_HEADER, verdict.onReadLease() ? "read-lease" : "staleness-bound");
            }
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the connection is broken; closing it is all that is left
        }
    }
}
