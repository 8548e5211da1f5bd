package dev.twincloud.pgctl;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * One PostgreSQL server: a data directory, the binaries that run it, and a loopback port.
 * Lifecycle: {@link #initdb()} once, then {@link #start()} / {@link #stop(StopMode)} any number of times.
 * The server listens on 127.0.0.1 only and has no unix socket (socket paths are limited to 107 chars and
 * every client here uses TCP). Settings from the builder go to {@code twincloud.conf}, included from
 * postgresql.conf, so {@code ALTER SYSTEM} (postgresql.auto.conf) still overrides them.
 */
public final class PostgresServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PostgresServer.class.getName());
    static final String TWINCLOUD_CONF = "twincloud.conf";

    /** Defaults every server gets: ready to be a replication primary and to be rewound. */
    static final Map<String, String> BASE_SETTINGS = Map.of(
            "wal_level", "replica",
            "wal_log_hints", "on", // pg_rewind needs it (or data checksums)
            "max_wal_senders", "10",
            "max_replication_slots", "10",
            "hot_standby", "on",
            "wal_keep_size", "128MB", // slot-less standbys can catch up after short gaps
            // PostgreSQL 15's pg_rewind copies every file in the source's pg_wal whatever its age, so the
            // WAL kept (up to max_wal_size: 769 MB seen in a drill's lab) is what an old writer's re-join
            // copies: keep it near wal_keep_size.
            "max_wal_size", "256MB",
            "min_wal_size", "64MB",
            // No logical replication here: without its launcher (a background worker) a fast shutdown has one
            // process fewer to wait for — 166 instead of 191 ms, median of 5, six idle clients (docs/benchmarks.md).
            "max_logical_replication_workers", "0");

    private final PgBinaries binaries;
    private final Path dataDir;
    private final Path logFile;
    private final Path jsonLog;
    private final String superuser;
    private final Map<String, String> settings;
    private final OsUser osUser;
    private final boolean portChosenByUs;
    private final boolean stopOnJvmExit;
    private final boolean initdbNoSync;
    private final Duration startTimeout;
    private final PgTls.Server serverTls;
    /** The network the other site's connections come from (pg_hba), or null: loopback only. */
    private final String crossSiteNetwork;
    private final PgTls.Client clientTls;
    private final String replicationUser;
    private final PgTls.Client replicationTls;
    private volatile int port;

    private PostgresServer(Builder b) {
        this.binaries = b.binaries != null ? b.binaries : PgBinaries.locate();
        this.dataDir = b.dataDir.toAbsolutePath().normalize();
        this.logFile = b.logFile != null ? b.logFile.toAbsolutePath().normalize()
                : dataDir.resolveSibling(dataDir.getFileName() + ".log");
        this.jsonLog = b.jsonLog != null ? b.jsonLog.toAbsolutePath().normalize() : null;
        this.superuser = b.superuser;
        this.settings = Map.copyOf(b.settings);
        this.osUser = b.osUser != null ? b.osUser : OsUser.current();
        this.portChosenByUs = b.port == 0;
        this.port = b.port == 0 ? Ports.freePort() : b.port;
        this.stopOnJvmExit = b.stopOnJvmExit;
        this.initdbNoSync = b.initdbNoSync;
        this.startTimeout = b.startTimeout;
        this.serverTls = b.serverTls;
        this.crossSiteNetwork = b.crossSiteNetwork;
        this.clientTls = b.clientTls;
        this.replicationUser = b.replicationUser;
        this.replicationTls = b.replicationTls;
        // the server's OS user runs pg_basebackup, pg_rewind and the WAL receiver with these keys
        if (clientTls != null) {
            clientTls.prepareFiles(osUser);
        }
        if (replicationTls != null) {
            replicationTls.prepareFiles(osUser);
        }
    }

    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    // ---------------------------------------------------------------- lifecycle

    public boolean isInitialized() {
        return Files.exists(dataDir.resolve("PG_VERSION"));
    }

    /** Creates the cluster: UTF8, locale C, trust auth on loopback, the configured superuser. */
    public PostgresServer initdb() {
        if (isInitialized()) {
            throw new PgException("Data directory " + dataDir + " already holds a cluster (PG_VERSION exists).");
        }
        osUser.prepareOwnedDir(dataDir);
        List<String> cmd = new ArrayList<>(List.of(binaries.require(PgTool.INITDB).toString(),
                "-D", dataDir.toString(), "-U", superuser, "-E", "UTF8", "--locale=C", "--auth=trust"));
        if (initdbNoSync) {
            cmd.add("--no-sync");
        }
        Commands.run(osUser, cmd, Duration.ofMinutes(3), "initdb failed for " + dataDir);
        appendInclude();
        return this;
    }

    /** Adds {@code include_if_exists = 'twincloud.conf'} to postgresql.conf (kept when the dir is cloned). */
    void appendInclude() {
        Path conf = dataDir.resolve("postgresql.conf");
        try {
            String text = Files.readString(conf);
            if (!text.contains("include_if_exists = '" + TWINCLOUD_CONF + "'")) {
                Files.writeString(conf, text + "\n# twincloud pgctl: settings from the builder\ninclude_if_exists = '"
                        + TWINCLOUD_CONF + "'\n");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot edit " + conf, e);
        }
    }

    /** Starts and waits until the server accepts connections. */
    public PostgresServer start() {
        if (!isInitialized()) {
            throw new PgException("Data directory " + dataDir + " holds no cluster; call initdb() first.");
        }
        Optional<PostmasterPid> live = PostmasterPid.live(dataDir);
        if (live.isPresent()) {
            throw new DataDirInUseException(dataDir, live.get().pid());
        }
        clearWhatADeadPostmasterLeft();
        if (!Ports.isFree(port)) {
            if (!portChosenByUs) {
                throw portInUse("");
            }
            port = Ports.freePort(); // our pick was taken in the meantime: pick again
        }
        osUser.prepareOwnedDir(dataDir);
        Map<String, String> conf = new LinkedHashMap<>(BASE_SETTINGS);
        if (serverTls != null) {
            serverTls.prepareFiles(osUser);
            conf.putAll(serverTls.settings());
            writeHba(serverTls.hba(crossSiteNetwork));
        } else if (crossSiteNetwork != null) {
            writeHba(PgTls.plainHba(crossSiteNetwork));
        }
        if (jsonLog != null) {
            conf.putAll(jsonLogSettings(jsonLog));
            // The logging collector opens these itself, as the server's OS user: they must exist and be its own.
            osUser.prepareOwnedFile(jsonLog);
            osUser.prepareOwnedFile(jsonLog.resolveSibling(collectorStderrName(jsonLog)));
        }
        conf.putAll(settings);
        ConfFile.write(dataDir.resolve(TWINCLOUD_CONF), conf, osUser);
        osUser.prepareOwnedFile(logFile);
        long logOffset = fileSize(logFile);

        List<String> cmd = List.of(binaries.require(PgTool.PG_CTL).toString(), "start", "-D", dataDir.toString(),
                "-l", logFile.toString(), "-w", "-t", Long.toString(startTimeout.toSeconds()),
                "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''");
        Commands.Result r = Commands.exec(osUser, cmd, Map.of(), startTimeout.plusSeconds(30));
        if (!r.ok()) {
            throw startFailure(r, logOffset);
        }
        if (stopOnJvmExit) {
            Reaper.register(this);
        }
        Optional<Boolean> up = Poll.until(startTimeout, Duration.ofMillis(50), this::probe);
        if (up.isEmpty()) {
            throw new StartFailedException("PostgreSQL in " + dataDir + " started but accepted no connection on port "
                    + port + " within " + startTimeout.toSeconds() + "s.", logTail(logOffset, 40));
        }
        LOG.fine(() -> "started PostgreSQL " + binaries.version() + " on 127.0.0.1:" + port + " from " + dataDir);
        return this;
    }

    /** Replaces pg_hba.conf (read at start and on reload): {@link PgTls.Server#hba(String)} or {@link PgTls#plainHba(String)}. */
    private void writeHba(String text) {
        Path hba = dataDir.resolve("pg_hba.conf");
        try {
            Files.writeString(hba, text);
            osUser.prepareOwnedFile(hba);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + hba, e);
        }
    }

    /**
     * The settings that make the server log in {@code jsonlog} to {@code file} (docs/logging.md): the logging collector
     * on, one file that is never rotated (the lab's logs live as long as the lab), times in UTC, and no bind parameter
     * values in statement lines (they would be patients' data). PostgreSQL names the JSON file after
     * {@code log_filename} with {@code .log} replaced by {@code .json}; what reaches the collector outside its protocol
     * (rare) goes to that {@code .log} file beside it.
     */
    static Map<String, String> jsonLogSettings(Path file) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("logging_collector", "on");
        s.put("log_destination", "jsonlog");
        s.put("log_directory", file.getParent().toString());
        s.put("log_filename", collectorStderrName(file));
        s.put("log_rotation_age", "0");
        s.put("log_rotation_size", "0");
        s.put("log_truncate_on_rotation", "off");
        s.put("log_timezone", "UTC");
        s.put("log_parameter_max_length", "0");
        s.put("log_parameter_max_length_on_error", "0");
        return s;
    }

    private static String collectorStderrName(Path jsonFile) {
        String name = jsonFile.getFileName().toString();
        if (!name.endsWith(".json") || name.length() == ".json".length() || name.contains("%")) {
            throw new IllegalArgumentException("the JSON log's file name must end in .json and hold no %: " + jsonFile);
        }
        return name.substring(0, name.length() - ".json".length()) + ".log";
    }

    private PgException startFailure(Commands.Result r, long logOffset) {
        String tail = logTail(logOffset, 40);
        if (tail.contains("could not bind") || tail.contains("Address already in use")) {
            return portInUse(tail);
        }
        if (tail.contains("lock file \"postmaster.pid\" already exists")) {
            return new DataDirInUseException(dataDir, PostmasterPid.read(dataDir).map(PostmasterPid::pid).orElse(-1L));
        }
        return new StartFailedException("PostgreSQL did not start from " + dataDir + " on port " + port + " ("
                + (r.exitCode() < 0 ? "pg_ctl timed out" : "pg_ctl exited with " + r.exitCode()) + ": "
                + r.output().strip() + "). Log: " + logFile, tail);
    }

    private PortInUseException portInUse(String logTail) {
        return new PortInUseException(port, "Port " + port + " on 127.0.0.1 is already in use by another process;"
                + " PostgreSQL in " + dataDir + " cannot listen there. Choose another port, or port 0 for a free one."
                + (logTail.isBlank() ? "" : "\n--- server log (tail) ---\n" + logTail));
    }

    private Optional<Boolean> probe() {
        if (PostmasterPid.live(dataDir).isEmpty()) {
            throw new StartFailedException("PostgreSQL in " + dataDir + " exited while starting.", logTail(0, 40));
        }
        try (Connection c = connect("postgres", Duration.ofSeconds(2))) {
            return Optional.of(true);
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** Stops with one mode and waits (up to 60 s) until the postmaster is gone. No-op when not running. */
    public void stop(StopMode mode) {
        stop(mode, Duration.ofSeconds(60));
    }

    /** How often a stop looks whether the postmaster has exited. */
    private static final Duration STOP_POLL = Duration.ofMillis(5);

    /** Stops with one mode and waits until the postmaster process has exited. No-op when not running. */
    public void stop(StopMode mode, Duration timeout) {
        Optional<PostmasterPid> live = PostmasterPid.live(dataDir);
        if (live.isEmpty()) {
            Reaper.unregister(this);
            return;
        }
        // The signal pg_ctl stop would send, sent by kill: as root, pg_ctl runs through runuser, which
        // costs 60 ms a call on a busy 2-core machine — on a switchover's path. pg_ctl (-W: it only sends
        // the signal) when kill cannot. The wait is ours: pg_ctl's own looks every 100 ms (WAITS_PER_SEC)
        // for postmaster.pid to go, which a switchover would pay in full. "Stopped" means the postmaster
        // process has exited (after it removed postmaster.pid): the port is free.
        List<String> command = List.of("kill", "-s", mode.signalName(), Long.toString(live.get().pid()));
        Commands.Result r = signal(command);
        if (!r.ok()) {
            command = List.of(binaries.require(PgTool.PG_CTL).toString(), "stop", "-D", dataDir.toString(), "-m",
                    mode.pgCtlName(), "-W");
            r = Commands.exec(osUser, command, Map.of(), Duration.ofSeconds(30));
        }
        boolean gone = Poll.until(r.ok() ? timeout : Duration.ZERO, STOP_POLL,
                () -> Processes.running(live.get().pid()) ? Optional.empty() : Optional.of(true)).isPresent();
        if (!gone) {
            throw new CommandFailedException(command,
                    r.exitCode(), r.output(), "Stopping PostgreSQL in " + dataDir + " (pid " + live.get().pid()
                    + ") failed" + (r.ok() ? " (still running after " + timeout.toMillis() + " ms)" : ""));
        }
        Reaper.unregister(this);
    }

    /** Runs {@code kill} as the JVM's user; not ok when kill is missing or may not signal that process. */
    private static Commands.Result signal(List<String> kill) {
        try {
            return Commands.exec(OsUser.unwrapped(), kill, Map.of(), Duration.ofSeconds(10));
        } catch (PgException e) {
            return new Commands.Result(-1, e.getMessage());
        }
    }

    /** Stops whatever it takes: FAST (30 s), then IMMEDIATE (10 s), then SIGKILL. */
    public void stop() {
        stopEscalating(Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /** FAST, then IMMEDIATE, then SIGKILL, each step bounded. Never throws for a server that ends up down. */
    public void stopEscalating(Duration fastTimeout, Duration immediateTimeout) {
        try {
            stop(StopMode.FAST, fastTimeout);
            return;
        } catch (RuntimeException e) {
            LOG.warning("fast stop of " + dataDir + " failed, trying immediate: " + e.getMessage());
        }
        try {
            stop(StopMode.IMMEDIATE, immediateTimeout);
            return;
        } catch (RuntimeException e) {
            LOG.warning("immediate stop of " + dataDir + " failed, killing: " + e.getMessage());
        }
        kill();
    }

    /** SIGKILL to the postmaster and its children, like a host crash; waits until they are gone. */
    public void kill() {
        PostmasterPid.live(dataDir).flatMap(p -> ProcessHandle.of(p.pid())).ifPresent(pm -> {
            List<ProcessHandle> all = new ArrayList<>(pm.descendants().toList());
            all.add(0, pm);
            all.forEach(ProcessHandle::destroyForcibly);
            for (ProcessHandle h : all) {
                try {
                    h.onExit().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    LOG.warning("process " + h.pid() + " of " + dataDir + " did not exit after SIGKILL");
                }
            }
        });
        Reaper.unregister(this);
    }

    /**
     * SIGKILLs postgres processes left running in the data directory by a postmaster that is gone
     * (killed): they hold its shared memory, so a new postmaster would refuse to start, and an
     * orphaned backend may still commit. First, always, a pg_rewind or pg_basebackup still writing
     * this data directory for an agent that died meanwhile (nothing kills a child when its JVM dies;
     * during pg_rewind's single-user recovery its postgres holds postmaster.pid): a second one beside
     * it would mix two copies in one directory. The postgres processes: no-op while a postmaster runs.
     * Returns how many postgres processes were killed.
     */
    public int killLeftovers() {
        int tools = Processes.killToolsWritingTo(dataDir);
        if (tools > 0) {
            LOG.warning("killed " + tools + " left-over pg_rewind/pg_basebackup process(es) writing " + dataDir
                    + " (their agent died while they ran)");
        }
        if (PostmasterPid.live(dataDir).isPresent()) {
            return 0;
        }
        List<ProcessHandle> left = Processes.postgresIn(dataDir).pids().stream()
                .flatMap(pid -> ProcessHandle.of(pid).stream()).toList();
        left.forEach(ProcessHandle::destroyForcibly);
        // Exited is enough (a zombie holds no shared memory and commits nothing): not onExit(), which
        // waits until a parent reaps them, and an init that reaps late makes that take seconds.
        for (ProcessHandle h : left) {
            if (!Poll.until(Duration.ofSeconds(10), () -> !Processes.running(h.pid()))) {
                LOG.warning("left-over process " + h.pid() + " of " + dataDir + " did not exit after SIGKILL");
            }
        }
        if (!left.isEmpty()) {
            LOG.info("killed " + left.size() + " left-over postgres processes of " + dataDir);
        }
        return left.size();
    }

    /**
     * Before anything starts a postgres on this data directory (a start, pg_rewind's single-user crash
     * recovery): kills what a dead postmaster left running and removes its stale postmaster.pid.
     * No-op while a postmaster runs.
     */
    void clearWhatADeadPostmasterLeft() {
        killLeftovers();
        removeStaleLockFile();
    }

    /**
     * Removes postmaster.pid when its process is gone or a zombie and no postgres process is left in
     * the data directory. PostgreSQL itself refuses to start while the pid in the file answers
     * {@code kill(pid, 0)}, which a zombie does: a postmaster killed with SIGKILL stays one until
     * its parent reaps it, and where that parent is an init that reaps late (containers, micro-VMs)
     * the restart would wait seconds for it.
     */
    private void removeStaleLockFile() {
        Optional<PostmasterPid> pid = PostmasterPid.read(dataDir);
        if (pid.isEmpty() || pid.get().alive() || !Processes.postgresIn(dataDir).provablyNone()) {
            return;
        }
        try {
            Files.deleteIfExists(dataDir.resolve("postmaster.pid"));
            LOG.info("removed the stale postmaster.pid of " + dataDir + " (pid " + pid.get().pid() + " is gone)");
        } catch (IOException e) {
            LOG.warning("cannot remove the stale postmaster.pid of " + dataDir + ": " + e.getMessage());
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    public boolean isRunning() {
        return PostmasterPid.live(dataDir).isPresent();
    }

    public ServerStatus status() {
        Optional<PostmasterPid> pid = PostmasterPid.live(dataDir);
        if (pid.isEmpty()) {
            return new ServerStatus(false, OptionalLong.empty(), port, Optional.empty(), Optional.empty());
        }
        Optional<Boolean> recovery;
        try {
            recovery = Optional.of(queryBoolean("SELECT pg_is_in_recovery()"));
        } catch (PgException e) {
            recovery = Optional.empty();
        }
        return new ServerStatus(true, OptionalLong.of(pid.get().pid()), pid.get().port() > 0 ? pid.get().port() : port,
                Optional.of(pid.get().status()), recovery);
    }

    // ---------------------------------------------------------------- control

    /** Promotes a standby ({@code pg_ctl promote -w}) and waits until it accepts writes. */
    public void promote(Duration timeout) {
        Commands.run(osUser, List.of(binaries.require(PgTool.PG_CTL).toString(), "promote", "-D", dataDir.toString(),
                "-w", "-t", Long.toString(Math.max(1, timeout.toSeconds()))), timeout.plusSeconds(10),
                "Promoting " + dataDir + " failed");
        if (!Poll.until(timeout, () -> !queryBoolean("SELECT pg_is_in_recovery()"))) {
            throw new PgException(dataDir + " still in recovery " + timeout.toSeconds() + "s after promote.");
        }
    }

    /** {@code ALTER SYSTEM SET} each key (null value: RESET) then {@code pg_reload_conf()}. */
    public void alterSystem(Map<String, String> changes) {
        try (Connection c = connect()) {
            alterSystem(c, changes);
        } catch (SQLException e) {
            throw new PgException("ALTER SYSTEM " + changes + " on " + dataDir + " failed: " + e.getMessage(), e);
        }
    }

    /** {@link #alterSystem(Map)} on {@code c}, a superuser's connection to this server the caller keeps. */
    public void alterSystem(Connection c, Map<String, String> changes) {
        try (Statement st = c.createStatement()) {
            for (Map.Entry<String, String> e : changes.entrySet()) {
                requireIdentifier(e.getKey());
                st.execute(e.getValue() == null ? "ALTER SYSTEM RESET " + e.getKey()
                        : "ALTER SYSTEM SET " + e.getKey() + " = " + ConfFile.quote(e.getValue()));
            }
            st.execute("SELECT pg_reload_conf()");
        } catch (SQLException e) {
            throw new PgException("ALTER SYSTEM " + changes + " on " + dataDir + " failed: " + e.getMessage(), e);
        }
    }

    /** The settings in postgresql.auto.conf, read from the file (also while stopped). */
    public Map<String, String> autoConf() {
        return ConfFile.read(dataDir.resolve("postgresql.auto.conf"));
    }

    /**
     * Sets (a null value: removes) settings in postgresql.auto.conf of a stopped server, and forces
     * the file to disk: the settings every later start reads last, whoever starts it (they override
     * postgresql.conf and twincloud.conf). Use {@link #alterSystem(Map)} on a running server.
     */
    public void editAutoConf(Map<String, String> changes) {
        if (isRunning()) {
            throw new PgException("PostgreSQL in " + dataDir + " is running; use ALTER SYSTEM");
        }
        changes.keySet().forEach(PostgresServer::requireIdentifier);
        Path file = dataDir.resolve("postgresql.auto.conf");
        ConfFile.merge(file, changes, osUser);
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot flush " + file, e);
        }
    }

    /** Current value of a setting ({@code SHOW}). */
    public String show(String setting) {
        requireIdentifier(setting);
        return queryString("SHOW " + setting);
    }

    /** Creates a database (owner: the superuser) and returns its JDBC URL. */
    public String createDatabase(String name) {
        requireIdentifier(name);
        execute("CREATE DATABASE " + name);
        return jdbcUrl(name);
    }

    // ---------------------------------------------------------------- SQL

    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    public Connection connect(String database) throws SQLException {
        return connect(database, Duration.ofSeconds(10));
    }

    Connection connect(String database, Duration timeout) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", superuser);
        p.setProperty("connectTimeout", Long.toString(Math.max(1, timeout.toSeconds())));
        p.setProperty("ApplicationName", "twincloud-pgctl");
        if (clientTls != null) {
            clientTls.jdbc(p);
        }
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    public void execute(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        } catch (SQLException e) {
            throw new PgException("`" + sql + "` on port " + port + " failed: " + e.getMessage(), e);
        }
    }

    public String queryString(String sql) {
        try (Connection c = connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new PgException("`" + sql + "` on port " + port + " failed: " + e.getMessage(), e);
        }
    }

    public boolean queryBoolean(String sql) {
        String v = queryString(sql);
        return "t".equals(v) || "true".equals(v);
    }

    static void requireIdentifier(String s) {
        if (!s.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
            throw new IllegalArgumentException("Not a plain SQL identifier: " + s);
        }
    }

    // ---------------------------------------------------------------- accessors

    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** libpq connection string, e.g. for pg_rewind --source-server (over TLS with {@link Builder#clientTls}). */
    public String connInfo(String database) {
        return "host=127.0.0.1 port=" + port + " user=" + superuser + " dbname=" + database
                + (clientTls == null ? "" : clientTls.connInfo());
    }

    /**
     * libpq connection string for streaming and copying from this server (primary_conninfo, pg_basebackup): as
     * {@link Builder#replication}'s role over TLS when given, else {@link #connInfo(String) connInfo("postgres")}.
     */
    public String replicationConnInfo() {
        return replicationUser == null ? connInfo("postgres")
                : replicationTls.connInfo("127.0.0.1", port, replicationUser, "postgres");
    }

    public int port() {
        return port;
    }

    public String superuser() {
        return superuser;
    }

    /** Always empty: loopback connections use trust authentication. */
    public String password() {
        return "";
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logFile() {
        return logFile;
    }

    /** The {@code jsonlog} file, when the server logs there ({@link Builder#jsonLog}). */
    public Optional<Path> jsonLog() {
        return Optional.ofNullable(jsonLog);
    }

    public PgBinaries binaries() {
        return binaries;
    }

    public OsUser osUser() {
        return osUser;
    }

    Map<String, String> settings() {
        return settings;
    }

    /** Throwaway cluster: skip fsync in initdb/pg_basebackup/pg_rewind. */
    boolean noSync() {
        return initdbNoSync;
    }

    /** The last {@code lines} lines of the server log (and of its JSON log, when it has one). */
    public String logTail(int lines) {
        return logTail(0, lines);
    }

    private String logTail(long fromOffset, int lines) {
        String tail = tail(logFile, fromOffset, lines);
        // With the logging collector, what happens after it started (recovery, a FATAL) is in the JSON log only.
        return jsonLog == null ? tail : tail + "\n--- " + jsonLog.getFileName() + " (tail) ---\n" + tail(jsonLog, 0, lines);
    }

    private static String tail(Path file, long fromOffset, int lines) {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long start = Math.max(fromOffset, f.length() - 64 * 1024);
            f.seek(start);
            byte[] buf = new byte[(int) (f.length() - start)];
            f.readFully(buf);
            String[] all = new String(buf, StandardCharsets.UTF_8).split("\n");
            return String.join("\n", Arrays.asList(all).subList(Math.max(0, all.length - lines), all.length));
        } catch (IOException e) {
            return "(no server log at " + file + ")";
        }
    }

    private static long fileSize(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public String toString() {
        return "PostgreSQL " + binaries.version() + " [" + dataDir + " @127.0.0.1:" + port + "]";
    }

    /** Configuration of one server; every field has a default except the data dir. */
    public static final class Builder {
        private final Path dataDir;
        private PgBinaries binaries;
        private Path logFile;
        private Path jsonLog;
        private int port;
        private String superuser = "postgres";
        private final Map<String, String> settings = new LinkedHashMap<>();
        private OsUser osUser;
        private boolean stopOnJvmExit;
        private boolean initdbNoSync;
        private Duration startTimeout = Duration.ofSeconds(60);
        private PgTls.Server serverTls;
        private String crossSiteNetwork;
        private PgTls.Client clientTls;
        private String replicationUser;
        private PgTls.Client replicationTls;

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** Binaries to use; default {@link PgBinaries#locate()}. */
        public Builder binaries(PgBinaries b) {
            this.binaries = b;
            return this;
        }

        /** Server log; default {@code <dataDir>.log} beside the data dir (kept out of clones). */
        public Builder logFile(Path f) {
            this.logFile = f;
            return this;
        }

        /**
         * Log in {@code jsonlog} to this file (its name ends in {@code .json}) through the logging collector, instead of
         * plain text to {@link #logFile} (which then keeps only what the server writes before the collector starts).
         * Default: none.
         */
        public Builder jsonLog(Path f) {
            collectorStderrName(f); // the name's rules, checked now
            this.jsonLog = f;
            return this;
        }

        /** Port on 127.0.0.1; 0 (default) picks a free one, kept across restarts. */
        public Builder port(int p) {
            this.port = p;
            return this;
        }

        public Builder superuser(String name) {
            requireIdentifier(name);
            this.superuser = name;
            return this;
        }

        /** A GUC written to twincloud.conf at every start (ALTER SYSTEM values still win). */
        public Builder setting(String key, String value) {
            requireIdentifier(key);
            settings.put(key, value);
            return this;
        }

        public Builder settings(Map<String, String> all) {
            all.forEach(this::setting);
            return this;
        }

        public Builder osUser(OsUser u) {
            this.osUser = u;
            return this;
        }

        /** Register with the JVM shutdown hook so the server cannot outlive the JVM (tests); default false. */
        public Builder stopOnJvmExit(boolean b) {
            this.stopOnJvmExit = b;
            return this;
        }

        /** initdb --no-sync: faster, for throwaway clusters (tests). */
        public Builder initdbNoSync(boolean b) {
            this.initdbNoSync = b;
            return this;
        }

        public Builder startTimeout(Duration d) {
            this.startTimeout = d;
            return this;
        }

        /**
         * The server speaks TLS and admits the other site's roles only with a certificate (its settings and
         * pg_hba.conf written at every start); default: no TLS, trust on loopback for everyone.
         */
        /**
         * The network (CIDR) the other site's connections come from, written into pg_hba.conf at every start:
         * with {@link #serverTls} only its certificate roles over TLS are admitted from there
         * ({@link PgTls.Server#hba(String)}); without, trust as on loopback. Default: none (loopback only).
         */
        public Builder crossSiteNetwork(String cidr) {
            this.crossSiteNetwork = cidr == null ? null : PgTls.requireCidr(cidr);
            return this;
        }

        public Builder serverTls(PgTls.Server tls) {
            this.serverTls = tls;
            return this;
        }

        /** {@link #connect()} and {@link #connInfo(String)} reach this server over TLS as {@link #superuser(String)}. */
        public Builder clientTls(PgTls.Client tls) {
            this.clientTls = tls;
            return this;
        }

        /** {@link #replicationConnInfo()} streams and copies from this server as {@code user} over TLS. */
        public Builder replication(String user, PgTls.Client tls) {
            requireIdentifier(user);
            this.replicationUser = user;
            this.replicationTls = java.util.Objects.requireNonNull(tls, "tls");
            return this;
        }

        public PostgresServer build() {
            return new PostgresServer(this);
        }
    }
}
