package dev.twincloud.lab.drill;

import java.time.Duration;
import java.util.List;

/**
 * How to drill.
 *
 * @param seed            seed of the random schedule (run i uses seed + i - 1) and of the readers
 * @param writers         concurrent writing clients (each also reads its own writes back)
 * @param readers         concurrent reading clients
 * @param paceMs          pause between one client's requests
 * @param settleTimeout   how long to wait for the steady state before and after each run
 * @param tail            traffic kept running once the system is steady again
 * @param sync            sync mode (no loss allowed); false: async, loss bounded by {@code lossBoundBytes}
 * @param toleranceMs     clock tolerance between databases, clients and the arbiter's events
 * @param stalenessBoundMs the most a standby may lag and still serve reads (the API's configured bound)
 */
public record DrillSettings(List<Scenario> scenarios, int runs, long seed, int writers, int readers, long paceMs,
                            Duration settleTimeout, Duration tail, boolean sync, long lossBoundBytes, double toleranceMs,
                            long stalenessBoundMs) {

    public DrillSettings(List<Scenario> scenarios, int runs, long seed, int writers, int readers, long paceMs,
                         Duration settleTimeout, Duration tail, boolean sync, long lossBoundBytes, double toleranceMs) {
        this(scenarios, runs, seed, writers, readers, paceMs, settleTimeout, tail, sync, lossBoundBytes, toleranceMs,
                Checker.DEFAULT_STALENESS_BOUND_MS);
    }

    public DrillSettings {
        scenarios = List.copyOf(scenarios);
        if (runs < 1 || runs > 1000) {
            throw new IllegalArgumentException("runs must be between 1 and 1000, got " + runs);
        }
        if (writers < 1 || writers > 64 || readers < 0 || readers > 64) {
            throw new IllegalArgumentException("writers 1..64, readers 0..64");
        }
    }

    public static DrillSettings defaults(List<Scenario> scenarios, int runs, long seed) {
        return new DrillSettings(scenarios, runs, seed, 3, 1, 25, Duration.ofSeconds(90), Duration.ofMillis(1000), true,
                16L * 1024 * 1024, 50);
    }

    public DrillSettings withStalenessBound(long ms) {
        return new DrillSettings(scenarios, runs, seed, writers, readers, paceMs, settleTimeout, tail, sync, lossBoundBytes, toleranceMs, ms);
    }

    public DrillSettings withSettleTimeout(Duration d) {
        return new DrillSettings(scenarios, runs, seed, writers, readers, paceMs, d, tail, sync, lossBoundBytes, toleranceMs, stalenessBoundMs);
    }

    public DrillSettings withMode(boolean syncMode, long boundBytes) {
        return new DrillSettings(scenarios, runs, seed, writers, readers, paceMs, settleTimeout, tail, syncMode, boundBytes, toleranceMs,
                stalenessBoundMs);
    }

    public DrillSettings withClients(int w, int r) {
        return new DrillSettings(scenarios, runs, seed, w, r, paceMs, settleTimeout, tail, sync, lossBoundBytes, toleranceMs, stalenessBoundMs);
    }
}
