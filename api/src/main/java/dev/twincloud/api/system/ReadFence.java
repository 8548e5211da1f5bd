package dev.twincloud.api.system;

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
 */
@Component
public class ReadFence {

    public static final String SITE_HEADER = "Twincloud-Site";
    public static final String ROLE_HEADER = "Twincloud-Role";
    public static final String STALENESS_HEADER = "Twincloud-Staleness-Ms";

    /** How a site serves a read: as the leased writer, or as a standby within its bound. */
    public enum Role {
        WRITER, STANDBY;

        public String header() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What the fence decided for one read. */
    public record Verdict(String site, Role role, long stalenessMs) {
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

    ReadFence(DataSource dataSource,
              @Value("${twincloud.api.require-lease:true}") boolean requireLease,
              @Value("${twincloud.api.reads.max-staleness:1s}") Duration maxStaleness,
              @Value("${twincloud.api.site:local}") String configuredSite) {
        if (maxStaleness.isNegative()) {
            throw new IllegalArgumentException("twincloud.api.reads.max-staleness must not be negative");
        }
        this.dataSource = dataSource;
        this.requireLease = requireLease;
        this.maxStaleness = maxStaleness;
        this.configuredSite = configuredSite;
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
        Connection c;
        try {
            c = dataSource.getConnection();
        } catch (SQLException e) {
            throw new CannotGetJdbcConnectionException("read fence: no connection", e);
        }
        try {
            Before before = beforeSnapshot(c);
            c.setAutoCommit(false);
            boolean bound = false;
            try {
                Verdict verdict = inSnapshot(c, before);
                headers(verdict.site(), verdict);
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
    private record Before(boolean standby, OffsetDateTime lastReplayedCommit, Integer receiverPid, String receiverStatus) {
    }

    private static Before beforeSnapshot(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("""
                select pg_is_in_recovery(), pg_last_xact_replay_timestamp(),
                       (select pid from pg_stat_wal_receiver), (select status from pg_stat_wal_receiver)""")) {
            rs.next();
            return new Before(rs.getBoolean(1), rs.getObject(2, OffsetDateTime.class),
                    (Integer) rs.getObject(3), rs.getString(4));
        }
    }

    private Verdict inSnapshot(Connection c, Before before) throws SQLException {
        boolean standby;
        String site;
        String guardProblem;
        OffsetDateTime now;
        try (Statement s = c.createStatement()) {
            s.execute("set transaction isolation level repeatable read, read only");
            try (ResultSet rs = s.executeQuery("select pg_is_in_recovery(), nullif(current_setting('twincloud.site', true), ''), "
                    + GUARD_PROBLEM + ", clock_timestamp()")) {
                rs.next();
                standby = rs.getBoolean(1);
                site = rs.getString(2) == null ? configuredSite : rs.getString(2);
                guardProblem = rs.getString(3);
                now = rs.getObject(4, OffsetDateTime.class);
            }
        }
        if (!standby) {
            if (requireLease) {
                String problem = guardProblem != null ? guardProblem : leaseProblem(c);
                if (problem != null) {
                    throw refused(site, "not-leased-writer", "This site's database is a primary without a valid write lease ("
                            + problem + "): it may have been deposed. Retry shortly, through the edge.");
                }
            }
            return new Verdict(site, Role.WRITER, 0);
        }
        if (!before.standby()) {
            throw refused(site, "role-changing", "This site's database changed role during the read. Retry shortly.");
        }
        if (before.receiverPid() == null || (before.receiverStatus() != null && !before.receiverStatus().equals("streaming"))) {
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
        return new Verdict(site, Role.STANDBY, stalenessMs);
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
        return ApiProblem.unavailable(type, detail);
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
