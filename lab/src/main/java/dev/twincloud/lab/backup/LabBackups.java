package dev.twincloud.lab.backup;

import dev.twincloud.lab.supervisor.LabLayout;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lab's backups (docs/backups.md): which store each site archives to, taking base backups, and
 * what each store holds. The verbs run in the CLI's own process, against the lab's stores and
 * databases on the layout's ports; they need no lab control call.
 */
public final class LabBackups {
    /** The writer closes a segment at least this often: the recovery point target (issue 12: within 30 s). */
    public static final Duration ARCHIVE_TIMEOUT = Duration.ofSeconds(30);
    /**
     * {@code TWINCLOUD_LAB_BACKUPS=on} runs a lab with its two object stores and WAL archiving ({@code lab up
     * --backups} too). Off by default: PostgreSQL switches to a new WAL segment at every clean shutdown of an archiving
     * server and archives it before the shutdown ends, and the lab archives with a Python process per segment — so a
     * planned switchover, whose old writer stops cleanly, stops writes for as long as that takes: median 9.0 s over 20
     * switchovers on this project's 2-core machine, against 1.2 s without archiving (FailoverBenchmark, 2026-12-01;
     * docs/backups.md). The switchover's wait for the archiver before the fence cannot help: that segment only
     * exists once the server is stopping.
     */
    public static final String OFF_VARIABLE = "TWINCLOUD_LAB_BACKUPS";

    private LabBackups() {
    }

    /**
     * The barman server name {@code store}'s archive and base backups are kept under
     * ({@code <bucket>/twincloud/<server>/}): what {@link BarmanCloud} passes for the store.
     */
    public static String serverName(ObjectStore store) {
        return store.server();
    }

    /**
     * Whether a lab starting now runs its stores: {@value #OFF_VARIABLE}{@code =on} (a lab started in a test's JVM
     * says so in its settings: {@code LabSettings.withBackups}).
     */
    public static boolean enabled() {
        return "on".equalsIgnoreCase(System.getenv().getOrDefault(OFF_VARIABLE, "off"));
    }

    /**
     * What the archiver of a site's PostgreSQL reports ({@code pg_stat_archiver}).
     *
     * @param standby          whether the site's database is a standby (it archives what it receives)
     * @param position         its WAL position (written on a primary, received on a standby)
     * @param lastArchived     the last file archived, if any
     * @param lastArchivedAt   when
     * @param failed           failed attempts since the server started
     * @param lastFailed       the last file that failed, if any
     * @param lagBytes         WAL not yet in the store: from the end of the last archived segment to the position (-1: unknown)
     */
    public record Archiver(boolean standby, long position, Optional<String> lastArchived, Optional<Instant> lastArchivedAt,
                           long failed, Optional<String> lastFailed, long lagBytes) {
    }

    /**
     * One store as {@code lab backups} shows it.
     *
     * @param store    the store
     * @param backups  its base backups, oldest first (empty with {@code error} when it could not be read)
     * @param sizes    each backup's bytes in the store (-1: unknown)
     * @param archiver the archiving site's archiver (empty with {@code archiverError} when its database is down)
     */
    public record StoreReport(ObjectStore store, List<BaseBackup> backups, List<Long> sizes, Optional<String> error,
                              Optional<Archiver> archiver, Optional<String> archiverError) {
    }

    /** Where {@code store}'s site archives now: the generation of its data directory (docs/backups.md). */
    public static ObjectStore current(LabLayout layout, ObjectStore store) {
        return store.generationOf(layout.pgData(store.site()));
    }

    /**
     * Each store's base backups per generation of its site's archive (newest first; the current one always,
     * even before it holds anything) and its site's archive lag (with the current generation); an unreachable
     * store or database is reported, not thrown.
     */
    public static List<StoreReport> report(LabLayout layout, BarmanCloud barman, List<ObjectStore> stores) {
        List<StoreReport> out = new ArrayList<>();
        for (ObjectStore site : stores) {
            ObjectStore now = current(layout, site);
            List<ObjectStore> generations = new ArrayList<>(site.generations());
            if (generations.stream().noneMatch(g -> g.server().equals(now.server()))) {
                generations.add(0, now);
            }
            for (ObjectStore g : generations) {
                out.add(report(layout, barman, g, g.server().equals(now.server())));
            }
        }
        return out;
    }

    private static StoreReport report(LabLayout layout, BarmanCloud barman, ObjectStore store, boolean current) {
        List<BaseBackup> backups = List.of();
        Optional<String> error = Optional.empty();
        try {
            backups = barman.list(store, ZoneId.systemDefault());
        } catch (BackupException e) {
            error = Optional.of(e.getMessage());
        }
        List<Long> sizes = backups.stream().map(b -> BarmanCloud.size(store, b.id())).toList();
        if (!current) {
            return new StoreReport(store, backups, sizes, error, Optional.empty(), Optional.of("an earlier generation of site "
                    + store.site() + "'s archive (before a re-clone): nothing archives here any more"));
        }
        Optional<Archiver> archiver = Optional.empty();
        Optional<String> archiverError = Optional.empty();
        try {
            archiver = Optional.of(archiver(layout.pgPort(store.site())));
        } catch (SQLException e) {
            archiverError = Optional.of(store.site() + "'s PostgreSQL (port " + layout.pgPort(store.site()) + ") does not answer: "
                    + e.getMessage());
        }
        return new StoreReport(store, backups, sizes, error, archiver, archiverError);
    }

