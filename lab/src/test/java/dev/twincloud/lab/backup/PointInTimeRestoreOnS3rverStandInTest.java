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

    /**
     * The restore drill under live writes: a client commits recordings (a recording, a lead and an idempotency key per
     * transaction) without pause while the drill makes its restore point, waits for the store and restores. The copy
     * must equal the writer at the point — counts and checksums — hold every write acknowledged before the point was
     * asked for and none begun after it was made, and leave no scratch directory; its figures go to the metrics file.
     * The ECG tables here carry the API's table names and keys, not all of its columns (the checksum reads whole rows,
     * whatever their columns).
     */
    @Test
    @Order(5)
    void theRestoreDrillRestoresExactlyTheWriterAtItsRestorePointWhileWritesGoOn() throws Exception {
        pg.execute("""
                CREATE TABLE ecg_recording (id uuid PRIMARY KEY, patient_ref text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
                CREATE TABLE ecg_lead (recording_id uuid NOT NULL REFERENCES ecg_recording (id), name text NOT NULL, samples bytea NOT NULL,
                                       PRIMARY KEY (recording_id, name));
                CREATE TABLE ecg_annotation (id uuid PRIMARY KEY, recording_id uuid NOT NULL REFERENCES ecg_recording (id), label text NOT NULL);
                CREATE TABLE idempotency_key (caller text NOT NULL, key text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
                                              PRIMARY KEY (caller, key))""");
        record Ack(String id, long beganNanos, long ackedNanos) {
        }
        List<Ack> acks = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = Thread.ofPlatform().start(() -> {
            // as the API writes (Idempotency): the key's claim first, then the recording, its lead (and here an
            // annotation) and the key's answer in one statement, one transaction
            try (var c = pg.connect(); var claim = c.prepareStatement("INSERT INTO idempotency_key (caller, key) VALUES ('drill', ?)");
                 var st = c.prepareStatement("""
                    WITH r AS (INSERT INTO ecg_recording (id, patient_ref) VALUES (?::uuid, 'p') RETURNING id),
                         l AS (INSERT INTO ecg_lead SELECT id, 'I', '\\x0102'::bytea FROM r),
                         a AS (INSERT INTO ecg_annotation SELECT gen_random_uuid(), id, 'n' FROM r)
                    UPDATE idempotency_key SET created_at = now() WHERE caller = 'drill' AND key = ?""")) {
                c.setAutoCommit(false);
                while (!stop.get()) {
                    String id = java.util.UUID.randomUUID().toString();
                    long began = System.nanoTime();
                    claim.setString(1, id);
                    claim.executeUpdate();
                    st.setString(1, id);
                    st.setString(2, id);
                    st.executeUpdate();
                    c.commit();
                    acks.add(new Ack(id, began, System.nanoTime()));
                }
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            Thread.sleep(300);
            long asked = System.nanoTime();
            RestoreDrill.Mark mark;
            try (var c = pg.connect()) {
                mark = RestoreDrill.mark(c, true);
            }
            long made = System.nanoTime();
            List<String> before = snapshot(acks).stream().filter(a -> a.ackedNanos() < asked).map(Ack::id).toList();
            Thread.sleep(300);
            List<String> after = snapshot(acks).stream().filter(a -> a.beganNanos() > made).map(Ack::id).toList();
            assertThat(before).as("writes acknowledged before the restore point").isNotEmpty();
            assertThat(after).as("writes begun after it").isNotEmpty();
            Path scratch = dir.resolve("drill");
            RestoreDrill.Result r = new RestoreDrill(barman, pg.binaries(), progress::add).run(store, mark, scratch, Ports.freePort(),
                    Duration.ofSeconds(120), restored -> {
                        List<String> problems = new ArrayList<>();
                        try (var q = restored.prepareStatement("SELECT count(*) FROM ecg_recording WHERE id = ANY (?::uuid[])")) {
                            q.setArray(1, restored.createArrayOf("text", before.toArray()));
                            try (var rs = q.executeQuery()) {
                                rs.next();
                                if (rs.getInt(1) != before.size()) {
                                    problems.add((before.size() - rs.getInt(1)) + " acknowledged writes missing");
                                }
                            }
                            q.setArray(1, restored.createArrayOf("text", after.toArray()));
                            try (var rs = q.executeQuery()) {
                                rs.next();
                                if (rs.getInt(1) != 0) {
                                    problems.add(rs.getInt(1) + " writes begun after the restore point restored");
                                }
                            }
                        }
                        return problems;
                    });
            assertThat(r.problems()).isEmpty();
            assertThat(r.passed()).isTrue();
            assertThat(r.restored()).isEqualTo(mark.sums());
            assertThat(mark.sums().get("ecg_recording").rows()).as("the point's rows").isGreaterThanOrEqualTo(before.size());
            assertThat(r.timeline()).isGreaterThan(1);
            assertThat(r.restoreSeconds()).isPositive();
            assertThat(r.rpoSeconds()).isGreaterThanOrEqualTo(0);
            assertThat(r.summary()).contains("passed").contains(Lsn.format(mark.lsn()));
            try (var files = Files.list(scratch)) {
                assertThat(files.toList()).as("the scratch copy is removed").isEmpty();
            }
            Path metrics = dir.resolve("metrics.prom");
            RestoreDrill.writeMetrics(metrics, List.of(r));
            assertThat(RestoreDrill.readMetrics(metrics)).containsEntry("twincloud_restore_drill_last_run_success{store=\"gcs\"}", "1")
                    .containsKeys("twincloud_restore_drill_last_success_timestamp_seconds{store=\"gcs\"}",
                            "twincloud_restore_drill_duration_seconds{store=\"gcs\"}", "twincloud_restore_drill_rpo_seconds{store=\"gcs\"}");
        } finally {
            stop.set(true);
            writer.join(10_000);
        }
    }

    /**
     * A segment deleted from the store (through the S3 API) in the middle of the archive: PostgreSQL would stop
     * there without an error; the restore to the latest point refuses before fetching anything, naming the segment.
     */
    @Test
    @Order(6)
    void aMissingWalSegmentInTheMiddleMakesTheLatestRestoreRefuse() throws Exception {
        // the tests above left segments after the backup's first one; one that has a newer one after it goes
        List<WalArchive.Segment> archived = WalArchive.list(store, LabBackups.serverName(store), "").stream().map(WalArchive::parse)
                .flatMap(Optional::stream).filter(seg -> !seg.partial()).sorted(java.util.Comparator.comparingLong(WalArchive.Segment::number))
                .toList();
        assertThat(archived).hasSizeGreaterThan(3);
        String hole = archived.get(archived.size() - 2).name().substring(0, 24);
        String key = WalArchive.list(store, LabBackups.serverName(store), hole.substring(0, 16) + "/").stream()
                .filter(n -> n.startsWith(hole)).findFirst().orElseThrow();
        var http = java.net.http.HttpClient.newHttpClient();
        var deleted = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(store.endpoint() + "/" + store.bucket() + "/"
                + ObjectStore.PREFIX + "/" + LabBackups.serverName(store) + "/wals/" + hole.substring(0, 16) + "/" + key)).DELETE().build(),
                java.net.http.HttpResponse.BodyHandlers.discarding());
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(WalArchive.list(store, LabBackups.serverName(store), "")).noneMatch(n -> n.startsWith(hole));

        Path into = dir.resolve("gap");
        assertThatThrownBy(() -> restore(new Restore.Target.Latest(), into)).isInstanceOf(BackupException.class)
                .hasMessageContaining("the WAL archive in store gcs has a gap: segment " + hole)
                .hasMessageContaining("nothing was fetched");
        assertNothingRestored(into);
    }

    @Test
    @Order(7)
    void aMissingBaseBackupObjectFailsTheFetchAndLeavesNoDirectory() throws Exception {
        try (var objects = Files.list(store.baseDir(backup.id()))) {
            for (Path p : objects.filter(f -> f.getFileName().toString().startsWith("data.tar")).toList()) {
                Files.delete(p);
            }
        }
        Path into = dir.resolve("missing-object");
        // to the backup's end: a target before the WAL gap the test above made (a restore to the latest point would refuse that first)
        assertThatThrownBy(() -> restore(new Restore.Target.Position(backup.endLsn()), into)).isInstanceOf(BackupException.class)
                .hasMessageContaining("fetching base backup " + backup.id() + " in store gcs failed");
        assertNothingRestored(into);
    }

    /**
     * A write that has claimed its Idempotency-Key (as every write of the API begins) while the drill asks for its
     * restore point: the drill waits for that write, which then writes its recording and commits — neither fails. With
     * the tables locked in another order, the drill would hold {@code ecg_recording} while waiting for the key's table
     * and the write the other way round: a deadlock that PostgreSQL ends by failing one of them (seen in this test's
     * live-writes run above before the lock order was fixed).
     */
    @Test
    @Order(8)
    void aRestorePointWaitsForAWriteThatClaimedItsKeyAndNeitherFails() throws Exception {
        String id = java.util.UUID.randomUUID().toString();
        try (var w = pg.connect(); var s = w.createStatement()) {
            w.setAutoCommit(false);
            s.execute("SET LOCAL statement_timeout = '20s'");
            s.execute("INSERT INTO idempotency_key (caller, key) VALUES ('api', '" + id + "')");
            var marked = new java.util.concurrent.CompletableFuture<RestoreDrill.Mark>();
            Thread drill = Thread.ofPlatform().start(() -> {
                try (var c = pg.connect()) {
                    marked.complete(RestoreDrill.mark(c, false));
                } catch (Throwable t) {
                    marked.completeExceptionally(t);
                }
            });
            // the drill is waiting for the key's table (and holds nothing the write needs)
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (pg.queryString("SELECT count(*) FROM pg_locks WHERE NOT granted AND mode = 'ShareLock' AND locktype = 'relation'")
                    .equals("0")) {
                assertThat(System.nanoTime()).as("the drill asks for its locks").isLessThan(deadline);
                Thread.sleep(20);
            }
            Thread.sleep(1500); // past deadlock_timeout (1 s): a deadlock would have been found by now
            s.execute("INSERT INTO ecg_recording (id, patient_ref) VALUES ('" + id + "'::uuid, 'p')");
            s.execute("INSERT INTO ecg_lead VALUES ('" + id + "'::uuid, 'I', '\\x01'::bytea)");
            w.commit();
            RestoreDrill.Mark mark = marked.get(30, java.util.concurrent.TimeUnit.SECONDS);
            drill.join(10_000);
            try (var c = pg.connect(); var q = c.createStatement();
                 var rs = q.executeQuery("SELECT count(*) FROM ecg_recording WHERE id = '" + id + "'::uuid")) {
                rs.next();
                assertThat(rs.getLong(1)).as("the write committed").isEqualTo(1);
            }
            assertThat(mark.sums().get("ecg_recording").rows()).as("the restore point came after the write").isPositive();
        }
    }

    /** A copy of {@code list} (a synchronized list another thread appends to: iterated only under its lock). */
    private static <T> List<T> snapshot(List<T> list) {
        synchronized (list) {
            return List.copyOf(list);
        }
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
