package dev.twincloud.lab.backup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.ArchiveGeneration;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.Ports;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.Replication;
import dev.twincloud.pgctl.StopMode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A site's own archive stays complete and is never overwritten (docs/backups.md), on one s3rver
 * standing for the cloud store and Debian's real barman-cloud.
 *
 * <p>A failover, then the old primary rewound: its site's store alone restores past the failover
 * (docs/backups.md). Two real PostgreSQL servers, Debian's real barman-cloud, s3rver standing for
 * the cloud store. Site {@code gcp} writes and archives to {@code gcs}; {@code aws} is cloned from
 * it, promoted, and writes; {@code gcp} takes a write of its own (it diverged), stops, is rewound
 * onto {@code aws}'s timeline and follows it. A restore from {@code gcs} alone must then reach
 * {@code aws}'s writes on timeline 2 — which needs the history file and the first timeline-2
 * segments that pg_rewind copied into {@code gcp}'s {@code pg_wal}, not what it streamed after.
 * {@code aws} does not archive at all here: nothing in {@code gcs} can have come from it.
 */
class SiteArchiveOnS3rverStandInTest {
    private static final Duration T = Duration.ofSeconds(120); // generous: a shared, throttled machine

    @TempDir
    static Path dir;

    private static S3rver s3rver;
    private static ObjectStore gcs;
    private static PostgresServer gcp;
    private static PostgresServer aws;
    private static PostgresServer firstLife;
    private static PostgresServer secondLife;
    private static BarmanCloud barman;

