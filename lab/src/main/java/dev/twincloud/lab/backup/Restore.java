package dev.twincloud.lab.backup;

import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.StopMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Restores one store's base backup plus its WAL into a scratch PostgreSQL and starts it
 * (docs/backups.md, {@code lab restore}). Nothing is ever written into the target directory itself:
 * the backup is fetched into {@code DIR.partial}, recovered there, and only a recovered, promoted
 * data directory is renamed to {@code DIR}; any failure deletes {@code DIR.partial} (the server log,
 * {@code DIR.log}, stays to tell why). The restored server runs with {@code archive_mode=off}: its new
 * timeline never reaches the site's archive.
 */
public final class Restore {
    /** Where recovery should stop. */
    public sealed interface Target {
        /** The end of the archive. */
        record Latest() implements Target {
            @Override
            public String toString() {
                return "the end of the archive";
            }
        }

        /** Every transaction committed at or before this instant, none after. */
        record Time(Instant at) implements Target {
            @Override
            public String toString() {
                return "time " + at;
            }
        }

        /** The WAL up to this position. */
        record Position(long lsn) implements Target {
            @Override
            public String toString() {
                return "WAL position " + Lsn.format(lsn);
            }
        }

        /**
         * A restore point made with {@code pg_create_restore_point(name)} ({@link RestoreDrill}): recovery stops at
         * that record. {@code createdAt} (the writer's clock when it was made) chooses the base backup.
         */
        record Name(String name, Instant createdAt) implements Target {
            @Override
            public String toString() {
                return "restore point '" + name + "'";
            }
        }
    }

    /**
     * What a restore recovered.
     *
     * @param backup          the base backup it started from
     * @param target          where it was asked to stop
     * @param dir             the data directory, running
     * @param port            the running server's port
     * @param timeline        its new timeline
     * @param recoveryReport  PostgreSQL's own lines on where recovery stopped
     * @param rowCounts       rows per table of the {@code public} schema of database {@code postgres}
     */
    public record Restored(BaseBackup backup, Target target, Path dir, int port, int timeline, List<String> recoveryReport,
                           Map<String, Long> rowCounts) {
    }

    /** PostgreSQL's own form, in UTC: the server's recovery_target_time refuses ISO 8601's {@code T} (PostgreSQL 15). */
    static final java.time.format.DateTimeFormatter PG_TIME = java.time.format.DateTimeFormatter
            .ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS'+00'").withZone(java.time.ZoneOffset.UTC);

    private final BarmanCloud barman;
    private final PgBinaries binaries;
    private final ZoneId zone;
    private final Consumer<String> progress;

    public Restore(BarmanCloud barman, PgBinaries binaries, ZoneId zone, Consumer<String> progress) {
        this.barman = barman;
        this.binaries = binaries;
        this.zone = zone;
        this.progress = progress;
    }

    /** The base backup a target needs: the newest that was consistent before it; an error if there is none. */
    static BaseBackup choose(ObjectStore store, List<BaseBackup> all, Target target, Instant now) {
        List<BaseBackup> usable = all.stream().filter(BaseBackup::usable).sorted(Comparator.comparing(BaseBackup::end)).toList();
        if (usable.isEmpty()) {
            throw new BackupException("store " + store.name() + " has no base backup of site " + store.site()
                    + (all.isEmpty() ? "" : " that completed") + ": take one with 'twincloud lab backup'");
        }
        BaseBackup oldest = usable.get(0);
        return switch (target) {
            case Target.Latest l -> usable.get(usable.size() - 1);
            case Target.Time t -> {
                if (t.at().isAfter(now)) {
                    throw new BackupException("--to-time " + t.at() + " is in the future (now " + now + "): use --latest for everything archived");
                }
                yield usable.stream().filter(b -> !b.end().isAfter(t.at())).reduce((a, b) -> b)
                        .orElseThrow(() -> new BackupException("--to-time " + t.at() + " is before the oldest base backup in store "
                                + store.name() + " (" + oldest.id() + ", consistent from " + oldest.end() + "): nothing can be restored to that time"));
            }
            case Target.Name n -> usable.stream().filter(b -> !b.end().isAfter(n.createdAt())).reduce((a, b) -> b)
                    .orElseThrow(() -> new BackupException(n + " (made " + n.createdAt() + ") is before the newest base backup in store "
                            + store.name() + " was consistent (" + oldest.id() + ", consistent from " + oldest.end() + ")"));
            case Target.Position p -> usable.stream().filter(b -> Long.compareUnsigned(b.endLsn(), p.lsn()) <= 0).reduce((a, b) -> b)
                    .orElseThrow(() -> new BackupException("--to-lsn " + Lsn.format(p.lsn()) + " is before the oldest base backup in store "
                            + store.name() + " (" + oldest.id() + ", consistent from " + Lsn.format(oldest.endLsn())
                            + "): nothing can be restored to that position"));
        };
    }

