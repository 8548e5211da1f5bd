package dev.twincloud.lab.e2e;

import dev.twincloud.lab.supervisor.LabSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Unplanned RTO and switchover write unavailability, repeated on one lab at its default settings:
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=FailoverBenchmark -Dbench=true -Dbench.runs=6
 * -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dbench.switchovers=20} repeats the switchover a
 * different number of times (default: {@code bench.runs}); {@code -Dbench.edgeProfile=cloud} uses the
 * edge's cloud health checks (default {@code lab}); {@code -Dbench.tls=false} runs the lab without TLS on its
 * cross-site links ({@code lab up --no-tls}; default: the lab's default, on); {@code -Dbench.switchoverPauseMs=3000}
 * waits that long before each switchover, so that none starts while the one before may still hold its target's reads
 * through its promotion (a write lease's ttl after its first grant, docs/benchmarks.md run 11; default 0: one after
 * the other, as the figures before run 11 were measured). Prints the
 * figures, with how busy the whole machine was before and during the switchovers ({@link MachineCpu}: every part of
 * both sites shares its CPUs), and writes them to {@code lab/target/failover-benchmark.md}. Not part of {@code verify}.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class FailoverBenchmark {

    @Test
    void unplannedRtoAndSwitchoverUnavailability() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        int switchovers = Integer.getInteger("bench.switchovers", runs);
        long pauseMs = Long.getLong("bench.switchoverPauseMs", 0);
        if (pauseMs < 0) {
            throw new IllegalArgumentException("bench.switchoverPauseMs must be 0 or more, not " + pauseMs);
        }
        List<Double> rto = new ArrayList<>();
        List<Double> switchover = new ArrayList<>();
        List<Double> busyBefore = new ArrayList<>();
        List<Double> busyDuring = new ArrayList<>();
        String settings;
        var profile = LabSettings.EdgeProfile.valueOf(System.getProperty("bench.edgeProfile", "lab").toUpperCase(java.util.Locale.ROOT));
        boolean tls = Boolean.parseBoolean(System.getProperty("bench.tls", Boolean.toString(dev.twincloud.lab.supervisor.LabSettings.TLS_DEFAULT)));
        try (LabHarness h = LabHarness.start("bench-failover", 25400, st -> st.withEdgeProfile(profile).withTls(tls))) {
            var st = h.lab.settings();
            settings = "%s, TLS %s, lease ttl %d ms, margin %d ms, heartbeat %d ms, edge profile %s: %d ms x%d/x%d".formatted(st.mode(),
                    st.tls() ? "on" : "off",
                    st.leaseTtl().toMillis(), st.margin().toMillis(), st.heartbeat().toMillis(), st.edgeProfile().flag(),
                    st.edgeInterval().toMillis(),
                    st.edgeHealthy(), st.edgeUnhealthy());
            for (int i = 0; i < runs; i++) {
                rto.add(h.unplannedRtoMs());
            }
            for (int i = 0; i < switchovers; i++) {
                Thread.sleep(pauseMs);
                switchover.add(h.switchoverGapMs());
            }
            busyBefore.addAll(h.cpuBusyBeforeSwitchovers);
            busyDuring.addAll(h.cpuBusyDuringSwitchovers);
        }
        String report = """
                # Failover benchmark — %s
                runs: %d unplanned, %d switchovers (%s), lab defaults (%s)

                | figure | median ms | max ms | all runs ms |
                |---|---|---|---|
                | unplanned RTO (SIGKILL writer site -> first write acknowledged through the edge) | %.0f | %.0f | %s |
                | switchover write unavailability (longest gap between acknowledged writes, 10 ms load) | %.0f | %.0f | %s |

                %s
                """.formatted(Instant.now(), runs, switchovers,
                pauseMs == 0 ? "one after the other" : "each after a pause of " + pauseMs + " ms", settings, BenchStats.median(rto), BenchStats.max(rto),
                BenchStats.fmt(rto), BenchStats.median(switchover), BenchStats.max(switchover), BenchStats.fmt(switchover),
                busyBefore.isEmpty() || busyDuring.isEmpty() ? "machine CPU: not measured (no /proc/stat)"
                        : "machine CPU busy (/proc/stat, every CPU): median %.0f %% in the 300 ms of writes before a switchover, %.0f %% from its request until the new writer's first acknowledged write was seen (%d switchovers)"
                                .formatted(100 * BenchStats.median(busyBefore), 100 * BenchStats.median(busyDuring), busyDuring.size()));
        System.out.println(report);
        Files.writeString(Path.of(System.getProperty("twincloud.home", "..")).resolve("lab/target/failover-benchmark.md"), report);
    }
}
