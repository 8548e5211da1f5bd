package dev.twincloud.lab.drill;

import java.util.List;

/**
 * What the drill saw of one run besides its own history: the alerts the lab's Prometheus fired and their verdicts,
 * the run's metrics from Prometheus, and the merged log excerpt around each fault ({@code lab logs}).
 *
 * @param costMs     how long reading them took at the end of the run (queries, logs, and any wait for an alert's deadline)
 * @param alertsGate the alerts' verdicts decide whether the run passed (the default; off with {@code lab drill --alerts-report-only}); otherwise
 *                   they are reported only
 */
public record Observations(AlertCheck.Report alerts, List<RunMetrics.Panel> metrics, List<LogExcerpt> logs, double costMs,
                           boolean alertsGate) {
    public Observations {
        metrics = List.copyOf(metrics);
        logs = List.copyOf(logs);
    }

    public Observations(AlertCheck.Report alerts, List<RunMetrics.Panel> metrics, List<LogExcerpt> logs, double costMs) {
        this(alerts, metrics, logs, costMs, true);
    }

    public Observations withAlertsGate(boolean gate) {
        return new Observations(alerts, metrics, logs, costMs, gate);
    }

    /** The alerts do not fail this run: they passed, or they are reported only. */
    public boolean alertsPass() {
        return !alertsGate || alerts.passed();
    }

    /** Nothing observed (a target without monitoring or logs, or a run built by a test). */
    public static Observations none(String why) {
        return new Observations(AlertCheck.Report.notChecked(why), List.of(), List.of(), 0);
    }

    /**
     * The merged log lines around one fault, formatted as {@code lab logs} prints them.
     *
     * @param fault   the fault's label as the timeline marks it
     * @param atMs    when it played (run axis)
     * @param omitted lines of the window left out (the excerpt keeps at most {@link RunObserver#EXCERPT_LINES})
     */
    public record LogExcerpt(String fault, double atMs, double fromMs, double toMs, List<String> lines, int omitted) {
        public LogExcerpt {
            lines = List.copyOf(lines);
        }
    }
}
