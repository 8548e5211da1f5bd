package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.pgctl.PgBinaries;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Throughput of a small write (issue 11), one lab, one machine, the same concurrency three ways:
 * <ol>
 *   <li><b>pgbench</b> on the writer's database, as the API's role, with the API's own SQL for a small
 *       {@code POST /v1/ecgs} in one transaction: the idempotency claim ({@code insert into
 *       idempotency_key ... on conflict do nothing}), the recording ({@code insert into ecg_recording ...
 *       returning created_at}), one lead ({@code insert into ecg_lead}) and the key update ({@code update
 *       idempotency_key set response_status, location, response_body}) — see {@code Idempotency} and
 *       {@code EcgRepository};</li>
 *   <li>the writer's <b>API directly</b>: {@code POST /v1/ecgs}, one lead of 500 samples, a fresh
 *       Idempotency-Key each;</li>
 *   <li>the same <b>through the edge</b>.</li>
 * </ol>
 * Each first runs a closed loop ({@code bench.concurrency} clients, 8, for {@code bench.seconds}, 15 s:
 * the maximum rate), then an open loop at half of that maximum with the same concurrency (a request is
 * due at a fixed rate; its latency counts from when it was due, so waiting for a free client counts):
 * req/s, errors, p50 and p99. Prints a table and writes {@code lab/target/edge-throughput-benchmark.md}.
 * The figures are for docs/benchmarks.md; run on an idle machine:
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=EdgeThroughputBenchmark -Dbench=true
 * -Dsurefire.failIfNoSpecifiedTests=false} (with the jars packaged first, as every lab test). Needs
 * {@code pgbench} next to the lab's PostgreSQL binaries (Debian's postgresql package has it; the embedded
 * binaries do not: then the pgbench row says so). Not part of {@code verify}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class EdgeThroughputBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 8);
    static final Duration PHASE = Duration.ofSeconds(Long.getLong("bench.seconds", 15));
    static final int SAMPLES = 500;

    /** One way of writing, measured twice: its maximum, then at half of it. */
    record Row(String path, double maxRate, int maxErrors, double halfRate, double achieved, int halfErrors, double p50Ms,
               double p99Ms, String note) {
    }

    @Test
    void pgbenchVsTheApiDirectlyVsThroughTheEdge() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (LabHarness h = LabHarness.start("bench-edge-throughput", 26400)) {
            SiteId writer = h.awaitSteady();
            String token = h.token;
            rows.add(pgbench(h.lab, writer));
            rows.add(http("API directly (" + writer + ")", h.lab.apiUrl(writer) + "/v1/ecgs", token));
            rows.add(http("through the edge", h.lab.layout().entryUrl() + "/v1/ecgs", token));
        }
        StringBuilder md = new StringBuilder();
        md.append("Small POST (one lead, ").append(SAMPLES).append(" samples), concurrency ").append(CONCURRENCY)
                .append(", ").append(PHASE.toSeconds()).append(" s per phase, ").append(Instant.now()).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs\n\n");
        md.append("| path | max (closed loop) | errors | open loop at half | achieved | errors | p50 | p99 | note |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            md.append("| %s | %.1f/s | %d | %.1f/s | %.1f/s | %d | %.1f ms | %.1f ms | %s |%n".formatted(r.path(), r.maxRate(),
                    r.maxErrors(), r.halfRate(), r.achieved(), r.halfErrors(), r.p50Ms(), r.p99Ms(), r.note()));
        }
        Row pg = rows.get(0);
        Row edge = rows.get(2);
        if (pg.maxRate() > 0) {
            md.append("\nthrough the edge / pgbench: %.0f%% (issue 11's target: >= 60%%, 0 errors, p99 < 50 ms at half)%n"
                    .formatted(100 * edge.maxRate() / pg.maxRate()));
        }
        System.out.println(md);
        Files.writeString(LabHarness.HOME.resolve("lab/target/edge-throughput-benchmark.md"), md.toString());
        assertThat(rows.subList(1, 3)).allSatisfy(r -> assertThat(r.maxRate()).as(r.path()).isPositive());
    }

    // ---- pgbench ----

    static final String PGBENCH_SCRIPT = """
            BEGIN;
            INSERT INTO idempotency_key (key, request_hash) VALUES (gen_random_uuid()::text, '\\x00'::bytea) ON CONFLICT DO NOTHING RETURNING key \\gset
            INSERT INTO ecg_recording (id, patient_ref, recorded_at, sampling_rate_hz, sample_count, lead_names, device, notes) VALUES (gen_random_uuid(), 'bench', now(), 500, %d, ARRAY['I'], 'pgbench', :key) RETURNING id, created_at \\gset
            INSERT INTO ecg_lead (recording_id, position, name, samples) VALUES (:id, 0, 'I', decode(repeat('0100', %d), 'hex'));
            UPDATE idempotency_key SET response_status = 201, location = '/v1/ecgs/' || :id, response_body = '{}' WHERE key = :key;
            END;
            """.formatted(SAMPLES, SAMPLES);

    private static Row pgbench(Lab lab, SiteId writer) throws IOException, InterruptedException {
        Path bin = PgBinaries.locate().binDir().resolve("pgbench");
        if (!Files.isExecutable(bin)) {
            return new Row("pgbench (API's SQL)", 0, 0, 0, 0, 0, Double.NaN, Double.NaN, "no pgbench in " + bin.getParent());
        }
        Path dir = LabHarness.HOME.resolve("lab/target/bench-pgbench");
        LabHarness.deleteTree(dir);
        Files.createDirectories(dir);
        Path script = dir.resolve("small-post.sql");
        Files.writeString(script, PGBENCH_SCRIPT);
        List<String> base = List.of(bin.toString(), "-n", "-h", "127.0.0.1", "-p", Integer.toString(lab.layout().pgPort(writer)),
                "-U", Lab.APP_ROLE, "-M", "prepared", "-c", Integer.toString(CONCURRENCY),
                "-j", Integer.toString(Math.min(CONCURRENCY, Runtime.getRuntime().availableProcessors())),
                "-T", Long.toString(PHASE.toSeconds()), "-f", script.toString());
        String max = run(dir, base, Lab.APP_DATABASE);
        double tps = number(max, "tps = ([0-9.]+)");
        int failed = (int) number(max, "number of failed transactions: ([0-9]+)");
        double half = Math.max(1, Math.floor(tps / 2 * 10) / 10);
        List<String> rated = new ArrayList<>(base);
        rated.addAll(List.of("-R", Double.toString(half), "-l", "--log-prefix=" + dir.resolve("log")));
        String halfOut = run(dir, rated, Lab.APP_DATABASE);
        List<Double> latencies = new ArrayList<>();
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("log.")).toList()) {
                for (String line : Files.readAllLines(log)) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length >= 3) {
                        latencies.add(Double.parseDouble(f[2]) / 1000.0); // "time": the transaction's latency, µs
                    }
                }
            }
        }
        double achieved = number(halfOut, "tps = ([0-9.]+)");
        return new Row("pgbench (API's SQL)", tps, failed, half, achieved, (int) number(halfOut, "number of failed transactions: ([0-9]+)"),
                percentile(latencies, 50), percentile(latencies, 99), "");
    }

    private static String run(Path dir, List<String> cmd, String database) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(cmd);
        full.add(database);
        Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IOException("pgbench failed (" + String.join(" ", full) + "):\n" + out);
        }
        return out;
    }

    private static double number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    // ---- HTTP ----

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private static final String BODY;

    static {
        StringBuilder b = new StringBuilder("{\"patientRef\":\"bench\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[");
        for (int i = 0; i < SAMPLES; i++) {
            b.append(i == 0 ? "" : ",").append(i % 2000 - 1000);
        }
        BODY = b.append("]}}").toString();
    }

    /** One POST; returns its status (0: no answer) and counts an edge-made answer. */
    private static int post(String url, String token, AtomicInteger edgeMade) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Idempotency-Key", "bench-" + UUID.randomUUID()).POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        try {
            HttpResponse<Void> r = HTTP.send(req, HttpResponse.BodyHandlers.discarding());
            if (r.headers().firstValue("Twincloud-Edge").isPresent()) {
                edgeMade.incrementAndGet();
            }
            return r.statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }

    private static Row http(String name, String url, String token) throws InterruptedException {
        // closed loop: the maximum
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        AtomicInteger edgeMade = new AtomicInteger();
        long end = System.nanoTime() + PHASE.toNanos();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < CONCURRENCY; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    int s = post(url, token, edgeMade);
                    (s == 201 ? ok : errors).incrementAndGet();
                }
            }));
        }
        for (Thread t : clients) {
            t.join();
        }
        double max = ok.get() / (double) PHASE.toSeconds();
        int maxErrors = errors.get();

        // open loop at half of it, same concurrency: latency from when each request was due
        double half = Math.max(1, Math.floor(max / 2 * 10) / 10);
        long slots = (long) Math.floor(half * PHASE.toSeconds());
        AtomicLong next = new AtomicLong();
        AtomicInteger halfOk = new AtomicInteger();
        AtomicInteger halfErrors = new AtomicInteger();
        ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        clients.clear();
        for (int c = 0; c < CONCURRENCY; c++) {
            clients.add(Thread.ofVirtual().start(() -> {
                for (long i = next.getAndIncrement(); i < slots; i = next.getAndIncrement()) {
                    long due = start + Math.round(i * 1e9 / half);
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    int s = post(url, token, edgeMade);
                    latencies.add((System.nanoTime() - due) / 1e6);
                    (s == 201 ? halfOk : halfErrors).incrementAndGet();
                }
            }));
        }
        for (Thread t : clients) {
            t.join();
        }
        double took = (System.nanoTime() - start) / 1e9;
        List<Double> l = new ArrayList<>(latencies);
        return new Row(name, max, maxErrors, half, halfOk.get() / took, halfErrors.get(), percentile(l, 50), percentile(l, 99),
                edgeMade.get() == 0 ? "" : edgeMade.get() + " answers made by the edge");
    }

    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, (int) Math.ceil(p / 100 * v.length) - 1)];
    }
}
