package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.logs.LabLogsTest;
import dev.twincloud.lab.logs.LogLine;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the drill's reports make of a run's observations: the alert table and lane, the metric charts on the
 * timeline's axis, the log excerpts (HTML, self-contained), the markdown table and the summary column; and the
 * observer's log excerpts read from a lab's logs directory by the {@code lab logs} code (recorded logs-sample).
 */
class DrillObservationsReportTest {
    static final History.Mark KILL = new History.Mark(7_000, "kill writer (gcp)", true);
    static final History.Mark REVIVE = new History.Mark(13_000, "revive writer (gcp)", false);

    static RunResult run(Observations o, boolean withAlert) {
        RunResult.Timeline t = new RunResult.Timeline(250, List.of(new RunResult.Timeline.Bucket(0, 5, 0, 2, 0),
                new RunResult.Timeline.Bucket(7_000, 1, 4, 0, 1)), List.of(KILL, REVIVE),
                List.of(new RunResult.Timeline.Role(0, "gcp", 1, true), new RunResult.Timeline.Role(10_000, "aws", 2, false)));
        RunFigures f = RunFigures.measure(History.of(List.of(), List.of(), List.of()), 7_000, 13_000, 20_000, "gcp", true, 1, 1, 1,
                new Checker.Result(List.of(), 0, 0, 0, 0, List.of()));
        return new RunResult("kill-writer", 1, 1, "test", List.of("+0 ms kill writer (gcp)"), "gcp", "aws", new long[] {1, 2}, 7_000,
                13_000, 20_000, true, withAlert ? List.of(AlertCheckTest.TO_AWS) : List.of(), f, List.of(), List.of(), t, o);
    }

    static Observations observed(AlertCheck.Report alerts) throws IOException {
        RunMetrics.Query q = new RunMetrics.Query("sum by (site) (twincloud_arbiter_writer)", "site", "to ");
        RunMetrics.Panel panel = new RunMetrics.Panel("throughput through the edge", "requests/s",
                RunMetrics.series(AlertCheckTest.recorded("range.json"), q, AlertCheckTest.WALL_START));
        Instant at = Instant.ofEpochMilli((long) AlertCheckTest.WALL_START + 7_000);
        List<LogLine> lines = List.of(new LogLine(at.minusMillis(300), "arbiter", null, LogLine.Level.INFO, null, 1L, "FAILOVER <script>x</script>"),
                new LogLine(at.plusMillis(20), "gcp-agent", "gcp", LogLine.Level.WARN, null, 1L, "lease lost"));
        return new Observations(alerts, List.of(panel), List.of(RunObserver.excerpt(KILL, lines)), 42);
    }

    static DrillReport report(RunResult... runs) {
        return DrillReport.of(Instant.parse("2026-11-30T12:00:00Z"), "test", DrillSettings.defaults(List.of(Scenario.KILL_WRITER), 1, 1),
                List.of(runs));
    }

    /** With home entries: the standby site's users' reads (issue 15's figure) in the terminal table, the markdown and the HTML. */
    @Test
    void theStandbySitesUsersReadsAreInEveryReport() {
        List<History.Op> ops = ReadLocalCheckerTest.legal();
        ops.add(ReadLocalCheckerTest.read(1, "k2", 800, "", 0, "", "", "0/1020", "edge-aws")); // sent, not answered
        RunFigures f = RunFigures.measure(History.of(ops, List.of(), List.of()), 100, 2000, 40_000, "gcp", false, 0, 0, 0,
                new Checker.Result(List.of(), 0, 0, 0, 0, List.of()));
        RunResult base = run(Observations.none("not observed"), false);
        RunResult r = new RunResult("switchover", 1, 1, "test", base.schedule(), "gcp", "aws", new long[] {1, 2}, 7_000, 13_000,
                20_000, true, List.of(), f, List.of(), List.of(), base.timeline(), base.observed());
        DrillReport rep = report(r);
        String line = "reads of the standby site's users (its home entry; the standby when each run began): 3 of 5 answered "
                + "(60.000%); unanswered in switchover 2";
        assertThat(rep.standbyUsersReads()).contains(line);
        assertThat(rep.table()).contains(line);
        assertThat(rep.markdown()).contains(line);
        assertThat(HtmlReport.render(rep)).contains("<p>" + line + "</p>");
        assertThat(report(run(Observations.none("not observed"), false)).standbyUsersReads()).as("no home entries: no line").isEmpty();
    }

