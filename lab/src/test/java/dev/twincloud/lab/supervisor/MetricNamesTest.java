package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The metric names follow Prometheus' conventions as Prometheus' own linter reads them
 * ({@code promtool check metrics}: counters end in {@code _total}, base units such as seconds and
 * bytes in the name, no abbreviations, help text): the arbiter's, an agent's and the edge's
 * exposition from their real meter classes ({@link ComponentMetrics}). Only twincloud's own families
 * are judged (Spring's JVM meters are Micrometer's business). Skipped without promtool (Debian's
 * {@code prometheus}), except under CI.
 */
class MetricNamesTest {

    @Test
    void everyTwincloudMetricPassesPromtoolsLint() throws Exception {
        Path promtool = promtool();
        for (Map.Entry<String, String> e : ComponentMetrics.byJob().entrySet()) {
            String lint = lint(promtool, e.getValue());
            List<String> ours = lint.lines().filter(l -> l.startsWith("twincloud_")).toList();
            assertThat(ours).as("promtool check metrics on %s:\n%s", e.getKey(), lint).isEmpty();
            assertThat(ComponentMetrics.names(e.getValue())).as(e.getKey()).anyMatch(n -> n.startsWith("twincloud_"));
        }
    }

    /** The lint can fail: a counter without _total and a gauge in milliseconds are reported. */
    @Test
    void theLintReportsBadNames() throws Exception {
        String bad = """
                # HELP twincloud_bad_requests Requests.
                # TYPE twincloud_bad_requests counter
                twincloud_bad_requests 1
                # HELP twincloud_bad_lag_milliseconds Lag.
                # TYPE twincloud_bad_lag_milliseconds gauge
                twincloud_bad_lag_milliseconds 1
                """;
        String lint = lint(promtool(), bad);
        assertThat(lint).contains("twincloud_bad_requests").contains("twincloud_bad_lag_milliseconds");
    }

    @Test
    void labelsAreBounded() {
        // no label whose values grow without bound: ids, epochs, paths of requests, reasons as text
        for (String text : ComponentMetrics.byJob().values()) {
            assertThat(text.lines().filter(l -> l.startsWith("twincloud_")))
                    .noneMatch(l -> l.matches(".*\\b(epoch|id|incarnation|why|reason|detail|message)=.*"));
        }
    }

    static String lint(Path promtool, String exposition) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = p.getOutputStream()) {
            in.write(exposition.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    static Path promtool() {
        return LabMonitoring.promtool().orElseGet(() -> {
            String why = "promtool not found (Debian: apt-get install prometheus; .ci/run installs it)";
            if (System.getenv("CI") != null) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
            return null;
        });
    }
}