    @BeforeAll
    static void tools() throws Exception {
        Optional<BackupTools> tools = BackupTools.find();
        Assumptions.assumeTrue(tools.isPresent(), BackupTools.notFound());
        barman = new BarmanCloud(tools.get());
        gcs = new ObjectStore("gcs", SiteId.of("gcp"), Ports.freePort(), dir.resolve("store"));
        s3rver = S3rver.start(tools.get(), gcs, dir.resolve("s3rver.log"), Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        for (PostgresServer pg : new PostgresServer[] {aws, gcp, firstLife, secondLife}) {
            if (pg != null) {
                pg.stop(StopMode.IMMEDIATE);
            }
        }
        if (s3rver != null) {
            s3rver.close();
        }
    }

    @Test
    void theRewoundSitesStoreAloneRestoresPastTheFailover() throws Exception {
        PgBinaries binaries = PgBinaries.locate();
        gcp = PostgresServer.builder(dir.resolve("gcp")).binaries(binaries).initdbNoSync(true).stopOnJvmExit(true)
                .settings(barman.archiveSettings(gcs, Duration.ofSeconds(60))).setting("fsync", "off").build();
        aws = PostgresServer.builder(dir.resolve("aws")).binaries(binaries).stopOnJvmExit(true).setting("fsync", "off").build();
        gcp.initdb().start();
        gcp.execute("CREATE TABLE ecg (id int PRIMARY KEY, lead text NOT NULL)");
        gcp.execute("INSERT INTO ecg SELECT i, 'before' FROM generate_series(1, 100) i");
        BaseBackup backup = barman.backup(gcs, gcp.port(), ZoneId.systemDefault());

        Replication.createStandby(gcp, aws, Replication.StandbyOptions.named("aws"));
        aws.start();
        Replication.awaitPeer(gcp, "aws", Optional.empty(), T);
        Replication.awaitReplay(aws, Replication.status(gcp).currentLsn().orElseThrow(), T);

        aws.promote(T);
        aws.execute("INSERT INTO ecg VALUES (101, 'after promotion')");
        gcp.execute("INSERT INTO ecg VALUES (102, 'diverged')"); // the old primary's write nobody else has
        gcp.execute("CHECKPOINT");
        gcp.stop(StopMode.FAST);
        aws.execute("SELECT pg_switch_wal()"); // a whole timeline-2 segment that gcp gets only from pg_rewind's copy
        aws.execute("INSERT INTO ecg VALUES (103, 'after switch')");

        assertThat(Replication.rewind(gcp, aws, Replication.StandbyOptions.named("gcp"))).as("gcp diverged: rewound").isTrue();
        assertThat(ArchiveGeneration.read(aws.dataDir())).as("a clone is a new generation of its site's archive").isPresent();
        assertThat(ArchiveGeneration.read(gcp.dataDir())).as("rewound, gcp keeps its archive path (pg_rewind copied aws's file)")
                .isEmpty();
        gcp.start();
        Replication.awaitPeer(aws, "gcp", Optional.empty(), T);
        aws.execute("INSERT INTO ecg VALUES (104, 'after rewind')");
        String last = aws.queryString("SELECT pg_walfile_name(pg_switch_wal())");
        Replication.awaitReplay(gcp, Replication.status(aws).currentLsn().orElseThrow(), T);
        awaitArchived(gcp, last);
        assertThat(objectNames(gcs.dir().resolve("twincloud-gcs/twincloud/gcp/wals"))).as("gcs holds timeline 2's history")
                .anyMatch(n -> n.startsWith("00000002.history"));

        Path into = dir.resolve("restored");
        int port = Ports.freePort();
        List<String> progress = new ArrayList<>();
        Restore.Restored r = new Restore(barman, binaries, ZoneId.systemDefault(), progress::add)
                .run(gcs, new Restore.Target.Latest(), into, port);
        PostgresServer restored = PostgresServer.builder(into).binaries(binaries).port(port).build();
        try {
            assertThat(r.backup().id()).isEqualTo(backup.id());
            assertThat(restored.queryString("SELECT string_agg(lead, ',' ORDER BY id) FROM ecg WHERE id > 100"))
                    .as("aws's writes after the promotion, from gcs alone; not gcp's diverged one\n" + String.join("\n", progress))
                    .isEqualTo("after promotion,after switch,after rewind");
            assertThat(restored.queryString("SELECT count(*) FROM ecg WHERE lead = 'before'")).isEqualTo("100");
            assertThat(r.timeline()).as("restored past timeline 2, promoted onto 3").isEqualTo(3);
        } finally {
            restored.stop(StopMode.FAST);
        }
    }

    /**
     * A re-cloned site starts a clean archive path (docs/backups.md): site {@code regen}'s first life
     * (made by initdb) archives to {@code gcs} as {@code regen} and takes a base backup; the site is then
     * cloned again (its second life: a new data directory, cloned from the first, promoted, writing), which
     * archives as {@code regen-g<clone time>}, where a name the first life archived with other content is
     * no conflict. The store lists both generations newest first; a base backup goes to the current one;
     * a restore to a time in the first life reads the first generation, and the latest state is the
     * second's.
     */
    @Test
    void aReClonedSiteArchivesUnderANewGenerationAndARestoreReadsTheGenerationThatHoldsTheTarget() throws Exception {
        PgBinaries binaries = PgBinaries.locate();
        ObjectStore store = new ObjectStore("gcs", SiteId.of("regen"), gcs.port(), gcs.dir());
        firstLife = PostgresServer.builder(dir.resolve("regen-1")).binaries(binaries).initdbNoSync(true).stopOnJvmExit(true)
                .settings(barman.archiveSettings(store, Duration.ofSeconds(60))).setting("fsync", "off").build();
        firstLife.initdb().start();
        assertThat(store.generationOf(firstLife.dataDir()).server()).as("the first generation: the plain site name").isEqualTo("regen");
        firstLife.execute("CREATE TABLE ecg (id int PRIMARY KEY, lead text NOT NULL)");
        firstLife.execute("INSERT INTO ecg SELECT i, 'first life' FROM generate_series(1, 50) i");
        BaseBackup first = barman.backup(store.generationOf(firstLife.dataDir()), firstLife.port(), ZoneId.systemDefault());
        Thread.sleep(1100); // the backup's end time has whole seconds
        Instant target = Instant.now();
        Thread.sleep(200);
        firstLife.execute("INSERT INTO ecg VALUES (51, 'after the target')");
        awaitArchived(firstLife, firstLife.queryString("SELECT pg_walfile_name(pg_switch_wal())"));

        secondLife = PostgresServer.builder(dir.resolve("regen-2")).binaries(binaries).stopOnJvmExit(true)
                .settings(barman.archiveSettings(store, Duration.ofSeconds(60))).setting("fsync", "off").build();
        Replication.createStandby(firstLife, secondLife, Replication.StandbyOptions.named("regen"));
        secondLife.start();
        Replication.awaitReplay(secondLife, Replication.status(firstLife).currentLsn().orElseThrow(), T);
        firstLife.stop(StopMode.FAST); // the first life ends (its data directory would be deleted)
        secondLife.promote(T);
        secondLife.execute("INSERT INTO ecg VALUES (1000, 'second life')");
        awaitArchived(secondLife, secondLife.queryString("SELECT pg_walfile_name(pg_switch_wal())"));

        ObjectStore current = store.generationOf(secondLife.dataDir());
        assertThat(current.server()).startsWith("regen-g").isEqualTo("regen-" + ArchiveGeneration.read(secondLife.dataDir()).orElseThrow());
        Path bucket = gcs.dir().resolve("twincloud-gcs/twincloud");
        assertThat(objectNames(bucket.resolve(current.server()).resolve("wals"))).as("the second life's WAL, in its own path")
                .anyMatch(n -> n.startsWith("00000002.history"));
        assertThat(objectNames(bucket.resolve("regen/wals"))).as("nothing of the second life in the first's path")
                .noneMatch(n -> n.startsWith("00000002"));
        // a name the first life archived, with other content: refused in the first generation, no conflict in the second
        Path data = dir.resolve("regen-guard");
        Files.createDirectories(data.resolve("pg_wal"));
        String name = "000000010000000000000001";
        Files.write(data.resolve("pg_wal").resolve(name), new byte[16 * 1024]);
        assertThat(barman.archiveCommand(store)).as("the agent gets it through Spring Boot, which resolves ${...} as a placeholder")
                .doesNotContain("${");
        String backupHistory = "000000010000000000000002.00000028.backup"; // the longest name PostgreSQL archives
        assertThat(barman.archiveCommand(store).replace("%f", backupHistory).replace("%p", "pg_wal/" + backupHistory).length())
                .as("expanded for a backup history file, within PostgreSQL's MAXPGPATH (it cuts the rest without a word)")
                .isLessThan(1024);
        assertThat(run(barman.archiveCommand(store), data, name)).as("as the first life").startsWith("1:")
                .contains("refusing to overwrite " + name);
        Files.copy(secondLife.dataDir().resolve(ArchiveGeneration.FILE), data.resolve(ArchiveGeneration.FILE));
        assertThat(run(barman.archiveCommand(store), data, name)).as("as the second life: a clean path").startsWith("0:");

        BaseBackup second = barman.backup(current, secondLife.port(), ZoneId.systemDefault());
        assertThat(store.generations()).extracting(ObjectStore::server).as("newest first").containsExactly(current.server(), "regen");
        var latest = ArchiveGenerations.pick(barman, store, new Restore.Target.Latest(), Instant.now(), ZoneId.systemDefault());
        assertThat(latest.store().server()).isEqualTo(current.server());
        assertThat(latest.backup().id()).isEqualTo(second.id());

        Path into = dir.resolve("regen-restored");
        int port = Ports.freePort();
        List<String> progress = new ArrayList<>();
        Restore.Restored r = new Restore(barman, binaries, ZoneId.systemDefault(), progress::add)
                .run(store, new Restore.Target.Time(target), into, port);
        PostgresServer restored = PostgresServer.builder(into).binaries(binaries).port(port).build();
        try {
            assertThat(r.backup().id()).isEqualTo(first.id());
            assertThat(progress.getFirst()).contains("archive regen,").contains("not read: " + current.server());
            assertThat(restored.queryString("SELECT string_agg(DISTINCT lead, ',') || ' ' || count(*) FROM ecg"))
                    .as("the first life up to the target, from its generation\n" + String.join("\n", progress))
                    .isEqualTo("first life 50");
        } finally {
            restored.stop(StopMode.FAST);
        }
    }

    /**
     * The archive command run as PostgreSQL runs it ({@code sh -c}, in the data directory, {@code %p} and
     * {@code %f} replaced): a new file is archived, the same file again is success without a write, a
     * different file under the same name is refused with a line saying so and the store keeps the first;
     * an unreachable store is not written to and says so.
     */
    @Test
    void theArchiveCommandRefusesToOverwriteADifferentFileAndAcceptsTheSameOneAgain() throws Exception {
        Path data = dir.resolve("guard");
        Files.createDirectories(data.resolve("pg_wal"));
        String name = "000000090000000000000001"; // a timeline no server here reaches
        Path segment = data.resolve("pg_wal").resolve(name);
        byte[] original = new byte[64 * 1024];
        new java.util.Random(12).nextBytes(original);
        Files.write(segment, original);
        String command = barman.archiveCommand(gcs);

        assertThat(run(command, data, name)).as("a new file is archived").startsWith("0:");
        assertThat(run(command, data, name)).as("the identical file again: success (PostgreSQL's rule)").startsWith("0:");
        byte[] other = original.clone();
        other[100] ^= 1;
        Files.write(segment, other);
        assertThat(run(command, data, name)).as("a different file under an existing name")
                .startsWith("1:").contains("refusing to overwrite " + name + " in store gcs");
        Path fetched = data.resolve("fetched");
        assertThat(run(barman.restoreCommand(gcs).replace("%p", fetched.toString()), data, name)).startsWith("0:");
        assertThat(Files.readAllBytes(fetched)).as("the store keeps the first file").isEqualTo(original);

        // An earlier state of the same segment (a clone or pg_rewind copied it while it was being written: the same bytes
        // as far as it goes, zeros after) is replaced by the complete one. Found by RecoverFromOneStoreLabTest: a re-cloned
        // standby archived the partial copy of its current segment at once, and the complete one, received later, was
        // refused for ever — nothing after it reached the store.
        String growing = "000000090000000000000002";
        Path partial = data.resolve("pg_wal").resolve(growing);
        byte[] complete = new byte[64 * 1024];
        new java.util.Random(13).nextBytes(complete);
        byte[] earlier = new byte[complete.length];
        System.arraycopy(complete, 0, earlier, 0, 40 * 1024);
        Files.write(partial, earlier);
        assertThat(run(command, data, growing)).as("the partial copy").startsWith("0:");
        Files.write(partial, complete);
        assertThat(run(command, data, growing)).as("the complete segment over its earlier state").startsWith("0:");
        assertThat(run(barman.restoreCommand(gcs).replace("%p", fetched.toString()), data, growing)).startsWith("0:");
        assertThat(Files.readAllBytes(fetched)).as("the store holds the complete one").isEqualTo(complete);
        Files.write(partial, earlier);
        assertThat(run(command, data, growing)).as("never the other way: the earlier state over the complete one")
                .startsWith("1:").contains("refusing to overwrite " + growing);

        ObjectStore nowhere = new ObjectStore("s3", SiteId.of("aws"), Ports.freePort(), dir.resolve("nowhere"));
        assertThat(run(barman.archiveCommand(nowhere), data, name)).as("an unreachable store")
                .startsWith("1:").contains("cannot tell whether store s3 holds " + name);
    }

    /** Runs an archive or restore command as PostgreSQL does; returns "exit:stderr". */
    private static String run(String command, Path data, String name) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", command.replace("%p", "pg_wal/" + name).replace("%f", name))
                .directory(data.toFile()).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).as("finished").isTrue();
        return p.exitValue() + ":" + err;
    }

    /** Waits until {@code pg}'s archiver has nothing left marked .ready and has shipped {@code segment}. */
    private static void awaitArchived(PostgresServer pg, String segment) throws InterruptedException, IOException {
        Path status = pg.dataDir().resolve("pg_wal/archive_status");
        long deadline = System.nanoTime() + T.toNanos();
        while (System.nanoTime() < deadline) {
            String lastArchived = pg.queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            boolean readyLeft;
            try (Stream<Path> files = Files.list(status)) {
                readyLeft = files.anyMatch(f -> f.getFileName().toString().endsWith(".ready"));
            }
            if (!readyLeft && lastArchived.length() == 24 && lastArchived.compareTo(segment) >= 0) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(pg.dataDir() + " did not archive up to " + segment + " within " + T.toSeconds() + " s: "
                + pg.logTail(30));
    }

    private static List<String> objectNames(Path wals) throws IOException {
        try (Stream<Path> files = Files.walk(wals)) {
            return files.map(f -> f.getFileName().toString()).toList();
        }
    }
}
