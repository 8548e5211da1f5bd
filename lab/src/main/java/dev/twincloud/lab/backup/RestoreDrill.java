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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The restore drill (docs/backups.md, "Restore drill"): proves that a store alone restores what the writer had.
 *
 * <p><b>Comparing at the same point.</b> On the writer, one transaction takes {@code SHARE} locks on the ECG
 * tables — they wait for every transaction writing them to end and keep new writes out — then computes each
 * table's row count and checksum in one statement, and writes a named restore point
 * ({@code pg_create_restore_point}) before it commits and lets the writes go on. Every transaction visible to
 * that statement wrote its commit record before the restore point's record, and none that commits after it
 * touched those tables before it. Recovery to the restore point ({@code recovery_target_name}) therefore ends
 * with exactly the rows the checksums saw: equal counts and checksums on the restored copy mean that every
 * write committed — and so every write acknowledged — before the point is there, intact, and nothing else.
 * The writes wait for the duration of the checksums (milliseconds on the lab's tables; they scale with the
 * database).
 *
 * <p>Then, per store: wait until the segment holding the restore point is in the store (the writer closes it
 * within {@code archive_timeout}, or at once with {@code switchWal}), restore into a scratch directory
 * ({@link Restore}: {@code DIR.partial} until recovered), compare, stop the scratch server and delete it. A
 * restore whose contents differ is kept as {@code DIR.mismatch} (stopped) for a look; it never stays as a
 * plain data directory.
 */
