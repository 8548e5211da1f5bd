package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.backup.BackupTools;
import dev.twincloud.lab.backup.BarmanCloud;
import dev.twincloud.lab.backup.BaseBackup;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.lab.backup.ObjectStore;
import dev.twincloud.lab.backup.Restore;
import dev.twincloud.lab.backup.WalArchive;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.Ports;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.StopMode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
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
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Issue 12's targets at their size, on one real lab with both object stores (s3rver standing for GCS and S3,
 * Debian's barman-cloud tools): a database of {@code bench.sizeMb} (1024 by default) written through the edge with
 * the API's own write path (16 leads x 60,000 pseudo-random samples per recording, about 1.9 MB of samples each),
 * then, one after another:
 * <ol>
 *   <li>a base backup into each store: duration and size;</li>
 *   <li>a restore of the latest state from each store into a scratch instance (`lab restore --latest`'s code):
 *   duration and GB/min, rows checked against the writer;</li>
 *   <li>the WAL that {@code archive_timeout} costs a writer taking no writes: segments and bytes each store received
 *   over {@code bench.idleSeconds} (120 by default);</li>
 *   <li>both sites lost under a steady write stream (one write every 100 ms through the edge): their processes killed
 *   and data directories deleted, then `lab recover --store gcs`'s code: time until the edge takes a write again,
 *   the standby re-cloned, and the recovery point (acknowledged writes lost, and how much earlier than the last
 *   acknowledged one the last recovered one was).</li>
 * </ol>
 * {@code ./mvnw -B -ntp -pl lab test -Dtest=BackupBenchmark -Dbench=true [-Dbench.sizeMb=1024] [-Dbench.idleSeconds=120]
 * [-Dbench.basePort=26000]}; prints the figures and writes them to {@code lab/target/backup-benchmark.md}
 * (docs/benchmarks.md, "Backups and recovery at 1 GB"). Not part of {@code verify}.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class BackupBenchmark {
    static final int LEADS = 16;
    static final int SAMPLES = 60_000;

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void aGigabyteBackedUpRestoredFromEachStoreAndRecoveredFromOne() throws Exception {
        long sizeMb = Long.getLong("bench.sizeMb", 1024);
        int idleSeconds = Integer.getInteger("bench.idleSeconds", 120);
        BackupTools tools = BackupTools.find().orElseThrow(() -> new AssertionError(BackupTools.notFound()));
        BarmanCloud barman = new BarmanCloud(tools);
        PgBinaries binaries = PgBinaries.locate();
        Map<String, String> figures = new LinkedHashMap<>();
        try (LabHarness h = LabHarness.start("bench-backup", Integer.getInteger("bench.basePort", 26000), s -> s.withBackups(true))) {
            LabLayout layout = h.lab.layout();
            SiteId writer = h.awaitSteady();

            // 1. the database, through the edge
            long t0 = System.nanoTime();
            int recordings = fill(h, writer, sizeMb * 1024 * 1024);
            double fillS = (System.nanoTime() - t0) / 1e9;
            long dbBytes = databaseSize(h, writer);
            figures.put("database", "%.0f MB (pg_database_size), %d recordings written in %.0f s (%.1f MB/s through the edge, sync)"
                    .formatted(dbBytes / 1048576.0, recordings, fillS, dbBytes / 1048576.0 / fillS));
            String segment = h.switchWal(writer);
            for (ObjectStore store : ObjectStore.all(layout)) {
                ObjectStore current = LabBackups.current(layout, store);
                long w0 = System.nanoTime();
                LabHarness.await(segment + " archived in " + store.name(), Duration.ofMinutes(10),
                        () -> WalArchive.list(current, current.server(), "").stream().anyMatch(f -> f.startsWith(segment)));
                figures.put("archive caught up, " + store.name(), "%.1f s after the last write".formatted((System.nanoTime() - w0) / 1e9));
            }

            // 2. a base backup into each store
            for (ObjectStore store : ObjectStore.all(layout)) {
                long b0 = System.nanoTime();
                BaseBackup b = LabBackups.backup(layout, barman, store);
                double s = (System.nanoTime() - b0) / 1e9;
                long bytes = BarmanCloud.size(LabBackups.current(layout, store), b.id());
                figures.put("base backup, " + store.name(), "%.1f s, %.0f MB in the store (from %s's %s), %.2f GB/min".formatted(s,
                        bytes / 1048576.0, store.site(), b.fromStandby() ? "standby" : "writer", dbBytes / 1073741824.0 / (s / 60)));
            }

            // 3. restore the latest state from each store into a scratch instance
            Map<String, Long> source = rowCounts(h, writer);
            for (ObjectStore store : ObjectStore.all(layout)) {
                Path into = layout.root().resolve("bench-restore-" + store.name());
                long r0 = System.nanoTime();
                Restore.Restored r = new Restore(barman, binaries, ZoneId.systemDefault(), step -> { })
                        .run(LabBackups.current(layout, store), new Restore.Target.Latest(), into, Ports.freePort());
                double s = (System.nanoTime() - r0) / 1e9;
                PostgresServer.builder(r.dir()).binaries(binaries).port(r.port()).stopOnJvmExit(false).build().stop(StopMode.FAST);
                assertThat(r.rowCounts()).as("rows restored from " + store.name()).containsAllEntriesOf(source);
                figures.put("restore (latest), " + store.name(), "%.1f s, %.2f GB/min (base backup fetched, WAL replayed, promoted; rows as the writer's)"
                        .formatted(s, dbBytes / 1073741824.0 / (s / 60)));
                LabHarness.deleteTree(into);
            }

            // 4. what archive_timeout costs a writer taking no writes
            Map<String, ObjectStore.Stored> before = new LinkedHashMap<>();
            for (ObjectStore store : ObjectStore.all(layout)) {
                before.put(store.name(), ObjectStore.stored(LabBackups.current(layout, store).walsDir()));
            }
            LabHarness.sleep(idleSeconds * 1000L);
            for (ObjectStore store : ObjectStore.all(layout)) {
                ObjectStore.Stored now = ObjectStore.stored(LabBackups.current(layout, store).walsDir());
                long n = now.objects() - before.get(store.name()).objects();
                long bytes = now.bytes() - before.get(store.name()).bytes();
                figures.put("idle WAL archived, " + store.name(), "%d segments, %.1f MB gzipped in %d s: %.0f segments and %.0f MB an hour"
                        .formatted(n, bytes / 1048576.0, idleSeconds, n * 3600.0 / idleSeconds, bytes / 1048576.0 * 3600 / idleSeconds));
            }

            // 5. both sites lost under writes; the system back from gcs alone
            ObjectStore gcs = ObjectStore.of("gcs", layout);
            List<LabClient.Write> acked;
            long killedAt;
            try (var load = new LabHarness.Load(h.edge, "p-bench-recover", 100)) {
                LabHarness.sleep(45_000); // longer than archive_timeout: at least one segment closed by it
                killedAt = System.nanoTime();
                for (SiteId s : LabLayout.SITES) {
                    h.lab.kill(s.name());
                }
                load.close();
                acked = load.acked().stream().filter(w -> w.ackNanos() < killedAt).toList();
            }
            for (SiteId s : LabLayout.SITES) {
                LabHarness.deleteTree(layout.pgData(s));
            }
            long c0 = System.nanoTime();
            Map<String, Object> recovered = h.lab.recover("gcs", "bench");
            LabHarness.await("the edge takes writes again", Duration.ofMinutes(5), () -> h.edge.write("p-bench-after").ok());
            double servingS = (System.nanoTime() - c0) / 1e9;
            Set<String> present = h.recordingIds(gcs.site());
            List<LabClient.Write> lost = acked.stream().filter(w -> !present.contains(w.id())).toList();
            long lastAck = acked.stream().mapToLong(LabClient.Write::ackNanos).max().orElseThrow();
            long lastKept = acked.stream().filter(w -> present.contains(w.id())).mapToLong(LabClient.Write::ackNanos).max().orElse(c0);
            figures.put("recover from gcs", "restored in %.1f s, %s writing %.1f s and the edge taking writes %.1f s after the recovery began; %s eligible after %.1f s"
                    .formatted(((Number) recovered.get("restoredMs")).longValue() / 1000.0, recovered.get("writer"),
                            ((Number) recovered.get("writingMs")).longValue() / 1000.0, servingS, recovered.get("standby"),
                            ((Number) recovered.get("standbyEligibleMs")).longValue() / 1000.0));
            figures.put("recovery point", "%d of %d acknowledged writes lost; the last recovered one acknowledged %.1f s before the last acknowledged one (archive_timeout %d s)"
                    .formatted(lost.size(), acked.size(), (lastAck - lastKept) / 1e9, LabBackups.ARCHIVE_TIMEOUT.toSeconds()));
            figures.put("recovered to", String.valueOf(recovered.get("recoveredTo")));
        }
        StringBuilder md = new StringBuilder("| what | measured |\n|---|---|\n");
        figures.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
        System.out.println(md);
        Path out = LabHarness.HOME.resolve("lab/target/backup-benchmark.md");
        Files.writeString(out, "Measured " + Instant.now() + ", " + Runtime.getRuntime().availableProcessors() + " CPUs\n\n" + md);
    }

    /** Writes recordings through the edge, four at a time, until the writer's database holds {@code bytes}; how many. */
    private int fill(LabHarness h, SiteId writer, long bytes) throws Exception {
        AtomicInteger written = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicBoolean full = new AtomicBoolean();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                long seed = c;
                clients.add(pool.submit(() -> {
                    Random random = new Random(seed);
                    while (!full.get() && failed.get() < 20) {
                        int status = post(h, body(random));
                        if (status == 201) {
                            written.incrementAndGet();
                        } else {
                            failed.incrementAndGet();
                            System.out.println("a fill write answered " + status);
                        }
                    }
                    return null;
                }));
            }
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            while (!full.get()) {
                LabHarness.sleep(2000);
                long size = databaseSize(h, writer);
                System.out.printf("fill: %d recordings, %.0f MB%n", written.get(), size / 1048576.0);
                if (size >= bytes || System.nanoTime() > deadline || failed.get() >= 20) {
                    full.set(true);
                }
            }
            for (Future<?> f : clients) {
                f.get(5, TimeUnit.MINUTES);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(failed.get()).as("fill writes failed").isLessThan(20);
        assertThat(databaseSize(h, writer)).as("database size").isGreaterThanOrEqualTo(bytes);
        return written.get();
    }

    private int post(LabHarness h, String body) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(h.lab.layout().entryUrl() + "/v1/ecgs"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Authorization", "Bearer " + h.token)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", UUID.randomUUID().toString())
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    /** One recording: {@value #LEADS} leads of {@value #SAMPLES} samples, pseudo-random in [-2048, 2047] (12-bit ADC values). */
    static String body(Random random) {
        StringBuilder b = new StringBuilder(LEADS * SAMPLES * 6 + 200)
                .append("{\"patientRef\":\"p-bench-fill\",\"recordedAt\":\"2026-11-28T10:00:00Z\",\"samplingRateHz\":500,\"leads\":{");
        for (int l = 0; l < LEADS; l++) {
            b.append(l == 0 ? "" : ",").append("\"L").append(l).append("\":[");
            for (int i = 0; i < SAMPLES; i++) {
                b.append(i == 0 ? "" : ",").append(random.nextInt(4096) - 2048);
            }
            b.append(']');
        }
        return b.append("}}").toString();
    }

    private static long databaseSize(LabHarness h, SiteId site) throws SQLException {
        try (Connection c = h.db(site); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pg_database_size(current_database())")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static Map<String, Long> rowCounts(LabHarness h, SiteId site) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection c = h.db(site); Statement s = c.createStatement()) {
            for (String table : List.of("ecg_recording", "ecg_lead")) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                    rs.next();
                    counts.put(table, rs.getLong(1));
                }
            }
        }
        return counts;
    }
}
