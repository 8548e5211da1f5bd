package dev.twincloud.pgctl.lease;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Collection;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The write-lease guard inside PostgreSQL (docs/design.md rule 1): install it, write a granted lease with
 * the lease math of docs/design.md rule 2, fence at once. Plain SQL, so it works unchanged under CloudNativePG.
 * Lease writes commit with {@code synchronous_commit = local}: a lease must never wait for a lost
 * synchronous standby.
 *
 * <p>What the installed guard checks, always by the database's clock ({@code clock_timestamp()}): the
 * row of {@code twincloud.lease} names this server's {@code twincloud.site}, was written by this very
 * server since it started ({@code pg_postmaster_start_time()}, so a replicated or pre-restart lease
 * authorizes nothing), has an epoch not below the epoch floor, and ends after now. It checks it
 * <ul>
 *   <li>when a write statement runs ({@code twincloud_guard}, BEFORE INSERT/UPDATE/DELETE/TRUNCATE FOR EACH
 *       STATEMENT): the early error;</li>
 *   <li>when the transaction commits ({@code twincloud_commit_guard}, a constraint trigger AFTER
 *       INSERT/UPDATE/DELETE FOR EACH ROW, DEFERRABLE INITIALLY DEFERRED), for every written row: a
 *       transaction begun under the lease cannot commit after it.</li>
 * </ul>
 * Both fail with SQLSTATE {@value #FENCED_SQLSTATE}. Known limits (see the tests): {@code SET CONSTRAINTS
 * ALL IMMEDIATE} moves the commit check to that moment; the guard refuses every write while prepared
 * transactions are enabled (PREPARE would move the check earlier). TRUNCATE, which fires no row
 * trigger, queues the same commit check through a marker row in {@code twincloud.commit_check}.
 */
public final class LeaseGuard {

    /** SQLSTATE raised by the guard when a write is fenced. */
    public static final String FENCED_SQLSTATE = "TCL01";

    private static final String SCRIPT = load();

    private LeaseGuard() {
    }

    private static String load() {
        try (InputStream in = LeaseGuard.class.getResourceAsStream("lease-guard.sql")) {
            if (in == null) {
                throw new IllegalStateException("lease-guard.sql missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The installation script, for documentation and for tools that apply it themselves. */
    public static String script() {
        return SCRIPT;
    }

    /**
     * Installs or refreshes the guard on a primary and attaches it to every table of {@code schemas}
     * (and, by an event trigger, to tables created later). Returns how many tables got a new guard
     * trigger (on an upgrade from an older install: those that lacked the commit guard).
     */
    public static int install(Connection c, Collection<String> schemas) throws SQLException {
        int[] attached = new int[1];
        inLocalCommitTx(c, () -> {
            try (Statement s = c.createStatement()) {
                s.execute("SELECT pg_advisory_xact_lock(7311)"); // one installer at a time
                s.execute(SCRIPT);
                try (PreparedStatement p = c.prepareStatement(
                        "INSERT INTO twincloud.guarded_schema(name) VALUES (?) ON CONFLICT DO NOTHING")) {
                    for (String schema : schemas) {
                        p.setString(1, schema);
                        p.executeUpdate();
                    }
                }
                try (var rs = s.executeQuery("SELECT twincloud.attach_guards()")) {
                    rs.next();
                    attached[0] = rs.getInt(1);
                }
            }
            return true;
        });
        return attached[0];
    }

    /**
     * Writes a lease granted by the arbiter so that it ends, by the database's clock, no later than
     * {@code ttl} after {@code t0Nanos}: the agent's monotonic time noted before the heartbeat that
     * asked for it left. The arbiter times the same lease from when that heartbeat <em>arrived</em>,
     * so the database's lease always ends first (rule 2).
     *
     * <p>Every delay on this side shortens the lease, never lengthens it: the database's clock is
     * read in one round trip, and the time since {@code t0Nanos} is measured only after that round
     * trip came back, so connecting, installing the guard, the round trips themselves and a pause of
     * the whole agent anywhere before that point all count against the lease. The row then gets
     * the absolute end {@code db_now + ttl - (t_after - t0)}; a pause after that point cannot move it.
     *
     * <p>Never lowers the epoch: a grant older than the epoch floor changes nothing and returns false.
     * Returns false too, writing nothing, when the lease would already have ended.
     */
    public static boolean writeLease(Connection c, long epoch, String site, long t0Nanos, Duration ttl,
                                     LongSupplier nanoTime) throws SQLException {
        return inLocalCommitTx(c, () -> {
            OffsetDateTime dbNow;
            try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT clock_timestamp()")) {
                rs.next();
                dbNow = rs.getObject(1, OffsetDateTime.class);
            }
            long left = ttl.toNanos() - (nanoTime.getAsLong() - t0Nanos);
            if (left <= 0) {
                return false;
            }
            try (PreparedStatement p = c.prepareStatement("""
                    INSERT INTO twincloud.lease AS l (singleton, epoch, site, valid_until, epoch_floor, updated_at,
                                                      postmaster_start)
                    VALUES (true, ?, ?, ? + make_interval(secs => ?), ?, clock_timestamp(), pg_postmaster_start_time())
                    ON CONFLICT (singleton) DO UPDATE
                       SET epoch = excluded.epoch, site = excluded.site, valid_until = excluded.valid_until,
                           epoch_floor = greatest(l.epoch_floor, excluded.epoch), updated_at = excluded.updated_at,
                           postmaster_start = excluded.postmaster_start
                     WHERE l.epoch_floor <= excluded.epoch""")) {
                p.setLong(1, epoch);
                p.setString(2, site);
                p.setObject(3, dbNow);
                // Whole microseconds, rounded down: the database cannot store finer, and never longer.
                p.setDouble(4, (left / 1_000) / 1e6);
                p.setLong(5, epoch);
                return p.executeUpdate() == 1;
            }
        });
    }

    /**
     * {@link #writeLease(Connection, long, String, long, Duration, LongSupplier)} for a grant whose
     * request left {@code elapsed} ago, by {@link System#nanoTime()}.
     */
    public static boolean writeLease(Connection c, long epoch, String site, Duration elapsed, Duration ttl) throws SQLException {
        return writeLease(c, epoch, site, System.nanoTime() - elapsed.toNanos(), ttl, System::nanoTime);
    }

    /** Ends the lease now and raises the epoch floor: no write commits here after this returns. */
    public static void fence(Connection c, long epochFloor) throws SQLException {
        inLocalCommitTx(c, () -> {
            try (PreparedStatement p = c.prepareStatement("""
                    UPDATE twincloud.lease SET valid_until = '-infinity', epoch_floor = greatest(epoch_floor, ?),
                           updated_at = clock_timestamp()""")) {
                p.setLong(1, epochFloor);
                return p.executeUpdate() == 1;
            }
        });
    }

    /** Why this site may not write now, or empty when it may. */
    public static Optional<String> problem(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT twincloud.write_lease_problem()")) {
            rs.next();
            return Optional.ofNullable(rs.getString(1));
        }
    }

    private interface Work {
        boolean run() throws SQLException;
    }

    private static boolean inLocalCommitTx(Connection c, Work work) throws SQLException {
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL synchronous_commit = local");
            boolean r = work.run();
            c.commit();
            return r;
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(auto);
        }
    }
}