    /**
     * Restores {@code store} to {@code target} into {@code into} and leaves the server running on
     * {@code port}. {@code into} must not exist or be empty.
     */
    public Restored run(ObjectStore store, Target target, Path into, int port) {
        Path dir = into.toAbsolutePath().normalize();
        Path partial = dir.resolveSibling(dir.getFileName() + ".partial");
        Path log = dir.resolveSibling(dir.getFileName() + ".log");
        checkEmpty(dir);
        if (Files.exists(partial)) {
            throw new BackupException(partial + " exists: an earlier restore was interrupted; delete it and try again");
        }
        if (!dev.twincloud.pgctl.Ports.isFree(port)) {
            throw new BackupException("port " + port + " is in use: pick another with --port");
        }
        // the generation of the site's archive that holds the target (a re-cloned site archives under a new name)
        ArchiveGenerations.Pick pick = ArchiveGenerations.pick(barman, store, target, Instant.now(), zone);
        store = pick.store();
        BaseBackup backup = pick.backup();
        List<String> wal = List.of();
        if (target instanceof Target.Latest) {
            wal = WalArchive.list(store, LabBackups.serverName(store), "");
            List<String> holes = WalArchive.holes(wal, backup.beginWal());
            if (!holes.isEmpty()) {
                throw new BackupException(gapMessage(store, holes, wal));
            }
        }
        progress.accept("restoring base backup " + backup.id() + " of site " + store.site() + " from store " + store.name()
                + " (archive " + store.server() + ", consistent from " + backup.end() + "), then WAL to " + target
                + (pick.passedOver().isEmpty() ? "" : "; newer generations without a base backup for it, not read: "
                        + String.join(", ", pick.passedOver())));
        boolean done = false;
        PostgresServer pg = null;
        try {
            Files.createDirectories(partial);
            barman.fetch(store, backup.id(), partial);
            pg = server(partial, port, log);
            prepareRecovery(pg, store, target);
            Files.deleteIfExists(log);
            progress.accept("replaying WAL from store " + store.name());
            try {
                pg.start(); // hot_standby off: pg_ctl -w returns once recovery has ended and the server was promoted
            } catch (RuntimeException e) {
                throw new BackupException(recoveryFailure(store, target, log, e));
            }
            List<String> report = recoveryReport(log);
            if (target instanceof Target.Latest) {
                endedEarly(store, read(log), wal).ifPresent(message -> {
                    throw new BackupException(message + "; the server log is " + log);
                });
            }
            pg.stop(StopMode.FAST);
            Files.move(partial, dir, StandardCopyOption.ATOMIC_MOVE);
            pg = server(dir, port, log);
            PostgresServer restored = pg.start();
            done = true;
            return new Restored(backup, target, dir, port, timeline(restored), report, rowCounts(restored));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            if (!done) {
                if (pg != null && pg.isRunning()) {
                    pg.stop(StopMode.IMMEDIATE);
                }
                deleteTree(partial);
            }
        }
    }

    private PostgresServer server(Path dataDir, int port, Path log) {
        return PostgresServer.builder(dataDir).binaries(binaries).port(port).logFile(log).startTimeout(Duration.ofMinutes(30))
                .stopOnJvmExit(false).build();
    }

    /** recovery.signal, the restore command and target, and nothing that would reach a peer or an archive. */
    private void prepareRecovery(PostgresServer pg, ObjectStore store, Target target) throws IOException {
        Path data = pg.dataDir();
        Files.deleteIfExists(data.resolve("standby.signal")); // a backup taken from a standby
        Files.deleteIfExists(data.resolve("postmaster.pid"));
        Files.writeString(data.resolve("recovery.signal"), "");
        Map<String, String> conf = new LinkedHashMap<>();
        for (String key : List.of("primary_conninfo", "primary_slot_name", "recovery_target", "recovery_target_xid",
                "recovery_target_name")) {
            conf.put(key, null);
        }
        conf.put("synchronous_standby_names", "");
        conf.put("archive_mode", "off");
        conf.put("archive_command", "");
        conf.put("hot_standby", "off");
        conf.put("restore_command", barman.restoreCommand(store));
        conf.put("recovery_target_timeline", "latest");
        conf.put("recovery_target_action", "promote");
        conf.put("recovery_target_time", null);
        conf.put("recovery_target_lsn", null);
        switch (target) {
            case Target.Latest l -> { }
            case Target.Time t -> conf.put("recovery_target_time", PG_TIME.format(t.at()));
            case Target.Position p -> conf.put("recovery_target_lsn", Lsn.format(p.lsn()));
            case Target.Name n -> conf.put("recovery_target_name", n.name());
        }
        pg.editAutoConf(conf);
    }

