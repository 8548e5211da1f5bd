package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HealthStateTest {

    private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

    /**
     * probes: '+' success, '-' failure (one per second). transitions: the probe indexes (1-based)
     * at which the state flipped, H for healthy / U for unhealthy; '.' for none.
     */
    @ParameterizedTest(name = "[{index}] up={0} down={1} probes={2} -> healthy={3} ok={4} fail={5} flips={6}")
    @CsvSource(delimiter = '|', textBlock = """
            2 | 2 | ''         | false | 0 | 0 | .
            2 | 2 | +          | false | 1 | 0 | .
            2 | 2 | ++         | true  | 2 | 0 | H2
            2 | 2 | +-+        | false | 1 | 0 | .
            2 | 2 | ++-        | true  | 0 | 1 | H2
            2 | 2 | ++--       | false | 0 | 2 | H2 U4
            2 | 2 | ++-+-      | true  | 0 | 1 | H2
            2 | 2 | ++--++     | true  | 2 | 0 | H2 U4 H6
            2 | 2 | ++++++     | true  | 6 | 0 | H2
            1 | 1 | +-+-       | false | 0 | 1 | H1 U2 H3 U4
            3 | 1 | ++-+++     | true  | 3 | 0 | H6
            1 | 3 | +--+---    | false | 0 | 3 | H1 U7
            2 | 3 | ---++---   | false | 0 | 3 | H5 U8
            """)
    void thresholds(int up, int down, String probes, boolean healthy, int ok, int fail, String flips) {
        HealthState s = new HealthState(up, down, T0);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < probes.length(); i++) {
            int n = i + 1;
            Instant at = T0.plusSeconds(n);
            s.record(probes.charAt(i) == '+', at).ifPresent(t -> {
                assertThat(t.at()).isEqualTo(at);
                seen.add((t.healthy() ? "H" : "U") + n);
            });
        }
        assertThat(s.healthy()).isEqualTo(healthy);
        assertThat(s.consecutiveOk()).isEqualTo(ok);
        assertThat(s.consecutiveFail()).isEqualTo(fail);
        assertThat(seen.isEmpty() ? "." : String.join(" ", seen)).isEqualTo(flips);
        if (!seen.isEmpty()) {
            String last = seen.getLast();
            assertThat(s.lastChange()).isEqualTo(T0.plusSeconds(Integer.parseInt(last.substring(1))));
        } else {
            assertThat(s.lastChange()).isEqualTo(T0);
        }
    }

    /**
     * The definitive-answer rule. probes: '+' success, '-' slow/failed (timeout, connection error), 'N' the
     * site answered "not the writer". atOnce: the lab profile's rule (a definitive answer drops a healthy
     * site at once); without it (the cloud profile, like a GCP LB) 'N' is just one more failure.
     */
    @ParameterizedTest(name = "[{index}] atOnce={0} up={1} down={2} probes={3} -> flips={4}")
    @CsvSource(delimiter = '|', textBlock = """
            true  | 1 | 2 | +N         | H1 U2
            false | 1 | 2 | +N         | H1
            false | 1 | 2 | +NN        | H1 U3
            true  | 1 | 2 | +-+-+-     | H1
            true  | 1 | 2 | +--        | H1 U3
            true  | 1 | 2 | +-N        | H1 U3
            true  | 1 | 2 | +N+        | H1 U2 H3
            true  | 2 | 2 | N++        | H3
            true  | 1 | 3 | +-N+       | H1 U3 H4
            false | 1 | 3 | +-N+       | H1
            true  | 1 | 2 | +NN        | H1 U2
            """)
    void aDefinitiveNotTheWriterDropsAtOnceOnlyWithTheRule(boolean atOnce, int up, int down, String probes, String flips) {
        HealthState s = new HealthState(up, down, atOnce, T0);
        List<String> seen = new ArrayList<>();
        for (int i = 0; i < probes.length(); i++) {
            int n = i + 1;
            char c = probes.charAt(i);
            s.record(c == '+', c == 'N', T0.plusSeconds(n)).ifPresent(t -> seen.add((t.healthy() ? "H" : "U") + n));
        }
        assertThat(seen.isEmpty() ? "." : String.join(" ", seen)).isEqualTo(flips);
    }
}