    @Test
    void theHtmlDrawsAlertsAndMetricsOnTheTimelinesAxisAndEmbedsTheLogsSelfContained() throws IOException {
        AlertCheck.Report alerts = AlertCheckTest.check(Scenario.KILL_WRITER, List.of(AlertCheckTest.TO_AWS), AlertCheckTest.CHANGE.minusSeconds(10),
                AlertCheckTest.DOWN.plusMillis(500), AlertCheckTest.FAILOVER_ONLY);
        RunResult r = run(observed(alerts), true);
        assertThat(r.passed()).isTrue();
        String html = HtmlReport.render(report(r));
        java.nio.file.Files.writeString(Path.of("target/drill-observations-sample.html"), html); // to look at

        assertThat(html).contains("throughput through the edge: <tspan fill=\"#e08a1e\">to aws</tspan>");
        assertThat(html).contains("<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"#3b6fb6\"");
        assertThat(html).contains("<td>TwincloudFailover</td><td>kind=FAILOVER,site=aws</td><td>+4.8 s</td><td>+4.8 s</td>"
                + "<td>still firing</td><td>+8.0 s</td>");
        assertThat(html).contains("EXPECTED: the FAILOVER of epoch 2 to aws at +3.0 s, due by +8.0 s");
        assertThat(html).contains("<title>TwincloudFailover kind=FAILOVER,site=aws: EXPECTED</title>");
        assertThat(html).contains("<details><summary>logs around kill writer (gcp) (+0.0 s): 2 lines, from -2.0 s to +5.0 s</summary><pre>");
        assertThat(html).contains("INFO  arbiter       FAILOVER &lt;script&gt;x&lt;/script&gt;");
        assertThat(html).doesNotContain("<script", "src=", "href=", "<link", "@import");

        String md = report(r).markdown();
        assertThat(md).contains("- alerts: alerts [TwincloudFailover]\n");
        assertThat(md).contains("| TwincloudFailover | kind=FAILOVER,site=aws | +4.8 s | +4.8 s | still firing | +8.0 s |  | EXPECTED:");
        assertThat(report(r).table()).contains("alerts fired / failed").contains("1 / 0");
    }

    @Test
    void aFailedAlertFailsTheRunAndShowsInEveryReport() throws IOException {
        AlertCheck.Report missing = AlertCheckTest.check(Scenario.KILL_WRITER, List.of(AlertCheckTest.TO_AWS), AlertCheckTest.CHANGE.minusSeconds(10),
                AlertCheckTest.DOWN.plusMillis(500), java.util.Set.of("none"));
        RunResult r = run(observed(missing), true);
        assertThat(r.passed()).as("anomalies none, failovers as expected, settled: the alert alone fails it").isFalse();
        DrillReport rep = report(r);
        assertThat(rep.passed()).isFalse();
        assertThat(HtmlReport.render(rep)).contains("<div class=\"fail\">alert: TwincloudFailover did not fire after the FAILOVER of epoch 2 to aws")
                .contains("<td class=\"fail\">MISSING: did not fire");
        assertThat(rep.markdown()).contains("- **ALERT** TwincloudFailover did not fire");
        assertThat(rep.table()).contains("0 / 1");

        RunResult reported = run(observed(missing).withAlertsGate(false), true);
        assertThat(reported.passed()).as("with --alerts-report-only the verdict is reported only").isTrue();
        assertThat(report(reported).table()).contains("0 / 1");
    }

    @Test
    void aRunWithoutMonitoringSaysSoAndIsNotFailedForIt() {
        RunResult r = run(Observations.none("alerts not checked: the target runs no Prometheus"), false);
        assertThat(r.passed()).isTrue();
        assertThat(HtmlReport.render(report(r))).contains("alerts not checked: the target runs no Prometheus").doesNotContain("<polyline");
        assertThat(report(r).table().lines().filter(l -> l.startsWith("kill-writer")).findFirst().orElseThrow()).endsWith("  -");
    }

    @Test
    void theExcerptKeepsTheDecisionsWhenTheWindowHoldsTooManyLines() {
        Instant t = Instant.parse("2026-11-30T12:00:00Z");
        List<LogLine> window = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            window.add(new LogLine(t.plusMillis(i * 10), "edge", null, LogLine.Level.INFO, "req-" + i, null, "POST /v1/ecgs -> gcp 201"));
            if (i % 40 == 20) {
                window.add(new LogLine(t.plusMillis(i * 10 + 1), "arbiter", null, LogLine.Level.INFO, null, 2L, "decision " + i));
            }
        }
        window.add(new LogLine(t.plusMillis(2000), "gcp-api", "gcp", LogLine.Level.WARN, null, 2L, "pool exhausted"));
        Observations.LogExcerpt e = RunObserver.excerpt(KILL, window);
        assertThat(e.lines()).hasSize(RunObserver.EXCERPT_LINES);
        assertThat(e.omitted()).isEqualTo(window.size() - RunObserver.EXCERPT_LINES);
        assertThat(e.lines()).anyMatch(l -> l.endsWith("decision 20")).anyMatch(l -> l.endsWith("decision 60"))
                .anyMatch(l -> l.endsWith("pool exhausted"));
        assertThat(e.lines().getFirst()).as("time order").contains("12:00:00.000Z").contains("[req-0]");
    }