    private String recoveryFailure(ObjectStore store, Target target, Path log, RuntimeException e) {
        String text = read(log);
        String last = lastLine(text, "last completed transaction was at log time").orElse("");
        if (text.contains("recovery ended before configured recovery target was reached")) {
            return "the archive in store " + store.name() + " ends before " + target + ": recovery replayed all the WAL there is"
                    + (last.isEmpty() ? "" : " (" + last.trim() + ")") + " — a missing or unreadable WAL object ends it early too. "
                    + "Nothing was restored; the server log is " + log;
        }
        if (text.contains("requested recovery stop point is before consistent recovery point")) {
            return target + " is before the point where the base backup is consistent; nothing was restored (log: " + log + ")";
        }
        String fatal = text.lines().filter(l -> l.contains("FATAL:") || l.contains("PANIC:") || l.contains("invalid value for parameter"))
                .map(l -> l.substring(l.indexOf(":  ") + 3).trim()).reduce((a, b) -> a + "; " + b)
                .orElse(e.getMessage().lines().findFirst().orElse(""));
        return "recovery from store " + store.name() + " failed: " + fatal + " — nothing was restored; the server log is " + log;
    }

    private static String gapMessage(ObjectStore store, List<String> holes, List<String> wal) {
        String newest = wal.stream().map(WalArchive::parse).flatMap(Optional::stream)
                .max(Comparator.comparingLong(WalArchive.Segment::number)).map(WalArchive.Segment::name).orElse("?");
        return "the WAL archive in store " + store.name() + " has a gap: " + (holes.size() == 1 ? "segment " : holes.size() + " segments, ")
                + String.join(", ", holes.subList(0, Math.min(5, holes.size()))) + (holes.size() > 5 ? ", ..." : "")
                + " missing before the newest archived " + newest + ". A restore to the latest point would stop at the gap without "
                + "a word and lose everything after it; nothing was fetched. Restore to a point before the gap (--to-time, --to-lsn), "
                + "or from the other store";
    }

    /**
     * After a restore to the latest point: the archive holds a complete segment of the timeline recovery ended on
     * beyond the last record it replayed (PostgreSQL read a missing or unreadable object as the end of the archive).
     */
    static Optional<String> endedEarly(ObjectStore store, String log, List<String> wal) {
        Matcher redo = Pattern.compile("redo done at ([0-9A-F]+/[0-9A-F]+)").matcher(log);
        Matcher tl = Pattern.compile("selected new timeline ID: (\\d+)").matcher(log);
        if (!redo.find() || !tl.find()) {
            return Optional.empty(); // nothing replayed past the backup's end, or no promotion: nothing to compare
        }
        long redoDone = Lsn.parse(redo.group(1));
        int recovered = Integer.parseInt(tl.group(1)) - 1;
        return WalArchive.beyond(wal, recovered, redoDone).map(newer -> "recovery from store " + store.name() + " ended at "
                + Lsn.format(redoDone) + " on timeline " + recovered + ", but the store holds " + newer
                + " beyond it: a WAL object between them is missing or unreadable. Nothing was restored");
    }

    private static List<String> recoveryReport(Path log) {
        List<String> keep = new ArrayList<>();
        for (String line : read(log).lines().toList()) {
            if (line.contains("recovery stopping") || line.contains("last completed transaction was at log time")
                    || line.contains("redo done at") || line.contains("selected new timeline ID")
                    || line.contains("restored log file") && line.contains("history")) {
                keep.add(line.replaceFirst("^\\S+ \\S+ \\S+ \\[\\d+\\] ", ""));
            }
        }
        return keep;
    }

    private static int timeline(PostgresServer pg) {
        return Integer.parseInt(pg.queryString("SELECT timeline_id FROM pg_control_checkpoint()"));
    }

    private static Map<String, Long> rowCounts(PostgresServer pg) {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM public." + t)) {
                    rs.next();
                    counts.put(t, rs.getLong(1));
                }
            }
        } catch (SQLException e) {
            counts.put("(row counts unavailable: " + e.getMessage() + ")", -1L);
        }
        return counts;
    }

    private static void checkEmpty(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new BackupException(dir + " exists and is not a directory");
        }
        try (var entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw new BackupException(dir + " is not empty: restore into a new directory");
            }
            Files.delete(dir); // recreated by the final rename
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Optional<String> lastLine(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).reduce((a, b) -> b)
                .map(l -> l.substring(l.indexOf(needle)));
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