    /**
     * A base backup of {@code store}'s site, from that site's own database (a standby when the site is one),
     * into the current generation of its archive ({@link #current}: where its WAL goes).
     */
    public static BaseBackup backup(LabLayout layout, BarmanCloud barman, ObjectStore store) {
        store = current(layout, store);
        int port = layout.pgPort(store.site());
        try {
            archiver(port);
        } catch (SQLException e) {
            throw new BackupException("cannot back up site " + store.site() + ": its PostgreSQL (port " + port + ") does not answer ("
                    + e.getMessage() + "). Is the lab up, and the site started ('twincloud lab status')?");
        }
        return barman.backup(store, port, ZoneId.systemDefault());
    }

    /** Where the lab's restore drills keep their scratch copies, and their metrics ({@code metrics.prom}). */
    public static java.nio.file.Path restoreDrillDir(LabLayout layout) {
        return layout.root().resolve("restore-drill");
    }

    public static java.nio.file.Path restoreDrillMetrics(LabLayout layout) {
        return restoreDrillDir(layout).resolve("metrics.prom");
    }

    /**
     * The restore drill on a running lab ({@link RestoreDrill}): a restore point on the writer's database, then a
     * restore from each of {@code stores} (one after the other) to it and the comparison; the metrics file is updated.
     * {@code extra} (may be null) checks each restored copy further.
     */
    public static List<RestoreDrill.Result> restoreDrill(LabLayout layout, BarmanCloud barman, dev.twincloud.pgctl.PgBinaries binaries,
                                                         List<ObjectStore> stores, boolean switchWal, RestoreDrill.ExtraCheck extra,
                                                         java.util.function.Consumer<String> progress) {
        RestoreDrill.Mark mark = null;
        List<String> tried = new ArrayList<>();
        for (dev.twincloud.core.protocol.SiteId site : LabLayout.SITES) {
            String url = "jdbc:postgresql://127.0.0.1:" + layout.pgPort(site) + "/" + dev.twincloud.lab.supervisor.Lab.APP_DATABASE
                    + "?connectTimeout=5&socketTimeout=600"; // the checksums read every ECG row
            try (Connection c = DriverManager.getConnection(url, "postgres", "")) {
                boolean standby;
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery()")) {
                    rs.next();
                    standby = rs.getBoolean(1);
                }
                if (standby) {
                    tried.add(site + " is a standby");
                    continue;
                }
                mark = RestoreDrill.mark(c, switchWal);
                progress.accept("restore point '" + mark.name() + "' at " + Lsn.format(mark.lsn()) + " (" + mark.at() + ") on writer " + site
                        + ": " + mark.sums());
                break;
            } catch (SQLException e) {
                tried.add(site + "'s PostgreSQL (port " + layout.pgPort(site) + "): " + e.getMessage());
            }
        }
        if (mark == null) {
            throw new BackupException("no writer's database to make the restore point on (" + String.join("; ", tried)
                    + "). Is the lab up ('twincloud lab status')?");
        }
        Duration wait = switchWal ? Duration.ofSeconds(120) : ARCHIVE_TIMEOUT.plusSeconds(120);
        List<RestoreDrill.Result> results = new ArrayList<>();
        RestoreDrill drill = new RestoreDrill(barman, binaries, progress);
        for (ObjectStore store : stores) {
            int port = dev.twincloud.pgctl.Ports.isFree(layout.restorePort()) ? layout.restorePort() : dev.twincloud.pgctl.Ports.freePort();
            RestoreDrill.Result r = drill.run(store, mark, restoreDrillDir(layout), port, wait, extra);
            progress.accept(r.summary());
            results.add(r);
        }
        RestoreDrill.writeMetrics(restoreDrillMetrics(layout), results);
        return results;
    }

    static Archiver archiver(int pgPort) throws SQLException {
        String url = "jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres?connectTimeout=5&socketTimeout=10";
        try (Connection c = DriverManager.getConnection(url, "postgres", ""); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("""
                     SELECT pg_is_in_recovery(),
                            CASE WHEN pg_is_in_recovery() THEN coalesce(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
                                 ELSE pg_current_wal_lsn() END,
                            last_archived_wal, last_archived_time, failed_count, last_failed_wal
                       FROM pg_stat_archiver""")) {
            rs.next();
            long position = Lsn.parse(Optional.ofNullable(rs.getString(2)).orElse("0/0"));
            Optional<String> last = Optional.ofNullable(rs.getString(3));
            Timestamp at = rs.getTimestamp(4);
            long lag = last.filter(n -> n.matches("[0-9A-F]{24}")).map(n -> Math.max(0, position - Lsn.endOfSegment(n))).orElse(-1L);
            return new Archiver(rs.getBoolean(1), position, last, Optional.ofNullable(at).map(Timestamp::toInstant), rs.getLong(5),
                    Optional.ofNullable(rs.getString(6)), lag);
        }
    }
}
