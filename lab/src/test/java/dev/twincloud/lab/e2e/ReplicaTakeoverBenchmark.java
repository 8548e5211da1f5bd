package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.lab.supervisor.LabSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Takeover after {@code kill -9} of the acting arbiter replica, on a lab with two replicas on a three-member
 * etcd ({@code lab up --arbiter-replicas 2}, base port 28600, root {@code lab/target/bench-replica-takeover}),
 * a client writing through the edge every 10 ms. Each run: wait for the steady state with one replica acting
 * and the other standing by, SIGKILL the acting one, and measure
 * <ul>
 *   <li><b>takeover</b>: the kill to the other replica's {@code /actuator/health/leader} answering 200 (polled
 *       every 10 ms): the dead one's etcd lease running out (up to its 3 s), the next attempt (every 500 ms)
 *       and loading the state;</li>
 *   <li><b>front</b>: the kill to the front routing to the new replica again ({@code /actuator/health/leader}
 *       through the front answering 200);</li>
 *   <li><b>time without writes</b>: the longest stretch between two acknowledged writes that ends after the
 *       kill (the failsafe should keep it near the write latency), and the writes that failed.</li>
 * </ul>
 * Then the killed replica is started again (it stands by) before the next run.
 * {@code ./mvnw -B -ntp -pl lab -am package -DskipTests}, then
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=ReplicaTakeoverBenchmark -Dbench=true -Dbench.runs=10
 * -Dsurefire.failIfNoSpecifiedTests=false}. Prints the figures and writes them to
 * {@code lab/target/replica-takeover-benchmark.md}; the one assertion (no promotion) is checked after the
 * report is written. Needs the etcd binary. Not part of {@code verify}.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class ReplicaTakeoverBenchmark {

    @Test
    void killTheActingReplicaNTimes() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        List<Double> takeover = new ArrayList<>();
        List<Double> front = new ArrayList<>();
        List<Double> gap = new ArrayList<>();
        List<Double> failed = new ArrayList<>();
        List<String> details = new ArrayList<>();
        String settings;
        long epochBefore;
        long epochAfter;
        try (LabHarness h = LabHarness.start("bench-replica-takeover", 28600, s -> s.withArbiterReplicas(2))) {
            var st = h.lab.settings();
            settings = "%s, lease ttl %d ms, heartbeat %d ms; election: etcd lease %d s, renew deadline %d ms, retry %d ms; front checks every 100 ms, 1/3"
                    .formatted(st.mode(), st.leaseTtl().toMillis(), st.heartbeat().toMillis(),
                            LabSettings.ELECTION_LEASE_DURATION.toSeconds(), LabSettings.ELECTION_RENEW_DEADLINE.toMillis(),
                            LabSettings.ELECTION_RETRY_PERIOD.toMillis());
            h.awaitSteady();
            epochBefore = h.epoch();
            for (int i = 0; i < runs; i++) {
                h.restoreAll();
                SiteId w = h.awaitSteady();
                String acting = ArbiterReplicasLabTest.awaitReplicasOf(h);
                int other = acting.equals("arbiter-1") ? 2 : 1;
                try (var load = new LabHarness.Load(h.edge, "p-bench-takeover", 10)) {
                    LabHarness.sleep(500);
                    long t0 = System.nanoTime();
                    h.lab.kill(acting); // the replica by name: it was acting a moment ago
                    long acts = awaitOk(h.lab.replicaUrl(other) + "/actuator/health/leader", t0);
                    long routed = awaitOk(h.lab.arbiterUrl() + "/actuator/health/leader", t0);
                    LabHarness.sleep(1500);
                    load.close();
                    long[] g = LabHarness.longestGapAfter(load.acked(), t0);
                    long failures = load.attempts.stream().filter(a -> !a.ok() && a.sentNanos() > t0).count();
                    takeover.add((acts - t0) / 1e6);
                    front.add((routed - t0) / 1e6);
                    gap.add((g[1] - g[0]) / 1e6);
                    failed.add((double) failures);
                    details.add("run %d: killed %s; %s acts after %.0f ms, the front routes to it after %.0f ms; longest write gap %.0f ms, %d writes failed; writer %s"
                            .formatted(i + 1, acting, Lab.replicaName(other), takeover.getLast(), front.getLast(), gap.getLast(), failures, w));
                    System.out.println(details.getLast());
                    h.assertNoAcknowledgedWriteLost(load, w);
                }
                h.lab.revive("arbiter");
            }
            epochAfter = h.epoch();
        }
        String report = """
                # Arbiter replica takeover benchmark — %s
                runs: %d, kill -9 of the acting replica of two on a three-member etcd (%s)

                | figure | median ms | max ms | all runs |
                |---|---|---|---|
                | takeover: kill -> the other replica acts | %.0f | %.0f | %s |
                | kill -> the front routes to it | %.0f | %.0f | %s |
                | time without writes: longest gap between acknowledged writes (10 ms load) | %.0f | %.0f | %s |
                | writes that failed after the kill (count) | %.0f | %.0f | %s |

                epoch before %d, after %d (a promotion would raise it)

                %s
                """.formatted(Instant.now(), runs, settings, BenchStats.median(takeover), BenchStats.max(takeover),
                BenchStats.fmt(takeover), BenchStats.median(front), BenchStats.max(front), BenchStats.fmt(front),
                BenchStats.median(gap), BenchStats.max(gap), BenchStats.fmt(gap),
                BenchStats.median(failed), BenchStats.max(failed), BenchStats.fmt(failed),
                epochBefore, epochAfter, String.join("\n", details));
        System.out.println(report);
        Files.writeString(Path.of(System.getProperty("twincloud.home", "..")).resolve("lab/target/replica-takeover-benchmark.md"), report);
        assertThat(epochAfter).as("no promotion because of an arbiter takeover").isEqualTo(epochBefore);
    }

    /** Polls {@code url} every 10 ms (200 ms timeout) until it answers 200; the time it did, in nanos. */
    private static long awaitOk(String url, long since) {
        long deadline = since + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                if (Http.get(url, null, Duration.ofMillis(200)).status() == 200) {
                    return System.nanoTime();
                }
            } catch (IOException e) {
                // not yet
            }
            LabHarness.sleep(10);
        }
        throw new AssertionError("no 200 from " + url + " within 60 s of the kill");
    }
}
