package dev.twincloud.lab.drill;

import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** Everything a drill produced: every run, and per scenario the figures over its runs. */
public record DrillReport(Instant startedAt, Instant endedAt, String target, Map<String, Object> machine, DrillSettings settings,
                          List<ScenarioSummary> summary, List<RunResult> runs) {

    /**
     * Figures of one scenario over its runs; failovers as performed in total and expected in total.
     */
    public record ScenarioSummary(String scenario, int runs, int passed, Figures rtoMs, Figures writeUnavailMs, Figures writeOutageMs,
                                  Figures readUnavailMs, Figures rejoinMs, Figures inSyncMs, int failovers, String expectedFailovers,
                                  int runsWithUnexpectedFailovers, int lostWrites, long lostBytes, Map<String, Long> anomalies,
                                  String alerts) {
    }

    public static DrillReport of(Instant started, String target, DrillSettings settings, List<RunResult> runs) {
        Map<String, List<RunResult>> by = new LinkedHashMap<>();
        for (RunResult r : runs) {
            by.computeIfAbsent(r.scenario(), k -> new ArrayList<>()).add(r);
        }
        List<ScenarioSummary> summary = new ArrayList<>();
        by.forEach((s, rs) -> summary.add(summarize(s, rs)));
        if (by.size() > 1) {
            summary.add(summarize("all", runs));
        }
        return new DrillReport(started, Instant.now(), target, Drill.machine(), settings, List.copyOf(summary), List.copyOf(runs));
    }

    private static ScenarioSummary summarize(String name, List<RunResult> rs) {
        int min = rs.stream().mapToInt(r -> r.figures().expectedMinFailovers()).sum();
        int max = rs.stream().mapToInt(r -> r.figures().expectedMaxFailovers()).sum();
        Map<String, Long> anomalies = new LinkedHashMap<>();
        for (Anomaly.Kind k : Anomaly.Kind.values()) {
            anomalies.put(k.name(), rs.stream().flatMap(r -> r.anomalies().stream()).filter(a -> a.kind() == k).count());
        }
        return new ScenarioSummary(name, rs.size(), (int) rs.stream().filter(RunResult::passed).count(),
                fig(rs, f -> f.rtoMs()), fig(rs, f -> f.writeUnavailMs()), fig(rs, f -> f.writeOutageMs()), fig(rs, f -> f.readUnavailMs()),
                fig(rs, f -> f.rejoinMs()), fig(rs, f -> f.inSyncMs()),
                rs.stream().mapToInt(r -> r.figures().failovers()).sum(), min == max ? Integer.toString(min) : min + ".." + max,
                (int) rs.stream().filter(r -> !r.failoversAsExpected()).count(),
                rs.stream().mapToInt(r -> r.figures().lostWrites()).sum(), rs.stream().mapToLong(r -> r.figures().lostBytes()).sum(),
                anomalies, alerts(rs));
    }

    /** {@code fired / failed}: alerts that fired in the runs (not carried over), and alert failures; "-" when none was checked. */
    private static String alerts(List<RunResult> rs) {
        List<AlertCheck.Report> checked = rs.stream().map(r -> r.observed().alerts()).filter(AlertCheck.Report::checked).toList();
        if (checked.isEmpty()) {
            return "-";
        }
        long fired = checked.stream().flatMap(a -> a.rows().stream()).filter(r -> r.firedMs() != null
                && r.verdict() != AlertCheck.Verdict.CARRIED_OVER).count();
        long failed = checked.stream().mapToLong(a -> a.failures().size()).sum();
        return fired + " / " + failed + (checked.size() < rs.size() ? " (" + (rs.size() - checked.size()) + " runs unchecked)" : "");
    }

    private static Figures fig(List<RunResult> rs, ToDoubleFunction<RunFigures> f) {
        return Figures.of(rs.stream().map(r -> f.applyAsDouble(r.figures())).toList());
    }

    public boolean passed() {
        return !runs.isEmpty() && runs.stream().allMatch(RunResult::passed);
    }

    public long anomalyCount() {
        return runs.stream().mapToLong(r -> r.anomalies().size()).sum();
    }

    // ------------------------------------------------------------------ text

    private static String f3(Figures f) {
        return f.n() == 0 ? "-" : Drill.fmt(f.median()) + " / " + Drill.fmt(f.p95()) + " / " + Drill.fmt(f.max());
    }

    private static final String[] HEAD = {"scenario", "runs", "pass", "RTO ms", "writes unavail. ms", "write outage ms",
        "reads unavail. ms",
        "failovers done/exp.", "lost writes (bytes)", "re-join ms", "back in sync ms", "anomalies", "alerts fired / failed"};

    private List<String[]> rows() {
        List<String[]> rows = new ArrayList<>();
        for (ScenarioSummary s : summary) {
            long anomalies = s.anomalies().values().stream().mapToLong(Long::longValue).sum();
            String kinds = anomalies == 0 ? "0" : anomalies + " " + s.anomalies().entrySet().stream().filter(e -> e.getValue() > 0)
                    .map(e -> e.getKey() + "=" + e.getValue()).toList();
            rows.add(new String[] {s.scenario(), Integer.toString(s.runs()), Integer.toString(s.passed()), f3(s.rtoMs()),
                f3(s.writeUnavailMs()), f3(s.writeOutageMs()), f3(s.readUnavailMs()), s.failovers() + " / " + s.expectedFailovers()
                    + (s.runsWithUnexpectedFailovers() > 0 ? " (" + s.runsWithUnexpectedFailovers() + " off)" : ""),
                s.lostWrites() + " (" + s.lostBytes() + ")", f3(s.rejoinMs()), f3(s.inSyncMs()), kinds, s.alerts()});
        }
        return rows;
    }

    /** The terminal table: per scenario, median / p95 / max of each figure. */
    public String table() {
        List<String[]> rows = rows();
        int[] w = new int[HEAD.length];
        for (int i = 0; i < HEAD.length; i++) {
            w[i] = HEAD[i].length();
            for (String[] r : rows) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append(line(HEAD, w)).append('\n');
        StringBuilder rule = new StringBuilder();
        for (int x : w) {
            rule.append("-".repeat(x)).append("  ");
        }
        b.append(rule.toString().stripTrailing()).append('\n');
        for (String[] r : rows) {
            b.append(line(r, w)).append('\n');
        }
        b.append("times: median / p95 / max over the runs; RTO = fault -> first write acknowledged through the edge by the new writer;\n"
                + "writes unavail. = longest time without an acknowledged write; write outage = longest time in which writes failed\n");
        b.append("alerts: fired in the runs (carried-over ones not counted) / failures (expected alert late or missing, unexplained alert); - = not checked\n");
        standbyUsersReads().ifPresent(line -> b.append(line).append('\n'));
        return b.toString();
    }

    /**
     * With home entries ({@code --active-active}): the reads of the users of the site that was the standby when each run
     * began, answered over sent, over every run (issue 15's target: at least 99.9 %), and the scenarios where they lost most.
     */
    public java.util.Optional<String> standbyUsersReads() {
        long sent = runs.stream().mapToLong(r -> r.figures().standbyUsersReads()).sum();
        if (sent == 0) {
            return java.util.Optional.empty();
        }
        long ok = runs.stream().mapToLong(r -> r.figures().standbyUsersReadsOk()).sum();
        java.util.Map<String, Long> lost = new java.util.TreeMap<>();
        for (RunResult r : runs) {
            long n = r.figures().standbyUsersReads() - r.figures().standbyUsersReadsOk();
            if (n > 0) {
                lost.merge(r.scenario(), n, Long::sum);
            }
        }
        String where = lost.entrySet().stream().sorted(java.util.Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                .map(e -> e.getKey() + " " + e.getValue()).collect(java.util.stream.Collectors.joining(", "));
        return java.util.Optional.of(String.format(java.util.Locale.ROOT,
                "reads of the standby site's users (its home entry; the standby when each run began): %d of %d answered (%.3f%%)%s",
                ok, sent, 100.0 * ok / sent, lost.isEmpty() ? "" : "; unanswered in " + where));
    }

    private static String line(String[] cells, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            b.append(String.format("%-" + w[i] + "s", cells[i])).append(i + 1 < cells.length ? "  " : "");
        }
        return b.toString().stripTrailing();
    }

    public String markdownTable() {
        StringBuilder b = new StringBuilder("| " + String.join(" | ", HEAD) + " |\n|");
        b.append("---|".repeat(HEAD.length)).append('\n');
        for (String[] r : rows()) {
            b.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        return b.toString();
    }

    public String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("# Failover drill — ").append(startedAt).append("\n\n");
        b.append("- target: ").append(target).append('\n');
        b.append("- machine: ").append(machine).append('\n');
        b.append("- runs: ").append(settings.runs()).append(", scenarios: ")
                .append(settings.scenarios().stream().map(s -> s.id).toList()).append(", seed: ").append(settings.seed())
                .append(", mode: ").append(settings.sync() ? "SYNC" : "ASYNC (bound " + settings.lossBoundBytes() + " bytes)")
                .append(", clients: ").append(settings.writers()).append(" writers + ").append(settings.readers()).append(" readers\n");
        b.append("- verdict: ").append(passed() ? "**PASS**" : "**FAIL**").append(" (").append(runs.stream().filter(RunResult::passed).count())
                .append(" of ").append(runs.size()).append(" runs passed, ").append(anomalyCount()).append(" anomalies)\n\n");
        b.append("Times in ms, median / p95 / max over the runs.\n\n");
        b.append(markdownTable()).append('\n');
        standbyUsersReads().ifPresent(line -> b.append(line).append(".\n\n"));
        b.append("## Runs\n\n");
        for (RunResult r : runs) {
            b.append("### ").append(r.scenario()).append(" #").append(r.run()).append(r.passed() ? " — pass" : " — **FAIL**").append("\n\n");
            b.append("- writer ").append(r.initialWriter()).append(" (epoch ").append(r.epochs()[0]).append(") → ")
                    .append(r.finalWriter()).append(" (epoch ").append(r.epochs()[1]).append("), seed ").append(r.seed()).append('\n');
            b.append("- schedule: ").append(String.join("; ", r.schedule())).append('\n');
            RunFigures f = r.figures();
            b.append(String.format("- RTO %s ms, writes unavailable %.0f ms (outage %.0f ms), reads unavailable %.0f ms, "
                            + "failovers %d (expected %s), lost %d writes (%d bytes), re-join %s ms, in sync %s ms%n",
                    Drill.fmt(f.rtoMs()), f.writeUnavailMs(), f.writeOutageMs(), f.readUnavailMs(), f.failovers(), Drill.expected(f), f.lostWrites(),
                    f.lostBytes(), Drill.fmt(f.rejoinMs()), Drill.fmt(f.inSyncMs())));
            b.append(String.format("- writes acknowledged %d, refused attempts %d, unknown %d; reads ok %d, failed %d%n",
                    f.writesAcked(), f.writeAttemptsFailed(), f.writesUnknown(), f.readsOk(), f.readsFailed()));
            for (Anomaly a : r.anomalies()) {
                b.append("- **").append(a.kind()).append("** ").append(a.detail()).append('\n');
            }
            for (String n : r.notes()) {
                b.append("- note: ").append(n).append('\n');
            }
            b.append(alertsMarkdown(r));
            b.append('\n');
        }
        return b.toString();
    }

    /** Times of the alert table: seconds relative to the run's first fault. */
    static String rel(Double ms, double faultAtMs) {
        return ms == null ? "" : String.format("%+.1f s", (ms - faultAtMs) / 1000);
    }

    /** The run's alerts as a list item and a table (markdown). */
    static String alertsMarkdown(RunResult r) {
        AlertCheck.Report a = r.observed().alerts();
        StringBuilder b = new StringBuilder();
        if (!a.checked()) {
            return b.append("- ").append(a.note()).append('\n').toString();
        }
        b.append("- alerts: ").append(a.summary());
        if (a.waitedMs() > 0) {
            b.append(String.format(" (the drill waited %.1f s for a deadline)", a.waitedMs() / 1000));
        }
        b.append('\n');
        for (String f : a.failures()) {
            b.append("- **ALERT** ").append(f).append('\n');
        }
        if (!a.rows().isEmpty()) {
            b.append("\n| alert | labels | active | fired | resolved | due by | in Alertmanager since | verdict |\n|---|---|---|---|---|---|---|---|\n");
            for (AlertCheck.Row row : a.rows()) {
                b.append("| ").append(row.alert()).append(" | ").append(row.labels()).append(" | ").append(rel(row.activeMs(), r.faultAtMs()))
                        .append(" | ").append(rel(row.firedMs(), r.faultAtMs())).append(" | ")
                        .append(row.firedMs() != null && row.resolvedMs() == null ? "still firing" : rel(row.resolvedMs(), r.faultAtMs()))
                        .append(" | ").append(rel(row.deadlineMs(), r.faultAtMs())).append(" | ").append(rel(row.alertmanagerMs(), r.faultAtMs()))
                        .append(" | ").append(row.verdict()).append(": ").append(row.why()).append(" |\n");
            }
        }
        return b.toString();
    }

    /** Writes {@code drill-report.json}, {@code drill-report.md} and {@code drill-report.html} into {@code dir}. */
    public List<Path> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve("drill-report.json");
        Path md = dir.resolve("drill-report.md");
        Path html = dir.resolve("drill-report.html");
        Files.writeString(json, Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(this));
        Files.writeString(md, markdown());
        Files.writeString(html, HtmlReport.render(this));
        return List.of(json, md, html);
    }
}
