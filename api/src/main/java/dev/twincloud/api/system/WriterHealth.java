package dev.twincloud.api.system;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Whether this site is the writer — its database is a primary and (with {@code twincloud.api.require-lease},
 * the default outside embedded dev mode) its write lease is valid by the database's clock — kept fresh in
 * the background so that answering is cheap and never waits for the database or the request pool.
 *
 * <p>One platform thread asks the database every {@code twincloud.api.health.refresh-interval} (100 ms)
 * over <em>one dedicated connection outside the request pool</em> (same URL and role as the pool), with a
 * hard network timeout ({@code twincloud.api.health.timeout}): {@code pg_is_in_recovery()},
 * {@code twincloud.write_lease_problem()} and {@code twincloud.write_lease_left()} (how long the lease
 * still runs). So request load — a saturated Hikari pool, busy request threads — cannot delay or flap
 * the answer (issue 11).
 *
 * <p>The answer ({@link #answer()}) is one of three verdicts:
 * <ul>
 *   <li>{@link Verdict#WRITER} (UP): the last answer, at most {@code max-age} old, said primary with a
 *       valid lease, and the lease's end it reported has not passed.</li>
 *   <li>{@link Verdict#NOT_WRITER} (DOWN, <em>definitive</em>): the database answered, and it is a
 *       standby or its lease is not valid (the reason is the guard's own words).</li>
 *   <li>{@link Verdict#UNKNOWN} (DOWN, <em>not definitive</em>): no fresh answer — the last refresh failed,
 *       or it is older than {@code max-age} (a hung or unreachable database), or the lease's last
 *       reported end has passed and no newer answer told of a renewal yet.</li>
 * </ul>
 *
 * <p><b>How stale an UP can be.</b> Every age is counted from when the refresh was <em>sent</em>
 * (local monotonic clock), so every delay makes the answer more conservative. A cached UP is answered
 * at most {@code max-age} (1 s) after the refresh that saw it was sent, and never after the lease's end
 * that refresh reported (up to the rate drift of the two clocks over one lease ttl). So after a fence (a
 * switchover, a lost lease) this site may still answer UP for at most one refresh interval plus the
 * refresh's own time while the database answers, and at most {@code max-age} when it does not. That is
 * the price of the cheap answer, and it is harmless: routing is not the safety mechanism — the lease
 * guard refuses every commit in the database once the lease ends (docs/design.md rule 1).
 */
@Component
public class WriterHealth implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WriterHealth.class);

    /** The three answers; only {@link #WRITER} is UP. */
    public enum Verdict {
        WRITER, NOT_WRITER, UNKNOWN;

        /** The value of {@code Twincloud-Writer}: {@code writer}, {@code not-writer}, {@code unknown}. */
        public String header() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * One answer.
     *
     * @param role        {@code primary} / {@code standby}, or null when the database did not answer
     * @param lease       {@code valid}, the guard's reason why not, or null when not asked
     * @param reason      why the verdict is not {@link Verdict#WRITER}, null when it is
     * @param ageMs       how long ago the refresh it is based on was sent; -1 when there was none
     * @param leaseLeftMs how long the lease still runs by that refresh, counted from now; null when unknown
     */
    public record Answer(Verdict verdict, String role, String lease, String reason, long ageMs, Long leaseLeftMs) {
        public boolean up() {
            return verdict == Verdict.WRITER;
        }
    }

    /** What one refresh saw; times are {@link System#nanoTime()}. */
    record Snapshot(long sentNanos, boolean standby, String leaseProblem, long leaseLeftNanos, String error, boolean refused,
                    String receiverStatus, long replayAgeNanos) {
        Snapshot(long sentNanos, boolean standby, String leaseProblem, long leaseLeftNanos, String error) {
            this(sentNanos, standby, leaseProblem, leaseLeftNanos, error, false, null, -1);
        }

        static Snapshot failed(long sentNanos, String error) {
            return new Snapshot(sentNanos, false, null, -1, error, false, null, -1);
        }

        /** The database turned the refresh away: it is down, starting or shutting down (not merely slow). */
        static Snapshot refused(long sentNanos, String error) {
            return new Snapshot(sentNanos, false, null, -1, error, true, null, -1);
        }
    }

    /** The last refresh, for {@link ReaderHealth}; null before the first. Never blocks. */
    Snapshot snapshot() {
        return snapshot;
    }

    long nanoTime() {
        return nanoTime.getAsLong();
    }

    private static final String NO_GUARD = "the twincloud lease guard is not installed in this database";

    private final String url;
    private final String user;
    private final String password;
    private final boolean requireLease;
    private final Duration interval;
    private final Duration maxAge;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    /** Where {@link DatabaseReconnected}, {@link DatabaseRefusing} and {@link DatabaseAnswering} go (the application's events). */
    private final Consumer<Object> events;
    private final ExecutorService networkTimeouts = Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("writer-health-timeout").daemon().factory());

    private volatile Snapshot snapshot;
    private volatile boolean running;
    private volatile Thread refresher;
    private Connection connection;
    private boolean hasProblemFunction;
    private boolean hasLeftFunction;
    /** Why the refresher's connection was lost, until a new one is open; null while it holds one (or never had one). */
    private String lostBecause;

    /**
     * Published (on the refresher's thread) when the refresher has a connection again after losing one: the
     * server probably restarted (a switchover's old writer coming back as a standby) or terminated its
     * backends, and the request pool's connections with it ({@link PoolRenewal}).
     *
     * @param cause the error that lost the previous connection
     */
    public record DatabaseReconnected(String cause) {
    }

    /**
     * Published (on the refresher's thread) when a look finds the database turning connections away after it
     * did not: every connection attempt now is a process the server forks to refuse it — and a stopping
     * server waits for each before it can exit ({@link PoolRenewal} stops the request pool's attempts).
     *
     * @param cause the refusal
     */
    public record DatabaseRefusing(String cause) {
    }

    /** Published (on the refresher's thread) when the database answers again after it turned connections away. */
    public record DatabaseAnswering() {
    }

    @Autowired
    WriterHealth(@Value("${spring.datasource.url:}") String url,
                 @Value("${spring.datasource.username:}") String user,
                 @Value("${spring.datasource.password:}") String password,
                 @Value("${twincloud.api.require-lease:true}") boolean requireLease,
                 @Value("${twincloud.api.health.refresh-interval:100ms}") Duration interval,
                 @Value("${twincloud.api.health.max-age:1s}") Duration maxAge,
                 @Value("${twincloud.api.health.timeout:1500ms}") Duration timeout,
                 ApplicationEventPublisher events) {
        this(url, user, password, requireLease, interval, maxAge, timeout, System::nanoTime, events::publishEvent);
    }

    WriterHealth(String url, String user, String password, boolean requireLease, Duration interval, Duration maxAge,
                 Duration timeout, LongSupplier nanoTime) {
        this(url, user, password, requireLease, interval, maxAge, timeout, nanoTime, e -> { });
    }

    WriterHealth(String url, String user, String password, boolean requireLease, Duration interval, Duration maxAge,
                 Duration timeout, LongSupplier nanoTime, Consumer<Object> events) {
        if (interval.toMillis() < 10) {
            throw new IllegalArgumentException("twincloud.api.health.refresh-interval must be >= 10ms, got " + interval);
        }
        if (maxAge.compareTo(interval) <= 0) {
            throw new IllegalArgumentException("twincloud.api.health.max-age (" + maxAge
                    + ") must be longer than twincloud.api.health.refresh-interval (" + interval + ")");
        }
        if (timeout.toMillis() < 1) {
            throw new IllegalArgumentException("twincloud.api.health.timeout must be positive, got " + timeout);
        }
        this.url = url;
        this.user = user;
        this.password = password;
        this.requireLease = requireLease;
        this.interval = interval;
        this.maxAge = maxAge;
        this.timeout = timeout;
        this.nanoTime = nanoTime;
        this.events = events;
    }

    /**
     * A health probe got an answer other than {@link Verdict#WRITER}: refresh now rather than after the
     * interval (at most every {@link #NUDGE_GAP}), so a probe soon after finds a new writer's UP. The
     * edge probes quickly while no site is healthy; this keeps the refresh from being what it waits for.
     * Never blocks.
     */
    public void probedNotWriter() {
        Snapshot s = snapshot;
        Thread t = refresher;
        // Not while the database turns connections away (stopping, starting): each try forks a server process
        // that a stopping server then waits for — the edge probing every 10 ms made five in a switchover's
        // shutdown — and a server that refuses is seconds, not milliseconds, from taking writes.
        if (t != null && s != null && !s.refused() && nanoTime.getAsLong() - s.sentNanos() >= NUDGE_GAP.toNanos()) {
            LockSupport.unpark(t);
        }
    }

    /** The shortest time between two refreshes a probe can cause. */
    static final Duration NUDGE_GAP = Duration.ofMillis(10);

    /**
     * Why a request arriving now should not wait for a database connection: the last refresh, sent at
     * most two refresh intervals ago (each lengthened by the pause after a server's refusal: a stopping
     * server on a busy machine can take 100 ms to refuse), was turned away by the database — connection
     * refused, or the server is shutting down or starting up ({@link #refusal}), or any failure after
     * such a refusal until the server answers again — as during a switchover, while the old writer
     * stops and comes back as a standby (about 300 ms in the lab). Without this the request
     * waits in the pool for its connection timeout, or until the server is back, only to be refused
     * then. A slow or hung database is not a refusal: those requests still wait, as before. Empty when
     * the request may go ahead. Never blocks.
     */
    public Optional<String> databaseRefusing() {
        return refusing(snapshot, nanoTime.getAsLong());
    }

    /** {@link #databaseRefusing()} on {@code s} at {@code now}: pure, for tests (but for {@link #pauseNanos}). */
    Optional<String> refusing(Snapshot s, long now) {
        if (s == null || !s.refused() || now - s.sentNanos() > 2 * (interval.toNanos() + pauseNanos)) {
            return Optional.empty();
        }
        return Optional.of(s.error());
    }

    /**
     * After the server itself turned the refresher away ({@link #turnedAwayByTheServer}: stopping or starting),
     * the next try waits at least this long rather than one refresh interval. A stopping PostgreSQL answers each
     * connection attempt from a process it forks, and waits for every such process to exit before it finishes
     * its shutdown: a switchover's old writer, asked every 50 ms, took 200 ms longer to stop (docs/benchmarks.md).
     * A refused TCP connection (the server is gone) costs the server nothing and is tried again at the interval.
     */
    static final Duration SERVER_REFUSAL_PAUSE = Duration.ofMillis(250);

    /** How much longer than the interval the refresher waits now, and a refusal stays fresh; 0 but after a server's refusal. */
    private volatile long pauseNanos;

    /** Whether {@code e} is the server's own refusal (SQLSTATE class 57P), not a refused TCP connection. */
    static boolean turnedAwayByTheServer(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("57P")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code e} says the database turned the connection away rather than being slow: a refused
     * TCP connection, or SQLSTATE class 57P (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot
     * connect now: starting up or shutting down).
     */
    static boolean refusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.net.ConnectException) {
                return true;
            }
        }
        return turnedAwayByTheServer(e);
    }

    /** The current answer; never blocks. */
    public Answer answer() {
        return answer(snapshot, nanoTime.getAsLong());
    }

    /** The verdict on {@code s} at {@code now}: pure, for tests. */
    Answer answer(Snapshot s, long now) {
        if (s == null) {
            return new Answer(Verdict.UNKNOWN, null, null, "no answer from the database yet", -1, null);
        }
        long ageNanos = now - s.sentNanos();
        long ageMs = Duration.ofNanos(ageNanos).toMillis();
        if (s.error() != null) {
            return new Answer(Verdict.UNKNOWN, null, null, "the database did not answer: " + s.error(), ageMs, null);
        }
        if (ageNanos > maxAge.toNanos()) {
            return new Answer(Verdict.UNKNOWN, null, null, "no answer from the database for " + ageMs
                    + " ms (max-age " + maxAge.toMillis() + " ms)", ageMs, null);
        }
        String role = s.standby() ? "standby" : "primary";
        // without require-lease (embedded dev mode) a missing guard is not worth a word
        String lease = s.leaseProblem() == null ? "valid" : requireLease ? s.leaseProblem() : null;
        Long leftMs = s.leaseLeftNanos() < 0 ? null : Duration.ofNanos(s.leaseLeftNanos() - ageNanos).toMillis();
        if (s.standby()) {
            return new Answer(Verdict.NOT_WRITER, role, lease, "the database is a standby", ageMs, null);
        }
        if (requireLease) {
            if (s.leaseProblem() != null) {
                return new Answer(Verdict.NOT_WRITER, role, lease, s.leaseProblem(), ageMs, null);
            }
            if (s.leaseLeftNanos() >= 0 && ageNanos >= s.leaseLeftNanos()) {
                return new Answer(Verdict.UNKNOWN, role, lease, "the lease's last reported end has passed "
                        + "and the database has not yet told of a renewal", ageMs, leftMs);
            }
        }
        return new Answer(Verdict.WRITER, role, lease, null, ageMs, leftMs);
    }

    // ---- the background refresh ----

    @Override
    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        refresher = Thread.ofPlatform().name("writer-health-refresh").daemon().start(this::loop);
        // The first answer before the API takes traffic, within the timeout: a health check right after
        // start then sees the truth, not "no answer yet".
        long deadline = System.nanoTime() + timeout.toNanos();
        while (snapshot == null && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        }
    }

    private void loop() {
        while (running) {
            long sent = nanoTime.getAsLong();
            Snapshot s = refresh(sent);
            if (!running) {
                break;
            }
            Snapshot old = snapshot;
            snapshot = s;
            logChange(old, s);
            publishRefusalChange(old, s);
            long wait = interval.toNanos() + pauseNanos - (nanoTime.getAsLong() - sent);
            if (wait > 0) {
                LockSupport.parkNanos(wait); // or less: probedNotWriter unparks
            }
        }
        closeConnection();
    }

    private Snapshot refresh(long sent) {
        try {
            Connection c = connection();
            try (Statement s = c.createStatement()) {
                if (!hasProblemFunction || !hasLeftFunction) {
                    try (ResultSet rs = s.executeQuery("select to_regprocedure('twincloud.write_lease_problem()') is not null, "
                            + "to_regprocedure('twincloud.write_lease_left()') is not null")) {
                        rs.next();
                        hasProblemFunction = rs.getBoolean(1);
                        hasLeftFunction = rs.getBoolean(2);
                    }
                }
                String sql = (!hasProblemFunction ? "select pg_is_in_recovery(), '" + NO_GUARD + "', null"
                        : hasLeftFunction ? "select pg_is_in_recovery(), twincloud.write_lease_problem(), "
                                + "(extract(epoch from twincloud.write_lease_left()) * 1000000)::bigint"
                        // an older guard without write_lease_left(): a cached UP is bounded by max-age alone
                        : "select pg_is_in_recovery(), twincloud.write_lease_problem(), null")
                        // for the reader health (ReaderHealth): a standby's WAL receiver and how old its last replayed commit is
                        + ", (select coalesce(status, 'unknown') from pg_stat_wal_receiver where pid is not null), "
                        + "(extract(epoch from clock_timestamp() - pg_last_xact_replay_timestamp()) * 1000000)::bigint";
                try (ResultSet rs = s.executeQuery(sql)) {
                    rs.next();
                    boolean standby = rs.getBoolean(1);
                    String problem = rs.getString(2);
                    long leftMicros = rs.getLong(3);
                    long left = rs.wasNull() ? -1 : leftMicros * 1_000;
                    if (problem == null && left < 0 && hasLeftFunction) {
                        // the lease ended between the two calls
                        problem = "the lease ended";
                    }
                    String receiver = rs.getString(4);
                    long replayAgeMicros = rs.getLong(5);
                    long replayAge = rs.wasNull() ? -1 : Math.max(0, replayAgeMicros) * 1_000;
                    pauseNanos = 0;
                    return new Snapshot(sent, standby, problem, problem == null ? left : -1, null, false, receiver, replayAge);
                }
            }
        } catch (SQLException | RuntimeException e) {
            String error = e.getClass().getSimpleName() + ": " + e.getMessage();
            if (connection != null && lostBecause == null) {
                lostBecause = error;
            }
            closeConnection();
            hasProblemFunction = false;
            hasLeftFunction = false;
            pauseNanos = turnedAwayByTheServer(e)
                    ? Math.max(0, SERVER_REFUSAL_PAUSE.toNanos() - interval.toNanos()) : 0;
            // Once turned away, turned away until the server answers: a server that said it is shutting down
            // keeps its listening socket until its postmaster exits, and a connection attempt meanwhile is
            // dropped or waits — not a refusal by itself, but no sign of a server that serves either.
            Snapshot last = snapshot;
            boolean stillTurnedAway = last != null && last.refused();
            return refusal(e) || stillTurnedAway ? Snapshot.refused(sent, error) : Snapshot.failed(sent, error);
        }
    }

    private Connection connection() throws SQLException {
        if (connection != null) {
            return connection;
        }
        if (url == null || url.isBlank()) {
            throw new SQLException("spring.datasource.url is not set");
        }
        Properties p = new Properties();
        if (user != null && !user.isEmpty()) {
            p.setProperty("user", user);
        }
        if (password != null && !password.isEmpty()) {
            p.setProperty("password", password);
        }
        String seconds = Long.toString(Math.max(1, (timeout.toMillis() + 999) / 1000));
        p.setProperty("connectTimeout", seconds);
        p.setProperty("loginTimeout", seconds);
        p.setProperty("tcpKeepAlive", "true");
        p.setProperty("ApplicationName", "twincloud-api-writer-health");
        Connection c = DriverManager.getConnection(url, p);
        try {
            c.setAutoCommit(true);
            c.setReadOnly(true);
            // A hung database (frozen, blackholed) fails the refresh after the timeout instead of forever.
            c.setNetworkTimeout(networkTimeouts, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        connection = c;
        if (lostBecause != null) {
            String cause = lostBecause;
            lostBecause = null;
            try {
                events.accept(new DatabaseReconnected(cause));
            } catch (RuntimeException e) {
                log.warn("writer health: a listener of the database's return failed: {}", e.toString());
            }
        }
        return c;
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // broken anyway
            }
            connection = null;
        }
    }

    private void publishRefusalChange(Snapshot old, Snapshot now) {
        Object event = now.refused() && (old == null || !old.refused()) ? new DatabaseRefusing(now.error())
                : now.error() == null && old != null && old.refused() ? new DatabaseAnswering() : null;
        if (event != null) {
            try {
                events.accept(event);
            } catch (RuntimeException e) {
                log.warn("writer health: a listener of {} failed: {}", event, e.toString());
            }
        }
    }

    private void logChange(Snapshot old, Snapshot now) {
        Answer before = old == null ? null : answer(old, old.sentNanos());
        Answer after = answer(now, now.sentNanos());
        if (before == null || before.verdict() != after.verdict()) {
            if (after.verdict() == Verdict.WRITER) {
                log.info("writer health: UP (primary{})", after.lease() == null ? "" : ", lease " + after.lease());
            } else {
                log.info("writer health: {} ({})", after.verdict().header(), after.reason());
            }
        }
    }

    @Override
    public synchronized void stop() {
        running = false;
        if (refresher != null) {
            refresher.interrupt();
            try {
                refresher.join(timeout.plusSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            refresher = null;
        }
        networkTimeouts.shutdownNow();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Early and late: the answer exists before the web servers start and outlives their graceful shutdown. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 1000;
    }

    Duration maxAge() {
        return maxAge;
    }
}
