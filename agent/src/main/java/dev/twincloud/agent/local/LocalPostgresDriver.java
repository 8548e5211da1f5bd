package dev.twincloud.agent.local;

import dev.twincloud.agent.core.Observation;
import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.agent.core.StepResult;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PgTool;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.Processes;
import dev.twincloud.pgctl.Replication;
import dev.twincloud.pgctl.ReplicationStatus;
import dev.twincloud.pgctl.StopMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives a PostgreSQL process on this machine through pgctl: the lab's driver, and the one for
 * VMs. The other site's PostgreSQL is reached at {@code peer} (in the lab, through a
 * fault-injectable link), for streaming, pg_rewind and re-cloning.
 */
public final class LocalPostgresDriver implements PostgresDriver {
    private static final Logger log = LoggerFactory.getLogger(LocalPostgresDriver.class);

    /** The lease guard's notion of "this site"; an empty value makes it refuse every write. */
    static final String SITE = "twincloud.site";
    /** Recorded with the fast-path fence: the epoch whose writer may lift it. */
    static final String FENCE_EPOCH = "twincloud.fenced_epoch";

    private final SiteId site;
    private final PostgresServer server;
    private final PostgresServer peer;
    private volatile String syncNames;
    /**
     * The observations' connection to the local server, kept from one heartbeat to the next and opened again when the
     * server drops it: one per reading (two a heartbeat, each a TLS handshake with a client certificate in the lab)
     * was about two thirds of an idle agent's CPU (docs/benchmarks.md). Guarded by {@link #observing}.
     */
    private Connection observer;
    private final java.util.concurrent.locks.ReentrantLock observing = new java.util.concurrent.locks.ReentrantLock();
    /** How long a reading on the kept connection may wait for the server before it counts as failed. */
    static final Duration OBSERVER_TIMEOUT = Duration.ofSeconds(10);
    /** Tests: told each step of a re-join ("rejoining", "rewound"), to stand for the agent dying there. */
    java.util.function.Consumer<String> rejoinSteps = step -> { };

    /**
     * @param server the local server (data dir, port); started and stopped by this driver
     * @param peer   a handle on the other site's server as reachable from here (its port may be a
     *               link); only connected to, never started or stopped
     */
    public LocalPostgresDriver(SiteId site, PostgresServer server, PostgresServer peer) {
        this.site = site;
        this.server = server;
        this.peer = peer;
    }

    @Override
    public Observation observe() {
        if (!server.isRunning()) {
            dropObserver();
            return Observation.down();
        }
        try {
            return onKept(this::read);
        } catch (SQLException | RuntimeException e) {
            log.debug("site={} observe failed: {}", site, e.getMessage());
            return Observation.down();
        }
    }

    /** Work on a connection to the local server. */
    @FunctionalInterface
    private interface OnConnection<T> {
        T apply(Connection c) throws SQLException;
    }

    /**
     * Runs {@code work} on the kept connection ({@link #observer}), opened again when the server dropped it (a
     * restart, a stop, a terminated backend: the work is tried once more on the new one, so it must be safe to
     * repeat). While another thread holds it (the failsafe's request beside a heartbeat), on a connection of its
     * own rather than after a wait. The steps a switchover is timed on (promote, the synchronous standby's
     * setting) so pay no new connection — a fork of a backend and a TLS handshake — each.
     */
    private <T> T onKept(OnConnection<T> work) throws SQLException {
        if (!observing.tryLock()) {
            try (Connection c = server.connect()) {
                return work.apply(c);
            }
        }
        try {
            if (observer != null) {
                try {
                    return work.apply(observer);
                } catch (SQLException | RuntimeException e) {
                    closeObserver();
                }
            }
            try {
                observer = server.connect();
                // never a heartbeat held for ever by a backend that does not answer; a new connection's login is bounded
                // by its connect timeout (10 s)
                observer.setNetworkTimeout(Runnable::run, (int) OBSERVER_TIMEOUT.toMillis());
                return work.apply(observer);
            } catch (SQLException | RuntimeException e) {
                closeObserver();
                throw e;
            }
        } finally {
            observing.unlock();
        }
    }

