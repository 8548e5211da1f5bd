package dev.twincloud.arbiter.election;

import static dev.twincloud.arbiter.election.ArbiterReplicas.awaitTrue;

import dev.twincloud.arbiter.election.ArbiterReplicas.Replica;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * How long the agents are without an acting arbiter when the acting replica dies ({@code kill -9})
 * or is stopped ({@code SIGTERM}, which releases the Lease), with two replicas on fabric8's mock
 * Kubernetes API server in CRUD mode and the fixture's Lease settings (duration 3 s, renew deadline
 * 2 s, retry 500 ms). Each run: kill or stop the acting replica, measure until the other acts
 * ({@code /actuator/health/leader} 200) and until the writer's heartbeat gets a lease again, then
 * start the stopped one again as a candidate.
 * {@code ./mvnw -pl arbiter test -Dtest=ArbiterTakeoverBenchmark -Dbench=true -Dbench.runs=6}; writes
 * {@code arbiter/target/arbiter-takeover-benchmark.md}. Not part of {@code verify}.
 */
@EnabledIfSystemProperty(named = "bench", matches = "true")
class ArbiterTakeoverBenchmark {

    @TempDir
    Path dir;

    @Test
    void takeover() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        List<long[]> killed = new ArrayList<>();
        List<long[]> stopped = new ArrayList<>();
        try (ArbiterReplicas r = new ArbiterReplicas(dir)) {
            r.start("arbiter-a");
            r.start("arbiter-b");
            r.awaitSoleLeader(Duration.ofSeconds(120));
            awaitTrue(Duration.ofSeconds(30), () -> r.round() && r.gcp.last.lease().isPresent());
            for (int i = 0; i < runs; i++) {
                killed.add(once(r, true));
                stopped.add(once(r, false));
            }
        }
        String report = "| stop of the acting replica | acts again: median / max (ms) | writer leased again: median / max (ms) | runs (acts, leased) |\n"
                + "|---|---|---|---|\n" + row("kill -9 (Lease not released)", killed) + row("SIGTERM (Lease released)", stopped);
        System.out.println(report);
        Files.writeString(Path.of("target", "arbiter-takeover-benchmark.md"), report);
    }

    private static long[] once(ArbiterReplicas r, boolean kill) throws Exception {
        Replica acting = r.awaitSoleLeader(Duration.ofSeconds(60));
        Replica other = r.other(acting);
        long epoch = r.gcp.last.epoch();
        for (int i = 0; i < 5; i++) {
            r.round(); // steady heartbeats just before
        }
        long t0 = System.nanoTime();
        if (kill) {
            acting.process().destroyForcibly();
        } else {
            acting.process().destroy();
        }
        long[] result = new long[2];
        awaitTrue(Duration.ofSeconds(30), () -> r.leads(other));
        result[0] = (System.nanoTime() - t0) / 1_000_000;
        r.gcp.last = null;
        awaitTrue(Duration.ofSeconds(30), () -> r.round() && r.gcp.last.lease().isPresent());
        result[1] = (System.nanoTime() - t0) / 1_000_000;
        if (r.gcp.last.epoch() != epoch) {
            throw new AssertionError("a takeover caused a failover: epoch " + epoch + " -> " + r.gcp.last.epoch());
        }
        acting.process().waitFor();
        r.replicas.remove(acting.id());
        r.start(acting.id()); // back as a candidate
        r.awaitSoleLeader(Duration.ofSeconds(120));
        return result;
    }

    private static String row(String name, List<long[]> runs) {
        long[] acts = runs.stream().mapToLong(x -> x[0]).sorted().toArray();
        long[] leased = runs.stream().mapToLong(x -> x[1]).sorted().toArray();
        return "| " + name + " | " + median(acts) + " / " + acts[acts.length - 1] + " | " + median(leased) + " / "
                + leased[leased.length - 1] + " | " + runs.stream().map(x -> x[0] + "/" + x[1]).toList() + " |\n";
    }

    private static long median(long[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
