package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.Durability;
import dev.twincloud.lab.supervisor.LabLayout;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The price of distance (issue 11): what a round trip between the two sites costs the writes, in each
 * replication mode. Per mode ({@code bench.modes}, {@code SYNC,ASYNC}) one lab at the defaults; for each round trip
 * ({@code bench.rtts}, {@code 0,5,20,50} ms) the links between gcp and aws (replication, the agents' promises) get
 * half of it in each direction ({@code lab latency}; the edge, the arbiter and the client stay near both sites), the
 * lab waits for the steady state, then through the edge, each for {@code bench.seconds} (10 s):
 * <ul>
 *   <li><b>write latency</b>: one client writing back to back ({@link WriteLoad}: a small {@code POST /v1/ecgs}, one
 *       lead of 500 samples), p50 and p99 — what one request waits;</li>
 *   <li><b>throughput</b>: {@code bench.concurrency} clients (8) in a closed loop: acknowledged writes per second and
 *       errors, with p50 and p99 under that load.</li>
 * </ul>
 * First a warm-up that is not measured: {@code bench.warmup} seconds (60) of writes through the edge, half of them by
 * one client and half by {@code bench.concurrency} clients, the two loads of every point — with 10 s the first point
 * (0 ms) still paid for the JIT and came out slower than the 5 ms one. Then, at
 * {@code bench.failoverRtt} (20 ms), {@code bench.runs} (1) unplanned failovers ({@link LabHarness#unplannedRtoMs}:
 * SIGKILL of the writer site, to the first write the new writer acknowledged through the edge) and as many
 * switchovers ({@link LabHarness#switchoverGapMs}: the longest gap between acknowledged writes of a client writing
 * every 10 ms), as {@link FailoverBenchmark} measures them. About 2 × (lab up + 4 points × (steady + 2 × 10 s) +
 * failovers) ≈ 6–10 min on two cores. Prints a table and writes {@code lab/target/distance-benchmark.md}.
 * <p>Run on an idle machine, jars packaged first: {@code ./mvnw -B -ntp -pl lab -am test -Dtest=DistanceBenchmark
 * -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dbench.basePort} moves the lab (default 26800,
 * ports base..base+47). Not part of {@code verify}.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class DistanceBenchmark {

    static final List<Durability> MODES = Arrays.stream(System.getProperty("bench.modes", "SYNC,ASYNC").split(","))
            .map(m -> Durability.valueOf(m.trim().toUpperCase(Locale.ROOT))).toList();
    static final List<Integer> RTTS = Arrays.stream(System.getProperty("bench.rtts", "0,5,20,50").split(","))
            .map(s -> Integer.parseInt(s.trim())).toList();
    static final int FAILOVER_RTT = Integer.getInteger("bench.failoverRtt", 20);
    static final int RUNS = Integer.getInteger("bench.runs", 1);
    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 8);
    static final Duration PHASE = Duration.ofSeconds(Long.getLong("bench.seconds", 10));
    static final Duration WARMUP = Duration.ofSeconds(Long.getLong("bench.warmup", 60));
    static final int BASE_PORT = Integer.getInteger("bench.basePort", 26800);

    /** One round trip in one mode. */
    record Point(Durability mode, int rttMs, WriteLoad.Result single, WriteLoad.Result loaded) {
    }

    /** The failovers of one mode at {@link #FAILOVER_RTT}; {@code failure} when a run could not finish, else null. */
    record Failovers(Durability mode, List<Double> rtoMs, List<Double> switchoverGapMs, String failure) {
    }

    @Test
    void writeLatencyThroughputAndFailoverAtEachDistance() throws Exception {
        List<Point> points = new ArrayList<>();
        List<Failovers> failovers = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Durability mode : MODES) {
            try (LabHarness h = LabHarness.start("bench-distance-" + mode.name().toLowerCase(Locale.ROOT), BASE_PORT,
                    st -> st.withMode(mode))) {
                WriteLoad edge = new WriteLoad(h.lab.layout().entryUrl() + "/v1/ecgs", h.token);
                h.awaitSteady();
                edge.closedLoop(1, WARMUP.dividedBy(2));
                edge.closedLoop(CONCURRENCY, WARMUP.dividedBy(2));
                for (int rtt : RTTS) {
                    setRoundTrip(h, rtt);
                    h.awaitSteady();
                    WriteLoad.Result single = edge.closedLoop(1, PHASE);
                    WriteLoad.Result loaded = edge.closedLoop(CONCURRENCY, PHASE);
                    points.add(new Point(mode, rtt, single, loaded));
                    System.out.printf("DISTANCE %s rtt %d ms: p50 %.1f p99 %.1f ms; %.1f writes/s at %d clients%n", mode, rtt,
                            single.p50(), single.p99(), loaded.rate(), CONCURRENCY);
                }
                if (RUNS > 0) {
                    setRoundTrip(h, FAILOVER_RTT);
                    List<Double> rto = new ArrayList<>();
                    List<Double> gap = new ArrayList<>();
                    String failure = null;
                    try {
                        for (int i = 0; i < RUNS; i++) {
                            rto.add(h.unplannedRtoMs());
                        }
                        for (int i = 0; i < RUNS; i++) {
                            gap.add(h.switchoverGapMs());
                        }
                    } catch (Exception | AssertionError e) {
                        failure = e.toString(); // the points measured so far are still reported; the test fails below
                    }
                    failovers.add(new Failovers(mode, rto, gap, failure));
                }
            }
        }
        String report = report(points, failovers, Duration.ofNanos(System.nanoTime() - t0));
        System.out.println(report);
        Files.writeString(LabHarness.HOME.resolve("lab/target/distance-benchmark.md"), report);
        assertThat(points).allSatisfy(p -> assertThat(p.loaded().rate()).as(p.mode() + " at " + p.rttMs() + " ms").isPositive());
        assertThat(failovers).allSatisfy(f -> assertThat(f.failure()).as(f.mode() + " failovers").isNull());
    }

    /**
     * Half of {@code rttMs} each way on every link between gcp and aws (the odd millisecond from gcp to aws), so a
     * round trip between the sites costs {@code rttMs} more than on loopback.
     */
    static void setRoundTrip(LabHarness h, int rttMs) {
        String a = LabLayout.SITES.get(0).name();
        String b = LabLayout.SITES.get(1).name();
        h.lab.latency(a, b, Duration.ofMillis(rttMs - rttMs / 2));
        h.lab.latency(b, a, Duration.ofMillis(rttMs / 2));
    }

    static String report(List<Point> points, List<Failovers> failovers, Duration took) {
        StringBuilder md = new StringBuilder();
        md.append("# The price of distance — ").append(Instant.now()).append('\n');
        md.append("Through the edge, small POST (one lead, ").append(WriteLoad.SAMPLES).append(" samples); ")
                .append(WARMUP.toSeconds()).append(" s warm-up, ")
                .append(PHASE.toSeconds()).append(" s per measurement, ").append(CONCURRENCY).append(" clients for throughput; ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs; whole run ").append(took.toSeconds()).append(" s\n\n");
        md.append("| mode | round trip gcp-aws | write latency p50 (1 client) | p99 | throughput (").append(CONCURRENCY)
                .append(" clients) | errors | p50 under load | p99 under load |\n");
        md.append("|---|---|---|---|---|---|---|---|\n");
        for (Point p : points) {
            md.append("| %s | %d ms | %.1f ms | %.1f ms | %.1f/s | %d | %.1f ms | %.1f ms |%n".formatted(p.mode(), p.rttMs(),
                    p.single().p50(), p.single().p99(), p.loaded().rate(), p.single().errors() + p.loaded().errors(),
                    p.loaded().p50(), p.loaded().p99()));
        }
        if (!failovers.isEmpty()) {
            md.append("\nAt ").append(FAILOVER_RTT).append(" ms round trip:\n\n");
            md.append("| mode | unplanned RTO (kill writer site), median / max | runs | switchover write gap, median / max | runs |\n");
            md.append("|---|---|---|---|---|\n");
            for (Failovers f : failovers) {
                md.append("| %s | %.0f / %.0f ms | %s | %.0f / %.0f ms | %s |%n".formatted(f.mode(), BenchStats.median(f.rtoMs()),
                        BenchStats.max(f.rtoMs()), BenchStats.fmt(f.rtoMs()), BenchStats.median(f.switchoverGapMs()),
                        BenchStats.max(f.switchoverGapMs()), BenchStats.fmt(f.switchoverGapMs())));
            }
            for (Failovers f : failovers) {
                if (f.failure() != null) {
                    md.append("\n").append(f.mode()).append(": a failover run did not finish: ").append(f.failure()).append('\n');
                }
            }
        }
        return md.toString();
    }
}