public final class RestoreDrill {
    /** The API's ECG tables (api's Flyway migrations), compared in this order. */
    public static final List<String> TABLES = List.of("ecg_recording", "ecg_lead", "ecg_annotation", "idempotency_key");
    /**
     * The order in which the restore point locks them: {@code idempotency_key} first, because every write of the API
     * begins with it (the key's claim) and only then writes the others. Locked in any other order, a write that has
     * claimed its key and the drill holding the table that write needs next wait for each other: PostgreSQL breaks the
     * deadlock by failing one of them, which may be the user's write.
     */
    static final List<String> LOCK_ORDER = List.of("idempotency_key", "ecg_recording", "ecg_lead", "ecg_annotation");
    /** How long a drill waits for the writes in progress on the ECG tables to end before it gives up. */
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);

    /** One table's row count and checksum: md5 over the sorted md5s of the rows' full text (any schema, no key needed). */
    public record Sum(long rows, String md5) {
        @Override
        public String toString() {
            return rows + " rows, md5 " + md5.substring(0, 12);
        }
    }

    /**
     * The restore point made on the writer and what its ECG tables held there.
     *
     * @param name    the restore point's name
     * @param lsn     its WAL position
     * @param at      the writer's clock when it was made
     * @param walFile the WAL segment holding it
     * @param sums    per table, at the restore point
     */
    public record Mark(String name, long lsn, Instant at, String walFile, Map<String, Sum> sums) {
    }

    /**
     * One store's drill.
     *
     * @param store          the store restored from
     * @param passed         restored, equal to the source at the restore point, and every extra check passed
     * @param mark           the restore point
     * @param backupId       the base backup restored (empty when the restore failed before choosing one)
     * @param timeline       the restored server's new timeline (0 when it did not start)
     * @param restoreSeconds from starting the restore to the restored server answering (fetch, replay, promote, start)
     * @param rpoSeconds     the recovery point's age when the store held it: when the drill found the restore point's
     *                       segment in the store, minus when the writer made it (the writes a loss of both sites
     *                       at that moment would have cost)
     * @param restored       per table, on the restored copy (empty when it did not start)
     * @param problems       what failed or differed; empty when passed
     * @param kept           where a mismatching restore was kept (stopped), or empty
     */
    public record Result(ObjectStore store, boolean passed, Mark mark, String backupId, int timeline, double restoreSeconds,
                         double rpoSeconds, Map<String, Sum> restored, List<String> problems, java.util.Optional<Path> kept) {
        /** One line: the figures, or what failed. */
        public String summary() {
            if (!passed) {
                return "restore drill from store " + store.name() + " FAILED: " + String.join("; ", problems);
            }
            long rows = restored.values().stream().mapToLong(Sum::rows).sum();
            return String.format(Locale.ROOT, "restore drill from store %s passed: restored in %.1f s (base backup %s, timeline %d), "
                    + "recovery point %s at %s, RPO %.1f s, %d ECG rows equal to the writer's at that point",
                    store.name(), restoreSeconds, backupId, timeline, Lsn.format(mark.lsn()), mark.at(), rpoSeconds, rows);
        }
    }

    /** A check of the restored database beyond the checksums (e.g. a drill's acknowledged writes); returns what failed. */
    @FunctionalInterface
    public interface ExtraCheck {
        List<String> check(Connection restored) throws SQLException;
    }

    private final BarmanCloud barman;
    private final PgBinaries binaries;
    private final Consumer<String> progress;

    public RestoreDrill(BarmanCloud barman, PgBinaries binaries, Consumer<String> progress) {
        this.barman = barman;
        this.binaries = binaries;
        this.progress = progress;
    }

    /** The checksum statement: one snapshot for all tables. */
    static String sumsQuery() {
        List<String> parts = new ArrayList<>();
        for (String t : TABLES) {
            parts.add("SELECT '" + t + "', count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), md5('')) FROM (SELECT md5(t::text) h FROM public."
                    + t + " t) x");
        }
        return String.join(" UNION ALL ", parts);
    }

    static Map<String, Sum> sums(Statement s) throws SQLException {
        Map<String, Sum> out = new LinkedHashMap<>();
        try (ResultSet rs = s.executeQuery(sumsQuery())) {
            while (rs.next()) {
                out.put(rs.getString(1), new Sum(rs.getLong(2), rs.getString(3)));
            }
        }
        return out;
    }

    /**
     * Makes the restore point on the writer ({@code writer}: a superuser connection to its application database) and
     * reads its ECG tables at that point; with {@code switchWal}, closes the segment at once.
     */
    public static Mark mark(Connection writer, boolean switchWal) throws SQLException {
        String name = "twincloud-restore-drill-" + Instant.now().toEpochMilli();
        boolean auto = writer.getAutoCommit();
        try (Statement s = writer.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                rs.next();
                if (rs.getBoolean(1)) {
                    throw new BackupException("the database the restore drill marks must be the writer's; this one is a standby");
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('"
                    + String.join("', '", TABLES) + "')")) {
                rs.next();
                if (rs.getInt(1) != TABLES.size()) {
                    throw new BackupException("the writer's database has not all of the ECG tables " + TABLES
                            + " (has the API started and run its migrations?): nothing to compare");
                }
            }
            writer.setAutoCommit(false);
            Map<String, Sum> sums;
            long lsn;
            Instant at;
            String wal;
            try {
                s.execute("SET LOCAL lock_timeout = '" + LOCK_TIMEOUT.toMillis() + "ms'");
                s.execute("LOCK TABLE " + String.join(", ", LOCK_ORDER.stream().map(t -> "public." + t).toList()) + " IN SHARE MODE");
                sums = sums(s);
                try (ResultSet rs = s.executeQuery("SELECT p, pg_walfile_name(p), to_char(clock_timestamp() AT TIME ZONE 'UTC', "
                        + "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM pg_create_restore_point('" + name + "') p")) {
                    rs.next();
                    lsn = Lsn.parse(rs.getString(1));
                    wal = rs.getString(2);
                    at = Instant.parse(rs.getString(3));
                }
                writer.commit();
            } catch (SQLException e) {
                writer.rollback();
                if ("55P03".equals(e.getSQLState())) {
                    throw new BackupException("the ECG tables stayed locked by writes for more than " + LOCK_TIMEOUT.toSeconds()
                            + " s (a long transaction?): no restore point made");
                }
                throw e;
            } finally {
                writer.setAutoCommit(auto);
            }
            if (switchWal) {
                s.execute("SELECT pg_switch_wal()");
            }
            return new Mark(name, lsn, at, wal, sums);
        }
    }

    /**
     * Restores {@code store} to {@code mark} into a new directory under {@code scratch} on {@code port}, compares it
     * with the mark's sums, runs {@code extra}, and removes the scratch copy. Waits up to {@code archiveWait} for the
     * restore point's segment to reach the store. Never throws for a failed drill: the result says what failed.
     */
    public Result run(ObjectStore store, Mark mark, Path scratch, int port, Duration archiveWait, ExtraCheck extra) {
        List<String> problems = new ArrayList<>();
        Instant archived;
        try {
            archived = awaitArchived(store, mark.walFile(), archiveWait);
        } catch (BackupException e) {
            return new Result(store, false, mark, "", 0, Double.NaN, Double.NaN, Map.of(), List.of(e.getMessage()), java.util.Optional.empty());
        }
        double rpo = Duration.between(mark.at(), archived).toMillis() / 1000.0;
        Path dir = scratch.resolve(store.name() + "-" + mark.at().toEpochMilli());
        long t0 = System.nanoTime();
        Restore.Restored r;
        try {
            Files.createDirectories(scratch);
            r = new Restore(barman, binaries, ZoneId.systemDefault(), progress).run(store, new Restore.Target.Name(mark.name(), mark.at()),
                    dir, port);
        } catch (BackupException | IOException | UncheckedIOException | dev.twincloud.pgctl.PgException e) {
            return new Result(store, false, mark, "", 0, Double.NaN, rpo, Map.of(), List.of(e.getMessage()), java.util.Optional.empty());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        PostgresServer restored = PostgresServer.builder(r.dir()).binaries(binaries).port(r.port()).stopOnJvmExit(false).build();
        Map<String, Sum> got = Map.of();
        try (Connection c = restored.connect(); Statement s = c.createStatement()) {
            got = sums(s);
            problems.addAll(compare(mark.sums(), got));
            if (extra != null) {
                problems.addAll(extra.check(c));
            }
        } catch (SQLException e) {
            problems.add("reading the restored copy failed: " + e.getMessage());
        }
        if (!stoppedRecoveryAtMark(r.recoveryReport(), mark.name())) {
            problems.add("PostgreSQL did not say it stopped at restore point '" + mark.name() + "': " + r.recoveryReport());
        }
        restored.stop(StopMode.FAST);
        java.util.Optional<Path> kept = java.util.Optional.empty();
        if (problems.isEmpty()) {
            Restore.deleteTree(dir);
            deleteQuietly(dir.resolveSibling(dir.getFileName() + ".log"));
        } else {
            Path mismatch = dir.resolveSibling(dir.getFileName() + ".mismatch");
            try {
                Files.move(dir, mismatch, StandardCopyOption.ATOMIC_MOVE);
                kept = java.util.Optional.of(mismatch);
            } catch (IOException e) {
                Restore.deleteTree(dir);
            }
        }
        return new Result(store, problems.isEmpty(), mark, r.backup().id(), r.timeline(), seconds, rpo, got, problems, kept);
    }

    /** What differs between the writer's sums and the restored copy's; empty when equal. Pure. */
    static List<String> compare(Map<String, Sum> source, Map<String, Sum> restored) {
        List<String> out = new ArrayList<>();
        for (String t : TABLES) {
            Sum a = source.get(t);
            Sum b = restored.get(t);
            if (a == null || !a.equals(b)) {
                out.add(t + ": writer at the restore point " + a + ", restored " + b);
            }
        }
        return out;
    }

    private static boolean stoppedRecoveryAtMark(List<String> report, String name) {
        Matcher m = Pattern.compile("recovery stopping at restore point \"([^\"]+)\"").matcher(String.join("\n", report));
        return m.find() && m.group(1).equals(name);
    }

    /** Waits until {@code store} holds segment {@code walFile} (compressed or not); returns when it saw it. */
    Instant awaitArchived(ObjectStore store, String walFile, Duration timeout) {
        progress.accept("waiting for segment " + walFile + " (the restore point's) to reach store " + store.name());
        long deadline = System.nanoTime() + timeout.toNanos();
        String dir = walFile.substring(0, 16) + "/";
        while (true) {
            for (ObjectStore g : store.generations()) { // a re-cloned site archives under a new generation
                for (String n : WalArchive.list(g, LabBackups.serverName(g), dir)) {
                    if (n.equals(walFile) || n.startsWith(walFile + ".") && !n.startsWith(walFile + ".partial")) {
                        return Instant.now();
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new BackupException("segment " + walFile + " (holding the restore point) did not reach store " + store.name() + " within "
                        + timeout.toSeconds() + " s: is its site archiving ('twincloud lab backups')?");
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new BackupException("interrupted waiting for store " + store.name());
            }
        }
    }

    /**
     * Writes the drill's metrics in Prometheus's text format to {@code file} (per store, keeping the other stores'
     * lines and, after a failed drill, the last success's figures): {@code
     * twincloud_restore_drill_last_success_timestamp_seconds}, {@code _duration_seconds} and {@code _rpo_seconds} of
     * the last successful drill, and {@code twincloud_restore_drill_last_run_success} (1 or 0).
     */
    public static void writeMetrics(Path file, List<Result> results) {
        Map<String, Map<String, String>> byMetric = new TreeMap<>(); // metric -> store -> value
        for (Map.Entry<String, String> e : readMetrics(file).entrySet()) {
            Matcher m = Pattern.compile("(\\w+)\\{store=\"(\\w+)\"\\}").matcher(e.getKey());
            if (m.matches()) {
                byMetric.computeIfAbsent(m.group(1), k -> new TreeMap<>()).put(m.group(2), e.getValue());
            }
        }
        for (Result r : results) {
            String s = r.store().name();
            put(byMetric, "twincloud_restore_drill_last_run_success", s, r.passed() ? "1" : "0");
            if (r.passed()) {
                put(byMetric, "twincloud_restore_drill_last_success_timestamp_seconds", s, String.format(Locale.ROOT, "%.3f",
                        Instant.now().toEpochMilli() / 1000.0));
                put(byMetric, "twincloud_restore_drill_duration_seconds", s, String.format(Locale.ROOT, "%.3f", r.restoreSeconds()));
                put(byMetric, "twincloud_restore_drill_rpo_seconds", s, String.format(Locale.ROOT, "%.3f", r.rpoSeconds()));
            }
        }
        Map<String, String> help = Map.of(
                "twincloud_restore_drill_last_run_success", "1 when the store's last restore drill passed, 0 when it failed",
                "twincloud_restore_drill_last_success_timestamp_seconds", "When the store's last successful restore drill ended",
                "twincloud_restore_drill_duration_seconds", "Time to restore (fetch, replay, promote, start) in the last successful drill",
                "twincloud_restore_drill_rpo_seconds", "Age of the recovered point when the store held it, in the last successful drill");
        StringBuilder b = new StringBuilder("# Written by 'twincloud lab restore-drill' (docs/backups.md).\n");
        byMetric.forEach((metric, stores) -> {
            b.append("# HELP ").append(metric).append(' ').append(help.getOrDefault(metric, metric)).append('\n');
            b.append("# TYPE ").append(metric).append(" gauge\n");
            stores.forEach((store, v) -> b.append(metric).append("{store=\"").append(store).append("\"} ").append(v).append('\n'));
        });
        try {
            Files.createDirectories(file.getParent());
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, b.toString());
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The samples of a metrics file ({@code name{labels}} → value), in file order; empty when there is none. */
    public static Map<String, String> readMetrics(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!Files.isRegularFile(file)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                int sp = line.lastIndexOf(' ');
                if (!line.startsWith("#") && sp > 0) {
                    out.put(line.substring(0, sp), line.substring(sp + 1));
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    private static void put(Map<String, Map<String, String>> m, String metric, String store, String value) {
        m.computeIfAbsent(metric, k -> new TreeMap<>()).put(store, value);
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a leftover log is harmless
        }
    }
}