    /** One observation of the local server on {@code c}. */
    private Observation read(Connection c) {
        ReplicationStatus s = Replication.status(c, server.toString());
        if (!s.inRecovery()) {
            Lsn write = lsn(s.currentLsn());
            // read after the write position: a replica's flush >= write then covers all earlier commits
            List<ReplicaInfo> replicas = Replication.peers(c, server.toString()).stream()
                    .map(p -> new ReplicaInfo(p.applicationName(), p.state(), p.syncState(),
                            p.flushLsn(), p.replayLsn(), Optional.ofNullable(p.replayLagMillis())))
                    .toList();
            return new Observation(DbRole.PRIMARY, s.systemIdentifier(), s.timeline(), write, write, replicas)
                    .withArchiveBacklog(s.archiveBacklog());
        }
        Lsn replay = lsn(s.replayLsn());
        Lsn received = lsn(s.receiveLsn());
        return new Observation(DbRole.STANDBY, s.systemIdentifier(), s.timeline(), replay,
                received.compareTo(replay) > 0 ? received : replay, List.of(),
                s.walReceiverStatus().filter("streaming"::equals).isPresent(), s.archiveBacklog());
    }

    /** Closes the observations' connection, unless another thread is using it (it finds it dead itself). */
    private void dropObserver() {
        if (observing.tryLock()) {
            try {
                closeObserver();
            } finally {
                observing.unlock();
            }
        }
    }

    private void closeObserver() {
        if (observer != null) {
            try {
                observer.close();
            } catch (SQLException ignored) {
                // dead already
            }
            observer = null;
        }
    }

    private static Lsn lsn(Optional<Lsn> lsn) {
        return lsn.orElse(Lsn.ZERO);
    }

    @Override
    public StepResult startAsPrimary() {
        if (!server.isRunning()) {
            Path marker = Replication.rejoinMarker(server.dataDir());
            if (Files.exists(marker)) {
                return StepResult.failed("the data directory's re-join as a standby was interrupted (" + marker
                        + "): it is neither the old writer nor a standby, and is re-cloned when it follows the writer; not starting it as a primary");
            }
            OptionalLong fence = writesRefusedOnStart();
            if (fence.isPresent()) {
                // the agent lifts it first, and only when the arbiter still names this site the writer
                return StepResult.failed("the data directory refuses writes since the fast path of epoch "
                        + fence.getAsLong() + "; not starting it as a primary");
            }
            // A standby's directory (standby.signal) starts as a standby and is promoted below: onto a new timeline.
            // Started as a primary without the signal it would go on writing the old writer's timeline, and the old
            // writer, whose WAL went further on it, could not tell that it diverged: it would "need no rewind" and
            // never replay again (LocalDriverContractTest).
            server.start();
            syncNames = null;
        }
        if (server.queryBoolean("SELECT pg_is_in_recovery()")) {
            return promote(Optional.empty());
        }
        return StepResult.done();
    }

    @Override
    public StepResult followWriter(SiteId writer) {
        Path marker = Replication.rejoinMarker(server.dataDir());
        // An earlier re-join of the stopped directory did not finish (its agent died during pg_rewind, after it, or
        // during a clone): whatever pg_rewind left there must not be rewound again ("no rewind required", and the
        // standby never becomes consistent) nor started as it is. InterruptedRejoinTest.
        boolean interrupted = !server.isRunning() && Files.exists(marker);
        boolean wasStandby = !interrupted && Files.exists(server.dataDir().resolve("standby.signal"));
        if (server.isRunning()) {
            if (wasStandby && server.queryBoolean("SELECT pg_is_in_recovery()")) {
                Replication.follow(server, peer.replicationConnInfo(), site.name(), Optional.empty());
                deleteQuietly(marker); // set up and started by an agent that died just after
                return StepResult.done("following " + writer);
            }
            // A primary cannot turn into a standby while running: stop it, then rejoin below.
            server.stop(StopMode.FAST, Duration.ofSeconds(20));
        }
        if (wasStandby && server.isInitialized()) {
            // A standby that stopped (a crash): it needs neither a rewind nor a copy, so it starts without
            // the writer — in recovery it writes nothing, and it streams once the writer is back. Waiting
            // for the writer here left it down while the writer's site was down too (ASYNC drill, seed 807).
            Replication.follow(server, peer.replicationConnInfo(), site.name(), Optional.empty());
            allowWritesOnStart();
            server.start();
            syncNames = null;
            return StepResult.done("no rewind, following " + writer);
        }
        if (!peerIsPrimary()) {
            return StepResult.retry(writer + " is not reachable as a primary yet");
        }
        String how;
        writeMarker(marker);
        rejoinSteps.accept("rejoining");
        if (interrupted) {
            log.warn("site={} an earlier re-join of {} was interrupted: re-cloning it", site, server.dataDir());
            reclone();
            how = "re-cloned (an earlier re-join was interrupted)";
        } else if (server.isInitialized()) {
            how = rewindOrReclone(); // an old primary (a standby started above)
        } else {
            reclone();
            how = "cloned";
        }
        Replication.follow(server, peer.replicationConnInfo(), site.name(), Optional.empty());
        allowWritesOnStart(); // starts as a standby: a fast-path fence would only break a later promotion
        server.start();
        syncNames = null;
        deleteQuietly(marker);
        return StepResult.done(how + ", following " + writer);
    }

