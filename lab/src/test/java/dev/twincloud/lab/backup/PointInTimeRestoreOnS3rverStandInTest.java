package dev.twincloud.lab.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.Ports;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.StopMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12's mistaken delete, on one real PostgreSQL archiving through Debian's real barman-cloud
 * to a real S3 API — s3rver, the lab's stand-in for GCS and S3 (docs/adr/0015): rows written, a base
 * backup, more rows, a {@code DELETE} by mistake; a restore to the instant before the delete finds
 * every row. Then the restores that must fail do, with a clear message and no restored directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PointInTimeRestoreOnS3rverStandInTest {
    private static final int ROWS = 1000;

    @TempDir
    static Path dir;

    private static S3rver s3rver;
    private static ObjectStore store;
    private static PostgresServer pg;
    private static BarmanCloud barman;
    private static BaseBackup backup;
    private static final List<String> progress = new ArrayList<>();

    @BeforeAll
    static void writeBackUpWriteAndArchive() throws Exception {
        Optional<BackupTools> tools = BackupTools.find();
        Assumptions.assumeTrue(tools.isPresent(), BackupTools.notFound());
        barman = new BarmanCloud(tools.get());
        store = new ObjectStore("gcs", SiteId.of("gcp"), Ports.freePort(), dir.resolve("store"));
        s3rver = S3rver.start(tools.get(), store, dir.resolve("s3rver.log"), Duration.ofSeconds(60));
        pg = PostgresServer.builder(dir.resolve("pg")).binaries(PgBinaries.locate()).initdbNoSync(true).stopOnJvmExit(true)
                .settings(barman.archiveSettings(store, Duration.ofSeconds(60))).setting("fsync", "off").build();
        pg.initdb().start();
        pg.execute("CREATE TABLE ecg (id int PRIMARY KEY, lead text NOT NULL)");
        pg.execute("INSERT INTO ecg SELECT i, 'lead-' || i FROM generate_series(1, " + ROWS / 2 + ") i");
        backup = barman.backup(store, pg.port(), ZoneId.systemDefault());
        pg.execute("INSERT INTO ecg SELECT i, 'lead-' || i FROM generate_series(" + (ROWS / 2 + 1) + ", " + ROWS + ") i");
    }

    @AfterAll
    static void stop() {
        if (pg != null) {
            pg.stop(StopMode.IMMEDIATE);
        }
        if (s3rver != null) {
            s3rver.close();
        }
    }

    @Test
    @Order(1)
    void aMistakenDeleteIsUndoneByRestoringToTheInstantBeforeIt() throws Exception {
        assertThat(backup.usable()).isTrue();
        assertThat(backup.fromStandby()).isFalse();
        Instant beforeDelete = Instant.parse(pg.queryString(
                "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"));
        Thread.sleep(20); // the delete commits strictly after the target
        pg.execute("DELETE FROM ecg WHERE id % 3 = 0"); // the mistake
        pg.execute("INSERT INTO ecg VALUES (" + (ROWS + 1) + ", 'after the mistake')");
        assertThat(pg.queryString("SELECT count(*) FROM ecg")).isEqualTo(Integer.toString(ROWS - ROWS / 3 + 1));
        archiveCurrentSegment();

        Path into = dir.resolve("restored");
        int port = Ports.freePort();
        Restore.Restored r = new Restore(barman, pg.binaries(), ZoneId.systemDefault(), progress::add)
                .run(store, new Restore.Target.Time(beforeDelete), into, port);
        PostgresServer restored = PostgresServer.builder(into).binaries(pg.binaries()).port(port).build();
        try {
            assertThat(r.backup().id()).isEqualTo(backup.id());
            assertThat(restored.queryString("SELECT count(*) FROM ecg")).as("every row written before the delete").isEqualTo(Integer.toString(ROWS));
            assertThat(restored.queryString("SELECT count(*) FROM ecg e JOIN generate_series(1, " + ROWS + ") g(i) ON e.id = g.i AND e.lead = 'lead-' || g.i"))
                    .as("each one, with its value").isEqualTo(Integer.toString(ROWS));
            assertThat(restored.queryString("SELECT count(*) FROM ecg WHERE id > " + ROWS)).as("nothing after the target").isEqualTo("0");
            assertThat(restored.queryBoolean("SELECT pg_is_in_recovery()")).as("promoted: a usable database").isFalse();
            assertThat(r.rowCounts()).containsEntry("ecg", (long) ROWS);
            assertThat(r.timeline()).as("a new timeline after the recovery").isEqualTo(2);
            assertThat(String.join("\n", r.recoveryReport())).contains("recovery stopping before commit");
            assertThat(restored.show("archive_mode")).as("a restored copy never writes into the site's archive").isEqualTo("off");
            assertThat(into.resolveSibling("restored.partial")).doesNotExist();
        } finally {
            restored.stop(StopMode.FAST);
        }
    }

    @Test
    @Order(2)
    void aTargetBeforeTheOldestBackupIsRefusedBeforeAnythingIsFetched() {
        Path into = dir.resolve("too-early");
        Instant before = backup.begin().minusSeconds(60);
        assertThatThrownBy(() -> restore(new Restore.Target.Time(before), into)).isInstanceOf(BackupException.class)
                .hasMessageContaining("is before the oldest base backup in store gcs").hasMessageContaining(backup.id());
        assertNothingRestored(into);
    }

    @Test
    @Order(3)
    void aTargetPastTheNewestArchivedWalFailsAfterReplayingAndLeavesNoDirectory() throws Exception {
        long far = Lsn.parse(pg.queryString("SELECT pg_current_wal_lsn()")) + 64L * 1024 * 1024;
        Path into = dir.resolve("too-late");
        assertThatThrownBy(() -> restore(new Restore.Target.Position(far), into)).isInstanceOf(BackupException.class)
                .hasMessageContaining("the archive in store gcs ends before WAL position " + Lsn.format(far))
                .hasMessageContaining("Nothing was restored");
        assertNothingRestored(into);
    }

    @Test
    @Order(4)
    void anUnreachableStoreIsNamed() {
        ObjectStore nowhere = new ObjectStore("s3", SiteId.of("aws"), Ports.freePort(), dir.resolve("nowhere"));
        Path into = dir.resolve("unreachable");
        assertThatThrownBy(() -> new Restore(barman, pg.binaries(), ZoneId.systemDefault(), progress::add)
                .run(nowhere, new Restore.Target.Latest(), into, Ports.freePort()))
                .isInstanceOf(BackupException.class).hasMessageContaining("store s3 (" + nowhere.endpoint() + ") is unreachable");
        assertNothingRestored(into);
    }

    @Test
    @Order(5)
    void aMissingBaseBackupObjectFailsTheFetchAndLeavesNoDirectory() throws Exception {
        try (var objects = Files.list(store.baseDir(backup.id()))) {
            for (Path p : objects.filter(f -> f.getFileName().toString().startsWith("data.tar")).toList()) {
                Files.delete(p);
            }
        }
        Path into = dir.resolve("missing-object");
        assertThatThrownBy(() -> restore(new Restore.Target.Latest(), into)).isInstanceOf(BackupException.class)
                .hasMessageContaining("fetching base backup " + backup.id() + " in store gcs failed");
        assertNothingRestored(into);
    }

    private static Restore.Restored restore(Restore.Target target, Path into) {
        return new Restore(barman, pg.binaries(), ZoneId.systemDefault(), progress::add).run(store, target, into, Ports.freePort());
    }

    private static void assertNothingRestored(Path into) {
        assertThat(into).doesNotExist();
        assertThat(into.resolveSibling(into.getFileName() + ".partial")).doesNotExist();
    }

    /** Closes the current segment and waits (generously: a shared machine) until the archiver has shipped it. */
    private static void archiveCurrentSegment() throws InterruptedException {
        String segment = pg.queryString("SELECT pg_walfile_name(pg_switch_wal())");
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            String last = pg.queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            if (last.compareTo(segment) >= 0 && last.length() == 24) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("segment " + segment + " not archived within 120 s: " + pg.logTail(20));
    }
}
