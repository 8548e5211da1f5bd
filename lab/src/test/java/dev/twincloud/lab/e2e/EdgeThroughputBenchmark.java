package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.pgctl.PgBinaries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Throughput of a small write (issue 11), one lab, one machine, the same concurrency three ways:
 * <ol>
 *   <li><b>pgbench</b> on the writer's database, as the API's role, with the API's own SQL for a small
 *       {@code POST /v1/ecgs} in one transaction: the idempotency claim per caller ({@code insert into
 *       idempotency_key (caller, key, ...) select ... where not exists (a pre-V3 row) on conflict do nothing}), the recording ({@code insert into ecg_recording ...
 *       returning created_at}), one lead ({@code insert into ecg_lead}) and the key update ({@code update
 *       idempotency_key set response_status, location, response_body}) — see {@code Idempotency} and
 *       {@code EcgRepository};</li>
 *   <li>the writer's <b>API directly</b>: {@code POST /v1/ecgs}, one lead of 500 samples, a fresh
 *       Idempotency-Key each ({@link WriteLoad});</li>
 *   <li>the same <b>through the edge</b>.</li>
 * </ol>
 * First a warm-up that is not measured ({@code bench.warmup} seconds, 30: half straight at the API, half through
 * the edge, so both JVMs have compiled their hot paths before anything counts — without it the first measured path
 * paid for the JIT and looked slower). Then each path runs a closed loop ({@code bench.concurrency} clients, 8, for
 * {@code bench.seconds}, 15 s: the maximum rate) {@code bench.rounds} times (2), the two HTTP paths alternating
 * (API, edge, API, edge, ...) so that neither gets the quieter moment; the table shows the mean of the rounds and
 * each round. Then an open loop at half of that maximum with the same concurrency (a request is due at a fixed
 * rate; its latency counts from when it was due, so waiting for a free client counts): req/s, errors, p50 and p99.
 * Prints a table and writes {@code lab/target/edge-throughput-benchmark.md}.
 * The figures are for docs/benchmarks.md; run on an idle machine:
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=EdgeThroughputBenchmark -Dbench=true
 * -Dsurefire.failIfNoSpecifiedTests=false} (with the jars packaged first, as every lab test); {@code -Dbench.basePort}
 * moves the lab (default 26400, ports base..base+47). Needs
 * {@code pgbench} next to the lab's PostgreSQL binaries (Debian's postgresql package has it; the embedded
 * binaries do not: then the pgbench row says so). Not part of {@code verify}.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class EdgeThroughputBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 8);
    static final Duration PHASE = Duration.ofSeconds(Long.getLong("bench.seconds", 15));
    static final Duration WARMUP = Duration.ofSeconds(Long.getLong("bench.warmup", 30));
    static final int ROUNDS = Integer.getInteger("bench.rounds", 2);
    /** The lab's ports: base .. base+47 ({@code LabLayout}). */
    static final int BASE_PORT = Integer.getInteger("bench.basePort", 26400);
    static final int SAMPLES = WriteLoad.SAMPLES;

    /** One way of writing, measured twice: its maximum, then at half of it. */
    record Row(String path, double maxRate, int maxErrors, double halfRate, double achieved, int halfErrors, double p50Ms,
               double p99Ms, String note) {
    }

    @Test
    void pgbenchVsTheApiDirectlyVsThroughTheEdge() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (LabHarness h = LabHarness.start("bench-edge-throughput", BASE_PORT)) {
            SiteId writer = h.awaitSteady();
            String token = h.token;
            WriteLoad direct = new WriteLoad(h.lab.apiUrl(writer) + "/v1/ecgs", token);
            WriteLoad edge = new WriteLoad(h.lab.layout().entryUrl() + "/v1/ecgs", token);
            direct.closedLoop(CONCURRENCY, WARMUP.dividedBy(2));
            edge.closedLoop(CONCURRENCY, WARMUP.dividedBy(2));
            rows.add(pgbench(h.lab, writer));
            List<WriteLoad.Result> directRounds = new ArrayList<>();
            List<WriteLoad.Result> edgeRounds = new ArrayList<>();
            for (int i = 0; i < ROUNDS; i++) {
                directRounds.add(direct.closedLoop(CONCURRENCY, PHASE));
                edgeRounds.add(edge.closedLoop(CONCURRENCY, PHASE));
            }
            rows.add(http("API directly (" + writer + ")", direct, directRounds));
            rows.add(http("through the edge", edge, edgeRounds));
        }
        StringBuilder md = new StringBuilder();
        md.append("Small POST (one lead, ").append(SAMPLES).append(" samples), concurrency ").append(CONCURRENCY)
                .append(", ").append(WARMUP.toSeconds()).append(" s warm-up, ").append(PHASE.toSeconds()).append(" s per phase, ")
                .append(ROUNDS).append(" rounds of the HTTP maxima, ").append(Instant.now()).append(", ")
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
            INSERT INTO idempotency_key (caller, key, request_hash) SELECT 'bench', n.k, '\\x00'::bytea FROM (SELECT gen_random_uuid()::text AS k) n WHERE NOT EXISTS (SELECT 1 FROM idempotency_key WHERE caller = '' AND key = n.k AND request_hash = '\\x00'::bytea) ON CONFLICT DO NOTHING RETURNING key, created_at, gen_random_uuid() AS id \\gset
            WITH w0 AS (INSERT INTO ecg_recording (id, patient_ref, recorded_at, sampling_rate_hz, sample_count, lead_names, device, notes, created_at) VALUES (:id, 'bench', now(), 500, %d, ARRAY['I'], 'pgbench', :key, :created_at)), w1 AS (INSERT INTO ecg_lead (recording_id, position, name, samples) VALUES (:id, 0, 'I', decode(repeat('0100', %d), 'hex'))) UPDATE idempotency_key SET response_status = 201, location = '/v1/ecgs/' || :id, response_body = '{}' WHERE caller = 'bench' AND key = :key;
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
                BenchStats.percentile(latencies, 50), BenchStats.percentile(latencies, 99), "");
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

    /** The mean of the closed-loop rounds as the maximum, then the open loop at half of it. */
    private static Row http(String name, WriteLoad load, List<WriteLoad.Result> rounds) throws InterruptedException {
        double max = rounds.stream().mapToDouble(WriteLoad.Result::rate).average().orElse(0);
        int maxErrors = rounds.stream().mapToInt(WriteLoad.Result::errors).sum();
        int edgeMade = rounds.stream().mapToInt(WriteLoad.Result::edgeMade).sum();
        double half = Math.max(1, Math.floor(max / 2 * 10) / 10);
        WriteLoad.Result open = load.openLoop(CONCURRENCY, half, PHASE);
        edgeMade += open.edgeMade();
        String each = "rounds: " + String.join(", ", rounds.stream().map(r -> "%.1f/s".formatted(r.rate())).toList());
        return new Row(name, max, maxErrors, half, open.rate(), open.errors(), open.p50(), open.p99(),
                each + (edgeMade == 0 ? "" : "; " + edgeMade + " answers made by the edge"));
    }
}
