package dev.twincloud.lab.drill;

import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import dev.twincloud.lab.drill.History.Outcome;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Transactions opened straight on one site's database, as the API's role would: {@code BEGIN;
 * INSERT} a recording whose {@code notes} is a unique key; hold. The first is committed at once
 * (under the lease: it must succeed, and then survive every failover in sync mode); the others are
 * held until {@link #commitAll()}, which a schedule plays after the site was deposed. Every
 * {@code COMMIT} is recorded as a {@link OpType#TXN} operation: OK when the database answered COMMIT
 * (even with a warning such as "committed locally" after a cancelled wait for the synchronous standby),
 * FAIL when it refused with an error, INFO when the answer is unknown (connection lost, no answer).
 *
 * <p>Each session sets {@code statement_timeout} ({@link #STATEMENT_TIMEOUT_MS}), as an application
 * would; it does not cover a {@code COMMIT}'s wait for the synchronous standby (PostgreSQL disables it
 * before committing), so a {@code COMMIT} still waiting after {@link #CANCEL_AFTER_MS} is cancelled
 * explicitly, as a client's own timeout would: PostgreSQL then answers COMMIT with a warning, and the
 * transaction is committed locally and visible — unless the guard refused it at commit.
 */
final class LongTransactions implements AutoCloseable {
    static final int CLIENT_BASE = Workload.DIRECT_CLIENT_BASE + 100;
    static final long STATEMENT_TIMEOUT_MS = 500;
    /** How long {@link #commitAll()} waits for the answers before it goes on (the rest are recorded when they come). */
    static final long COMMIT_WAIT_MS = 2000;
    /** A COMMIT unanswered this long is cancelled (see {@link #commitAll()}). */
    static final long CANCEL_AFTER_MS = 1000;

    private record Held(int client, String key, Connection connection, String id, int pid) {
    }

    private final String site;
    private final History history;
    /** A superuser session on the same database, to read the site's lease around each COMMIT; null when it cannot be had. */
    private final Connection observer;
    private final List<Held> held = new ArrayList<>();
    private final List<Thread> committers = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    private LongTransactions(String site, History history, Connection observer) {
        this.site = site;
        this.history = history;
        this.observer = observer;
    }

    private static Connection observer(String jdbcUrl, String superuser) {
        try {
            return DriverManager.getConnection(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?")
                    + "connectTimeout=2&socketTimeout=5&ApplicationName=twincloud-drill-observer", superuser, "");
        } catch (SQLException e) {
            return null;
        }
    }

    /** The site's lease end by the database's clock, in epoch ms (-inf when fenced); NaN when unknown. */
    private synchronized double leaseEnd() {
        if (observer == null) {
            return Double.NaN;
        }
        try (Statement s = observer.createStatement();
             ResultSet rs = s.executeQuery("SELECT CASE WHEN valid_until = '-infinity' THEN '-Infinity'::float8 "
                     + "ELSE extract(epoch FROM valid_until)::float8 * 1000 END FROM twincloud.lease")) {
            return rs.next() ? rs.getDouble(1) : Double.NaN;
        } catch (SQLException e) {
            return Double.NaN;
        }
    }

    /** The commit time of recording {@code id}, in epoch ms; NaN when it is not there. */
    private synchronized double commitTime(String id) {
        if (observer == null || id == null) {
            return Double.NaN;
        }
        try (PreparedStatement ps = observer.prepareStatement(
                "SELECT extract(epoch FROM pg_xact_commit_timestamp(xmin))::float8 * 1000 FROM ecg_recording WHERE id = ?::uuid")) {
            ps.setString(1, id);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    double v = rs.getDouble(1);
                    return rs.wasNull() ? Double.NaN : v;
                }
                return Double.NaN;
            }
        } catch (SQLException e) {
            return Double.NaN;
        }
    }

    /**
     * Opens {@code count} transactions on {@code jdbcUrl} as {@code user}; commits the first at once. {@code play}
     * counts the plays of this run (from 0): each play's keys and client ids are its own, so two plays are never
     * taken for one transaction stored twice.
     * A transaction that cannot be opened is recorded as a failed TXN with the reason. {@code superuser}
     * reads the site's lease around each COMMIT and cancels a COMMIT's wait.
     */
    static LongTransactions open(String jdbcUrl, String user, String superuser, String site, String keyPrefix, int play,
                                 History history, int count) {
        LongTransactions t = new LongTransactions(site, history, observer(jdbcUrl, superuser));
        for (int i = 0; i < count; i++) {
            String key = keyPrefix + "-txn" + play + "-" + i;
            int client = CLIENT_BASE + play * count + i;
            double t0 = history.now();
            try {
                Connection c = DriverManager.getConnection(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?")
                        + "connectTimeout=2&socketTimeout=15&ApplicationName=twincloud-drill-txn", user, "");
                int pid;
                try (Statement s = c.createStatement()) {
                    s.execute("SET statement_timeout = " + STATEMENT_TIMEOUT_MS);
                    try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
                        rs.next();
                        pid = rs.getInt(1);
                    }
                }
                c.setAutoCommit(false); // BEGIN
                String id;
                try (PreparedStatement ps = c.prepareStatement("""
                        INSERT INTO ecg_recording (id, patient_ref, recorded_at, sampling_rate_hz, sample_count, lead_names, notes)
                        VALUES (gen_random_uuid(), 'drill-txn', now(), 500, 0, '{}', ?) RETURNING id::text""")) {
                    ps.setString(1, key);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        id = rs.getString(1);
                    }
                }
                Held h = new Held(client, key, c, id, pid);
                if (i == 0) {
                    t.commit(h); // under the lease: must succeed
                } else {
                    t.held.add(h);
                }
            } catch (SQLException e) {
                t.problems.add(key + ": " + e.getSQLState() + " " + e.getMessage());
                history.add(new Op(client, OpType.TXN, key, t0, history.now(), Outcome.FAIL, 0, site, null, history.lastEpoch(), 0, 1,
                        false, "", -1, "BEGIN/INSERT refused: " + e.getSQLState() + " " + firstLine(e.getMessage())));
            }
        }
        return t;
    }

    /** Why some transactions could not be opened (empty when all were). */
    List<String> problems() {
        return List.copyOf(problems);
    }

    int heldCount() {
        return held.size();
    }

    /**
     * COMMITs every held transaction at once. A COMMIT still unanswered after {@link #CANCEL_AFTER_MS}
     * is waiting for a synchronous standby (which may have been promoted meanwhile): the drill cancels
     * that wait as a client's timeout would ({@code pg_cancel_backend}); PostgreSQL then answers COMMIT
     * with a warning — committed locally. Waits up to {@link #COMMIT_WAIT_MS} for the answers in all.
     */
    void commitAll() {
        CountDownLatch done = new CountDownLatch(held.size());
        List<Held> pending = List.copyOf(held);
        for (Held h : held) {
            committers.add(Thread.ofVirtual().name("drill-txn-commit-" + h.client()).start(() -> {
                try {
                    commit(h);
                } finally {
                    done.countDown();
                }
            }));
        }
        held.clear();
        try {
            if (!done.await(CANCEL_AFTER_MS, TimeUnit.MILLISECONDS)) {
                cancel(pending);
            }
            done.await(COMMIT_WAIT_MS - CANCEL_AFTER_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Cancels what the backends of {@code txns} are waiting for (a COMMIT's wait for the synchronous standby). */
    private synchronized void cancel(List<Held> txns) {
        if (observer == null) {
            return;
        }
        for (Held h : txns) {
            try (PreparedStatement ps = observer.prepareStatement("SELECT pg_cancel_backend(?)")) {
                ps.setInt(1, h.pid());
                ps.execute();
            } catch (SQLException e) {
                problems.add(h.key() + ": could not cancel its COMMIT's wait: " + e.getMessage());
            }
        }
    }

    private void commit(Held h) {
        double leaseBefore = leaseEnd();
        double t0 = history.now();
        Outcome outcome;
        String detail;
        double leaseLeft = Double.NaN;
        try {
            h.connection().commit();
            outcome = Outcome.OK;
            detail = "COMMIT" + warnings(h.connection().getWarnings());
            // the lease only moves forward (or is fenced to -infinity): the later of the two reads is the most it can have been
            double leaseAfter = leaseEnd();
            double lease = Double.isNaN(leaseBefore) ? leaseAfter : Double.isNaN(leaseAfter) ? leaseBefore : Math.max(leaseBefore, leaseAfter);
            leaseLeft = lease - commitTime(h.id());
            if (!Double.isNaN(leaseLeft)) {
                detail += String.format(" (lease left at commit: %.0f ms)", leaseLeft);
            }
        } catch (SQLException e) {
            String state = e.getSQLState() == null ? "" : e.getSQLState();
            // a refusal is an error the server raised while the session lived; a lost connection (08),
            // an operator's termination (57) or no SQLSTATE at all leave the outcome unknown
            outcome = state.isEmpty() || state.startsWith("08") || state.startsWith("57") ? Outcome.INFO : Outcome.FAIL;
            detail = state + " " + firstLine(e.getMessage());
        }
        history.add(new Op(h.client(), OpType.TXN, h.key(), t0, history.now(), outcome, 0, site, h.id(), history.lastEpoch(), 0, 1,
                false, "", -1, detail, leaseLeft));
        closeQuietly(h.connection());
    }

    private static String warnings(SQLWarning w) {
        StringBuilder b = new StringBuilder();
        for (; w != null; w = w.getNextWarning()) {
            b.append(" (warning: ").append(firstLine(w.getMessage())).append(')');
        }
        return b.toString();
    }

    private static String firstLine(String m) {
        if (m == null) {
            return "";
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // the session is over either way
        }
    }

    /** Waits (bounded) for the answers still outstanding; rolls back whatever was never committed. */
    @Override
    public void close() {
        for (Thread t : committers) {
            try {
                t.join(20_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        for (Held h : held) {
            closeQuietly(h.connection());
        }
        held.clear();
        if (observer != null) {
            closeQuietly(observer);
        }
    }
}
