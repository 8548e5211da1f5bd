package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Unplanned RTO and switchover write unavailability, repeated on one lab at its default settings:
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=FailoverBenchmark -Dbench=true -Dbench.runs=6
 * -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dbench.switchovers=20} repeats the switchover a
 * different number of times (default: {@code bench.runs}); {@code -Dbench.edgeProfile=cloud} uses the
 * edge's cloud health checks (default {@code lab}). Prints the
 * figures and writes them to {@code lab/target/failover-benchmark.md}. Not part of {@code verify}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class FailoverBenchmark {

    @Test
    void unplannedRtoAndSwitchoverUnavailability() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        int switchovers = Integer.getInteger("bench.switchovers", runs);
        List<Double> rto = new ArrayList<>();
        List<Double> switchover = new ArrayList<>();
        String settings;
        var profile = LabSettings.EdgeProfile.valueOf(System.getProperty("bench.edgeProfile", "lab").toUpperCase(java.util.Locale.ROOT));
        try (LabHarness h = LabHarness.start("bench-failover", 25400, st -> st.withEdgeProfile(profile))) {
            var st = h.lab.settings();
            settings = "%s, lease ttl %d ms, margin %d ms, heartbeat %d ms, edge profile %s: %d ms x%d/x%d".formatted(st.mode(),
                    st.leaseTtl().toMillis(), st.margin().toMillis(), st.heartbeat().toMillis(), st.edgeProfile().flag(),
                    st.edgeInterval().toMillis(),
                    st.edgeHealthy(), st.edgeUnhealthy());
            for (int i = 0; i < runs; i++) {
                SiteId w = h.awaitSteady();
                SiteId s = LabLayout.peer(w);
                try (var load = new LabHarness.Load(h.edge, "p-bench", 10)) {
                    LabHarness.sleep(300);
                    long t0 = System.nanoTime();
                    h.lab.kill(w.name());
                    // RTO: the fault, to the first write that the new writer acknowledged
                    LabHarness.await("a write at " + s + " after the kill", Duration.ofSeconds(30),
                            () -> load.attempts.stream().anyMatch(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0));
                    rto.add((load.attempts.stream().filter(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0)
                            .findFirst().orElseThrow().ackNanos() - t0) / 1e6);
                }
                h.lab.revive(w.name());
            }
            for (int i = 0; i < switchovers; i++) {
                SiteId w = h.awaitSteady();
                SiteId s = LabLayout.peer(w);
                try (var load = new LabHarness.Load(h.edge, "p-bench", 10)) {
                    LabHarness.sleep(300);
                    var r = Http.post(h.lab.arbiterUrl() + "/v1/switchover", h.lab.secrets().operatorToken(),
                            Http.JSON.writeValueAsString(new OperatorRequest.Switchover(s)));
                    assertThat(r.status()).as(r.body()).isEqualTo(202);
                    LabHarness.await("writes at " + s, Duration.ofSeconds(30),
                            () -> load.acked().stream().anyMatch(a -> a.site().equals(s.name())));
                    LabHarness.sleep(300);
                    load.close();
                    List<LabClient.Write> acked = load.acked();
                    long gap = 0;
                    for (int k = 1; k < acked.size(); k++) {
                        gap = Math.max(gap, acked.get(k).ackNanos() - acked.get(k - 1).ackNanos());
                    }
                    switchover.add(gap / 1e6);
                    h.assertNoAcknowledgedWriteLost(load, s);
                }
            }
        }
        String report = """
                # Failover benchmark — %s
                runs: %d unplanned, %d switchovers, lab defaults (%s)

                | figure | median ms | max ms | all runs ms |
                |---|---|---|---|
                | unplanned RTO (SIGKILL writer site -> first write acknowledged through the edge) | %.0f | %.0f | %s |
                | switchover write unavailability (longest gap between acknowledged writes, 10 ms load) | %.0f | %.0f | %s |
                """.formatted(Instant.now(), runs, switchovers, settings, median(rto), max(rto), fmt(rto), median(switchover), max(switchover), fmt(switchover));
        System.out.println(report);
        Files.writeString(Path.of(System.getProperty("twincloud.home", "..")).resolve("lab/target/failover-benchmark.md"), report);
    }

    static double median(List<Double> v) {
        List<Double> s = v.stream().sorted().toList();
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double max(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    static String fmt(List<Double> v) {
        return String.join(", ", v.stream().map(d -> String.format("%.0f", d)).toList());
    }
}