    @Test
    void theObserverReadsTheMergedLogsAroundEachFaultAndNoAlertsWithoutMonitoring(@TempDir Path tmp) throws IOException {
        Path logs = LabLogsTest.sample(tmp).resolve("logs");
        DrillTarget target = new LogsOnly(logs);
        RunObserver o = new RunObserver(target);
        // the sample's edge answered 503s at 11:47:46.5-47.0: a fault there, on a run that began 10 s earlier
        double wallStart = Instant.parse("2026-11-30T11:47:36.500Z").toEpochMilli();
        History.Mark fault = new History.Mark(10_000, "kill writer (gcp)", true);
        Observations obs = o.observe(Scenario.KILL_WRITER, List.of(fault, new History.Mark(16_000, "revive writer (gcp)", false)),
                10_000, List.of(), wallStart, 20_000);
        assertThat(obs.alerts().checked()).isFalse();
        assertThat(obs.metrics()).isEmpty();
        assertThat(obs.logs()).as("one excerpt per fault, none for a repair").singleElement().satisfies(e -> {
            assertThat(e.fault()).isEqualTo("kill writer (gcp)");
            assertThat(e.lines()).first().asString().startsWith("2026-11-30 11:47:46.542Z INFO  edge").contains("POST /v1/ecgs -> - 503");
            assertThat(e.lines()).allMatch(l -> l.compareTo("2026-11-30 11:47:44.5") >= 0 && l.compareTo("2026-11-30 11:47:51.6") < 0);
        });
    }

    /** A target with a logs directory only. */
    record LogsOnly(Path logs) implements DrillTarget {
        public String describe() {
            return "logs only";
        }

        public String edgeUrl() {
            return "http://127.0.0.1:9";
        }

        public String token() {
            return "";
        }

        public Optional<String> arbiterUrl() {
            return Optional.empty();
        }

        public String operatorToken() {
            return "";
        }

        public String edgeStatusUrl() {
            return null;
        }

        public boolean canPlay(FaultStep.Action action) {
            return false;
        }

        public void play(FaultStep.Action action, String target, String other) {
            throw new UnsupportedOperationException();
        }

        public void restoreAll() {
        }

        public List<DbSnapshot> snapshots(String keyPrefix, double wallStartMillis) {
            return List.of();
        }

        public Optional<Path> logsDir() {
            return Optional.of(logs);
        }

        public void close() {
        }
    }
}
