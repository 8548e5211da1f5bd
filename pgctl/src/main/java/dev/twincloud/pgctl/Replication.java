package dev.twincloud.pgctl;

import dev.twincloud.core.protocol.Lsn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Streaming replication between {@link PostgresServer}s: clone a standby, point it at a primary, promote
 * (see {@link PostgresServer#promote}), rewind a diverged old primary, switch sync/async, and read status.
 */
public final class Replication {
    /** How {@link #createStandby} copies the primary. */
    public enum CloneMethod {
        /** pg_basebackup when the binaries have it, else the low-level API. */
        AUTO,
        /** pg_basebackup -X stream: works across machines. */
        PG_BASEBACKUP,
        /** pg_backup_start / file copy / pg_backup_stop: both data dirs on this machine. */
        LOW_LEVEL_API
    }

    /**
     * @param applicationName the standby's name in pg_stat_replication and synchronous_standby_names
     * @param slotName        physical replication slot on the primary (created if missing), or empty for none
     * @param method          copy method
     */
    public record StandbyOptions(String applicationName, Optional<String> slotName, CloneMethod method) {
        public StandbyOptions {
            PostgresServer.requireIdentifier(applicationName);
            slotName.ifPresent(PostgresServer::requireIdentifier);
        }

        /** Slot named like the application, method AUTO. */
        public static StandbyOptions named(String applicationName) {
            return new StandbyOptions(applicationName, Optional.of(applicationName), CloneMethod.AUTO);
        }

        public StandbyOptions withMethod(CloneMethod m) {
            return new StandbyOptions(applicationName, slotName, m);
        }
    }

    private Replication() {
    }

    /**
     * Beside {@code dataDir} (pg_rewind would delete it inside): while it exists, a re-join of the directory as a
     * standby (pg_rewind or a clone) was begun and not finished. Its agent writes and removes it; whoever replaces
     * the directory altogether (the lab's {@code recover}) removes it too.
     */
    public static Path rejoinMarker(Path dataDir) {
        return dataDir.resolveSibling(dataDir.getFileName() + ".rejoining");
    }

    /**
     * Fills {@code standby}'s (empty or missing) data dir with a copy of the running {@code primary}, configured to
     * stream from it: standby.signal, primary_conninfo, primary_slot_name. Does not start the standby.
     * synchronous_standby_names copied from the primary is cleared: a fresh standby that gets promoted must not
     * block its writes waiting for a standby that does not exist. The clone is a new {@link ArchiveGeneration}.
     */
    public static void createStandby(PostgresServer primary, PostgresServer standby, StandbyOptions options) {
        Path dir = standby.dataDir();
        if (standby.isInitialized() || nonEmpty(dir)) {
            throw new PgException("Cannot clone into " + dir + ": it is not empty.");
        }
        standby.osUser().prepareOwnedDir(dir);
        options.slotName().ifPresent(slot -> createSlotIfMissing(primary, slot));
        boolean basebackup = switch (options.method()) {
            case AUTO -> standby.binaries().has(PgTool.PG_BASEBACKUP);
            case PG_BASEBACKUP -> true;
            case LOW_LEVEL_API -> false;
        };
        if (basebackup) {
            List<String> cmd = new ArrayList<>(List.of(standby.binaries().require(PgTool.PG_BASEBACKUP).toString(),
                    "-D", dir.toString(), "-d", primary.replicationConnInfo(), "-X", "stream", "-c", "fast"));
            options.slotName().ifPresent(slot -> cmd.addAll(List.of("-S", slot)));
            if (standby.noSync()) {
                cmd.add("--no-sync");
            }
            Commands.run(standby.osUser(), cmd, Duration.ofMinutes(10), "pg_basebackup from " + primary + " failed");
        } else {
            LowLevelBackup.copy(primary, dir);
            try {
                standby.osUser().chownRecursively(dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        // What the copy brought into pg_wal (pg_basebackup marks it .done) is archived by this site too: its own
        // archive then holds the current timeline's history and WAL from the clone on (WalArchiveStatus).
        WalArchiveStatus.markAllForArchiving(standby);
        // A clone is a new generation of its site's archive: a fresh server name, clear of whatever the site's
        // earlier life archived (the copy brought the source's generation, which is not this one's).
        ArchiveGeneration.write(standby, Optional.of(ArchiveGeneration.of(java.time.Instant.now())));
        standby.appendInclude();
        follow(standby, primary.replicationConnInfo(), options.applicationName(), options.slotName());
    }

    /**
     * Makes {@code standby} follow the primary at {@code primaryConnInfo} (libpq string, e.g. through a lab link):
     * writes standby.signal and sets primary_conninfo / primary_slot_name, by ALTER SYSTEM + reload when running,
     * else in postgresql.auto.conf. A running server that was a primary must be restarted to become a standby.
     */
    public static void follow(PostgresServer standby, String primaryConnInfo, String applicationName,
                              Optional<String> slotName) {
        Map<String, String> conf = new HashMap<>();
        conf.put("primary_conninfo", primaryConnInfo + " application_name=" + applicationName);
        conf.put("primary_slot_name", slotName.orElse(null));
        conf.put("synchronous_standby_names", null);
        if (standby.isRunning()) {
            standby.alterSystem(conf);
        } else {
            ConfFile.merge(standby.dataDir().resolve("postgresql.auto.conf"), conf, standby.osUser());
        }
        Path signal = standby.dataDir().resolve("standby.signal");
        try {
            if (!Files.exists(signal)) {
                Files.createFile(signal);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        standby.osUser().prepareOwnedFile(signal);
    }

    /**
     * Rewinds the stopped {@code target} (an old primary that diverged) to {@code source}'s history with pg_rewind,
     * then configures it to follow {@code source}. Start it afterwards. Needs wal_log_hints (a base setting).
     *
     * @return false when pg_rewind found nothing to rewind (e.g. after a clean switchover), true when it rewound
     */
    public static boolean rewind(PostgresServer target, PostgresServer source, StandbyOptions options) {
        return rewind(target, source, options, () -> { });
    }

    /** {@link #rewind(PostgresServer, PostgresServer, StandbyOptions)}, running {@code rewound} once pg_rewind has finished. */
    public static boolean rewind(PostgresServer target, PostgresServer source, StandbyOptions options, Runnable rewound) {
        if (target.isRunning()) {
            throw new PgException("pg_rewind needs " + target.dataDir() + " stopped; it is running.");
        }
        // A crashed target gets a single-user crash recovery from pg_rewind, which refuses to start while
        // the dead postmaster's lock file stands (its pid a zombie) or its orphaned backends run.
        target.clearWhatADeadPostmasterLeft();
        // pg_rewind reads the source's timeline from its control file, which a fresh promotion updates only at the
        // next checkpoint; without this it can see "same timeline, no rewind required" and leave the target diverged.
        source.execute("CHECKPOINT");
        List<String> cmd = new ArrayList<>(List.of(target.binaries().require(PgTool.PG_REWIND).toString(),
                "-D", target.dataDir().toString(), "--source-server=" + source.connInfo("postgres")));
        if (target.noSync()) {
            cmd.add("--no-sync");
        }
        Map<String, WalArchiveStatus.Status> walBefore = WalArchiveStatus.read(target.dataDir());
        Optional<String> generation = ArchiveGeneration.read(target.dataDir());
        String output = Commands.run(target.osUser(), cmd, Duration.ofMinutes(10),
                "pg_rewind of " + target.dataDir() + " from " + source + " failed");
        rewound.run();
        // The new timeline's history file and first segments pg_rewind copied in are archived by this site too
        // (a standby with archive_mode=always archives only what it receives): WalArchiveStatus.
        WalArchiveStatus.markCopiedForArchiving(target, walBefore);
        // pg_rewind copied the source's generation file too: a rewound site keeps its own archive path.
        ArchiveGeneration.write(target, generation);
        options.slotName().ifPresent(slot -> createSlotIfMissing(source, slot));
        follow(target, source.replicationConnInfo(), options.applicationName(), options.slotName());
        return !output.contains("no rewind required");
    }

    /**
     * Sets synchronous_standby_names (e.g. {@code "FIRST 1 (aws)"}, or "" for async) and synchronous_commit
     * ({@code on}, {@code remote_apply}, {@code local}, ...) on a running primary, effective at once (reload).
     */
    public static void setSynchronous(PostgresServer primary, String synchronousStandbyNames,
                                      String synchronousCommit) {
        primary.alterSystem(Map.of("synchronous_standby_names", synchronousStandbyNames,
                "synchronous_commit", synchronousCommit));
    }

    public static void createSlotIfMissing(PostgresServer primary, String slot) {
        PostgresServer.requireIdentifier(slot);
        try (Connection c = primary.connect(); PreparedStatement st = c.prepareStatement(
                "SELECT pg_create_physical_replication_slot(?, true) WHERE NOT EXISTS "
                        + "(SELECT 1 FROM pg_replication_slots WHERE slot_name = ?)")) {
            st.setString(1, slot);
            st.setString(2, slot);
            st.execute();
        } catch (SQLException e) {
            throw new PgException("Cannot create replication slot " + slot + " on " + primary + ": " + e.getMessage(), e);
        }
    }

    public static void dropSlotIfExists(PostgresServer primary, String slot) {
        PostgresServer.requireIdentifier(slot);
        primary.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                + slot + "' AND NOT active");
    }

    /** Null-tolerant parse for nullable {@code pg_lsn} columns. */
    private static Lsn lsnOrNull(String text) {
        return text == null ? null : Lsn.parse(text);
    }

    /** One consistent reading of the server's replication state. */
    public static ReplicationStatus status(PostgresServer server) {
        try (Connection c = server.connect()) {
            return status(c, server.toString());
        } catch (SQLException e) {
            throw new PgException("Cannot read replication status of " + server + ": " + e.getMessage(), e);
        }
    }

    /** {@link #status(PostgresServer)} on a connection of the caller's ({@code server} names it in errors). */
    public static ReplicationStatus status(Connection c, String server) {
        String sql = """
                SELECT pg_is_in_recovery() AS rec,
                       (SELECT system_identifier FROM pg_control_system()) AS sysid,
                       CASE WHEN pg_is_in_recovery()
                            THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),
                                          (SELECT timeline_id FROM pg_control_checkpoint()))
                            ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int
                       END AS tli,
                       CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS cur,
                       pg_last_wal_receive_lsn()::text AS recv,
                       pg_last_wal_replay_lsn()::text AS replay,
                       (SELECT status FROM pg_stat_wal_receiver) AS receiver
                """;
        try (Statement st = c.createStatement()) {
            ReplicationStatus s;
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                s = new ReplicationStatus(rs.getBoolean("rec"), rs.getLong("sysid"), rs.getInt("tli"),
                        Optional.ofNullable(lsnOrNull(rs.getString("cur"))),
                        Optional.ofNullable(lsnOrNull(rs.getString("recv"))),
                        Optional.ofNullable(lsnOrNull(rs.getString("replay"))),
                        Optional.ofNullable(rs.getString("receiver")), Optional.empty());
            }
            // on the same connection, after the positions; a role that may not read it leaves it unknown
            return new ReplicationStatus(s.inRecovery(), s.systemIdentifier(), s.timeline(), s.currentLsn(), s.receiveLsn(),
                    s.replayLsn(), s.walReceiverStatus(), WalArchiveStatus.backlog(c));
        } catch (SQLException e) {
            throw new PgException("Cannot read replication status of " + server + ": " + e.getMessage(), e);
        }
    }

    /** pg_stat_replication on a primary: its connected standbys. */
    public static List<ReplicationPeer> peers(PostgresServer primary) {
        try (Connection c = primary.connect()) {
            return peers(c, primary.toString());
        } catch (SQLException e) {
            throw new PgException("Cannot read pg_stat_replication on " + primary + ": " + e.getMessage(), e);
        }
    }

    /** {@link #peers(PostgresServer)} on a connection of the caller's ({@code primary} names it in errors). */
    public static List<ReplicationPeer> peers(Connection c, String primary) {
        String sql = "SELECT application_name, state, sync_state, flush_lsn::text, replay_lsn::text,"
                + " (extract(epoch FROM replay_lag) * 1000)::bigint FROM pg_stat_replication ORDER BY application_name";
        List<ReplicationPeer> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                long lagValue = rs.getLong(6);
                Long lag = rs.wasNull() ? null : lagValue; // read before the other columns: wasNull() is about the last read
                out.add(new ReplicationPeer(rs.getString(1), rs.getString(2), rs.getString(3),
                        lsnOrNull(rs.getString(4)), lsnOrNull(rs.getString(5)), lag));
            }
        } catch (SQLException e) {
            throw new PgException("Cannot read pg_stat_replication on " + primary + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Waits until the primary shows {@code applicationName} streaming (and with {@code syncState}, if given). */
    public static ReplicationPeer awaitPeer(PostgresServer primary, String applicationName, Optional<String> syncState,
                                            Duration timeout) {
        return Poll.until(timeout, Duration.ofMillis(50), () -> peers(primary).stream()
                        .filter(p -> p.applicationName().equals(applicationName) && "streaming".equals(p.state()))
                        .filter(p -> syncState.isEmpty() || syncState.get().equals(p.syncState()))
                        .findFirst())
                .orElseThrow(() -> new PgException("Standby '" + applicationName + "' is not streaming"
                        + syncState.map(s -> " with sync_state " + s).orElse("") + " to " + primary + " after "
                        + timeout.toSeconds() + "s; pg_stat_replication: " + peers(primary)));
    }

    /** Waits until the standby has replayed at least {@code lsn}. */
    public static void awaitReplay(PostgresServer standby, Lsn lsn, Duration timeout) {
        boolean ok = Poll.until(timeout, () -> status(standby).replayLsn().map(r -> r.compareTo(lsn) >= 0)
                .orElse(false));
        if (!ok) {
            throw new PgException(standby + " has not replayed up to " + lsn + " after " + timeout.toSeconds()
                    + "s; status: " + status(standby));
        }
    }

    /**
     * Ends a standby's sleep between two tries of its WAL sources, if its startup process is in one; true when it was.
     * A promote request that reaches PostgreSQL 15's startup process while it waits for a WAL receiver it asked for and
     * that has not started yet (after the primary's stream ended, once per {@code wal_retrieve_retry_interval}) is
     * noticed, and then the process sleeps the rest of that interval since the stream's last failure before it acts on
     * it, with nothing to wake it: up to 500 ms of a lab switchover, 5 s with PostgreSQL's default. A SIGHUP sets the
     * latch that sleep waits on, so {@code pg_reload_conf()} ends it; waking it early otherwise only makes it look at
     * its sources sooner. Needs a role that may call {@code pg_reload_conf()} (a superuser here).
     */
    public static boolean wakeRecoveryFromRetrySleep(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_reload_conf() FROM pg_stat_activity"
                     + " WHERE backend_type = 'startup' AND wait_event = 'RecoveryRetrieveRetryInterval'")) {
            return rs.next();
        }
    }

    private static boolean nonEmpty(Path dir) {
        try (var s = Files.list(dir)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            return false; // missing: fine, it will be created
        }
    }
}