    /** An old primary: pg_rewind onto the writer's history, or copy it afresh when that is impossible. */
    private String rewindOrReclone() {
        if (server.binaries().has(PgTool.PG_REWIND)) {
            try {
                boolean rewound = Replication.rewind(server, peer, standbyOptions(), () -> rejoinSteps.accept("rewound"));
                return rewound ? "rewound" : "no rewind needed";
            } catch (RuntimeException e) {
                log.warn("site={} pg_rewind failed, re-cloning instead: {}", site, e.getMessage());
            }
        }
        reclone();
        return "re-cloned";
    }

    private static void writeMarker(Path marker) {
        try {
            Files.writeString(marker, "a re-join of this data directory as a standby began at " + java.time.Instant.now()
                    + "; while this file exists it is re-cloned, never rewound again or started as a writer\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + marker + " before re-joining", e);
        }
    }

    private void reclone() {
        Path data = server.dataDir();
        server.killLeftovers(); // a pg_basebackup or pg_rewind an earlier run of this agent left writing here
        try {
            if (Files.exists(data)) {
                try (Stream<Path> walk = Files.walk(data)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(data)).forEach(LocalPostgresDriver::deleteQuietly);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot empty " + data + " for a re-clone: " + e.getMessage(), e);
        }
        Replication.createStandby(peer, server, standbyOptions());
    }

    /** No replication slot: a long-lost standby must not make the writer keep WAL until its disk fills. */
    private Replication.StandbyOptions standbyOptions() {
        return new Replication.StandbyOptions(site.name(), Optional.empty(), Replication.CloneMethod.AUTO);
    }

    private boolean peerIsPrimary() {
        try (Connection c = peer.connect(); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT NOT pg_is_in_recovery()")) {
            return rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            return false;
        }
    }

    private static final Duration PROMOTE_WAIT = Duration.ofSeconds(5);
    private static final Duration PROMOTE_POLL = Duration.ofMillis(5);
    /** How often at most a promotion wakes the startup process ({@link Replication#wakeRecoveryFromRetrySleep}). */
    private static final Duration WAKE_EVERY = Duration.ofMillis(50);

    /** Plain {@code pg_promote}: the arbiter promotes only a standby it has proven safe; no token here. */
    @Override
    public StepResult promote(Optional<String> promotionToken) {
        if (!server.isRunning()) {
            return StepResult.failed("PostgreSQL is not running; cannot promote");
        }
        try {
            return onKept(c -> {
                try (Statement s = c.createStatement()) {
                    try (var rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                        rs.next();
                        if (!rs.getBoolean(1)) {
                            return StepResult.done("promoted");
                        }
                    }
                    // Signal, then watch for the end of recovery every 5 ms for up to 5 s: pg_promote's own wait
                    // looks only every 100 ms (PostgreSQL's WAITS_PER_SECOND), which a switchover pays in full.
                    try (var rs = s.executeQuery("SELECT pg_promote(false)")) {
                        rs.next();
                    }
                    long deadline = System.nanoTime() + PROMOTE_WAIT.toNanos();
                    long lastWake = System.nanoTime() - WAKE_EVERY.toNanos();
                    int wakes = 0;
                    do {
                        try (var rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                            rs.next();
                            if (!rs.getBoolean(1)) {
                                if (wakes > 0) {
                                    log.info("site={} promoted; its startup process was woken {} time(s) from its sleep between"
                                            + " WAL source retries", site, wakes);
                                }
                                return StepResult.done("promoted");
                            }
                        }
                        // a promote request it noticed may wait out wal_retrieve_retry_interval otherwise
                        if (System.nanoTime() - lastWake >= WAKE_EVERY.toNanos() && Replication.wakeRecoveryFromRetrySleep(c)) {
                            lastWake = System.nanoTime();
                            wakes++;
                        }
                        LockSupport.parkNanos(PROMOTE_POLL.toNanos());
                    } while (System.nanoTime() - deadline < 0);
                    return StepResult.retry("promotion in progress");
                }
            });
        } catch (SQLException | RuntimeException e) {
            return StepResult.failed("promote: " + e.getMessage());
        }
    }

    @Override
    public StepResult setSynchronousStandby(Optional<SiteId> standby) {
        String wanted = standby.map(s -> "FIRST 1 (" + s.name() + ")").orElse("");
        if (wanted.equals(syncNames)) {
            return StepResult.done();
        }
        if (!server.isRunning()) {
            return StepResult.failed("PostgreSQL is not running");
        }
        try {
            onKept(c -> {
                server.alterSystem(c, Map.of("synchronous_standby_names", wanted));
                return null;
            });
            syncNames = wanted;
            return StepResult.done(wanted.isEmpty() ? "async" : "sync with " + standby.get());
        } catch (SQLException | RuntimeException e) {
            return StepResult.failed(e.getMessage());
        }
    }

    @Override
    public StepResult stopClean() {
        server.stop(StopMode.FAST, Duration.ofSeconds(30));
        return StepResult.done("stopped cleanly at " + stopLsn());
    }

    @Override
    public StepResult stopNow() {
        server.stopEscalating(Duration.ofSeconds(5), Duration.ofSeconds(5));
        return StepResult.done("stopped");
    }

    @Override
    public Lsn stopLsn() {
        if (server.isRunning()) {
            return Lsn.ZERO;
        }
        try {
            ControlFile cf = ControlFile.read(server.dataDir());
            return cf.cleanlyShutDown() ? cf.checkpoint() : Lsn.ZERO;
        } catch (IOException e) {
            return Lsn.ZERO;
        }
    }

    /**
     * Writes {@code twincloud.site = ''} into postgresql.auto.conf (read last at every start, by
     * whoever starts the server), so the lease guard's {@code write_lease_problem()} refuses every
     * write whatever the lease row says; kills processes orphaned by a dead postmaster; then checks
     * that no postmaster and no postgres process runs in the data directory and that the file says
     * so. Assumes nobody sets twincloud.site per database, per role or on the command line.
     */
    @Override
    public boolean refuseWritesOnStart(long epoch) {
        if (server.isRunning()) {
            return false;
        }
        try {
            server.killLeftovers();
            server.editAutoConf(Map.of(SITE, "", FENCE_EPOCH, Long.toString(epoch)));
            boolean written = "".equals(server.autoConf().get(SITE));
            boolean nothingRuns = !server.isRunning() && Processes.postgresIn(server.dataDir()).provablyNone();
            log.info("site={} epoch={} writes refused on any start of {}: setting written={}, no process runs={}",
                    site, epoch, server.dataDir(), written, nothingRuns);
            return written && nothingRuns;
        } catch (RuntimeException e) {
            log.warn("site={} cannot make {} refuse writes: {}", site, server.dataDir(), e.getMessage());
            return false;
        }
    }

    @Override
    public OptionalLong writesRefusedOnStart() {
        try {
            Map<String, String> auto = server.autoConf();
            if (!"".equals(auto.get(SITE))) {
                return OptionalLong.empty();
            }
            String e = auto.getOrDefault(FENCE_EPOCH, "0");
            return OptionalLong.of(e.matches("\\d+") ? Long.parseLong(e) : 0);
        } catch (RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public void allowWritesOnStart() {
        if (writesRefusedOnStart().isEmpty()) {
            return;
        }
        Map<String, String> lift = new java.util.HashMap<>();
        lift.put(SITE, null);
        lift.put(FENCE_EPOCH, null);
        server.editAutoConf(lift);
        log.info("site={} writes allowed again on start of {}", site, server.dataDir());
    }

    @Override
    public Connection connect() throws SQLException {
        Connection c = server.connect();
        try (Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = '2s'");
        }
        return c;
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + p + ": " + e.getMessage(), e);
        }
    }
}
