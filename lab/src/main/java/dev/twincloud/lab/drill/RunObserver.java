package dev.twincloud.lab.drill;

import dev.twincloud.lab.logs.LabLogs;
import dev.twincloud.lab.logs.LogLine;
import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * Reads, at the end of each run, what the target's monitoring and logs say about it (docs/reliability.md, "Alerts";
 * docs/lab.md): the alerts of the run judged by {@link AlertCheck} against {@link ScenarioAlerts}, the run's metrics
 * ({@link RunMetrics}), and per fault the merged log lines around it, read by {@link LabLogs} — the code behind
 * {@code lab logs}, incrementally: each run reads what was appended since the last.
 */
public final class RunObserver {
    /** Log lines kept around one fault. */
    static final int EXCERPT_LINES = 60;
    /** The excerpt's window: from this long before the fault ... */
    static final Duration BEFORE = Duration.ofSeconds(2);
    /** ... to this long after it. */
    static final Duration AFTER = Duration.ofSeconds(5);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final DrillTarget.Monitoring monitoring;
    private final LabLogs logs;
    private Instant windowStart;
    private Map<String, Duration> ruleFor;

    RunObserver(DrillTarget target) {
        this(target.monitoring(), target.logsDir());
    }

    /** Reads {@code monitoring} and {@code logsDir} when present. */
    public RunObserver(Optional<DrillTarget.Monitoring> monitoring, Optional<java.nio.file.Path> logsDir) {
        this.monitoring = monitoring.orElse(null);
        this.logs = logsDir.map(LabLogs::new).orElse(null);
    }

    /**
     * Before the first fault: waits (up to {@code max}) until Prometheus holds a sample of the arbiter's
     * FAILOVER counter, so a failover in the first run is an increase from 0 that a rule can see (a series
     * whose first sample is already 1 shows none). Returns whether it did; true without monitoring.
     */
    public boolean awaitFirstScrape(Duration max) {
        if (monitoring == null) {
            return true;
        }
        String url = monitoring.prometheusUrl() + "/api/v1/query?query="
                + enc("count(twincloud_arbiter_events_total{kind=\"FAILOVER\"})");
        try {
            Http.await("a first scrape of the arbiter's counters", url, null, max,
                    r -> r.status() == 200 && r.json().path("data").path("result").size() > 0);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** What the run saw; {@code marks}, {@code promotions}, {@code faultAtMs} and {@code endMs} on the run's axis. */
    public Observations observe(Scenario scenario, List<History.Mark> marks, double faultAtMs, List<WriterTimeline.Promotion> promotions,
                         double wallStartMillis, double endMs) {
        long t0 = System.nanoTime();
        AlertCheck.Report alerts;
        List<RunMetrics.Panel> metrics = new ArrayList<>();
        if (monitoring == null) {
            alerts = AlertCheck.Report.notChecked("alerts not checked: the target runs no Prometheus the drill can read "
                    + "(lab drill --no-monitoring, or prometheus/alertmanager not installed)");
        } else {
            alerts = alerts(ScenarioAlerts.of(scenario), faultAtMs, promotions, wallStartMillis);
            metrics = metrics(wallStartMillis, endMs);
        }
        List<Observations.LogExcerpt> excerpts = excerpts(marks, wallStartMillis);
        return new Observations(alerts, metrics, excerpts, (System.nanoTime() - t0) / 1e6);
    }

    private AlertCheck.Report alerts(ScenarioAlerts.Declared declared, double faultAtMs, List<WriterTimeline.Promotion> promotions,
                                     double wallStartMillis) {
        Instant from = windowStart != null ? windowStart : Instant.ofEpochMilli((long) wallStartMillis);
        try {
            if (ruleFor == null) {
                ruleFor = AlertCheck.ruleDurations(get(monitoring.prometheusUrl() + "/api/v1/rules?type=alert"));
            }
            // the last expected alert's deadline, and one evaluation more for its sample to be written
            double due = Double.NEGATIVE_INFINITY;
            Duration failoverFor = ruleFor.get(ScenarioAlerts.FAILOVER);
            if (declared.failoverAlert() && failoverFor != null) {
                for (WriterTimeline.Promotion p : AlertCheck.unplanned(promotions)) {
                    due = Math.max(due, AlertCheck.deadline(p.atMs(), failoverFor, monitoring.scrapeInterval(), monitoring.scrapeTimeout())
                            + monitoring.scrapeInterval().toMillis());
                }
            }
            double wait = due - (System.currentTimeMillis() - wallStartMillis);
            if (wait > 0) {
                Drill.sleep((long) Math.ceil(wait));
            }
            Instant now = Instant.now();
            long range = Duration.between(from, now).toSeconds() + 1 + 3 * monitoring.scrapeInterval().toSeconds();
            JsonNode answer = get(monitoring.prometheusUrl() + "/api/v1/query?query=" + enc("ALERTS[" + range + "s]")
                    + "&time=" + seconds(now.toEpochMilli()));
            List<AlertCheck.Episode> episodes = AlertCheck.episodes(answer.path("data").path("result"), monitoring.scrapeInterval(), now);
            Map<String, Instant> held = Map.of();
            try {
                held = AlertCheck.alertmanagerAlerts(get(monitoring.alertmanagerUrl() + "/api/v2/alerts"));
            } catch (IOException | RuntimeException e) {
                // not judged: the column stays empty
            }
            AlertCheck.Report r = AlertCheck.check(new AlertCheck.Input(declared, promotions, wallStartMillis, faultAtMs, from, ruleFor,
                    monitoring.scrapeInterval(), monitoring.scrapeTimeout(), episodes, held));
            windowStart = now;
            return new AlertCheck.Report(true, r.note(), r.rows(), r.failures(), Math.max(0, wait));
        } catch (IOException | RuntimeException e) {
            windowStart = Instant.now();
            return new AlertCheck.Report(true, "", List.of(), List.of("could not read the lab's Prometheus: " + e.getMessage()), 0);
        }
    }

    private List<RunMetrics.Panel> metrics(double wallStartMillis, double endMs) {
        List<RunMetrics.Panel> out = new ArrayList<>();
        String start = seconds(wallStartMillis);
        String end = seconds(wallStartMillis + endMs);
        long step = Math.max(1, monitoring.scrapeInterval().toSeconds());
        for (RunMetrics.PanelSpec spec : RunMetrics.PANELS) {
            List<RunMetrics.Series> series = new ArrayList<>();
            for (RunMetrics.Query q : spec.queries()) {
                try {
                    series.addAll(RunMetrics.series(get(monitoring.prometheusUrl() + "/api/v1/query_range?query=" + enc(q.promql())
                            + "&start=" + start + "&end=" + end + "&step=" + step), q, wallStartMillis));
                } catch (IOException | RuntimeException e) {
                    // a chart without this query's series
                }
            }
            out.add(new RunMetrics.Panel(spec.title(), spec.unit(), series));
        }
        return out;
    }

    /** The merged log lines from {@link #BEFORE} before to {@link #AFTER} after each fault, INFO and above. */
    private List<Observations.LogExcerpt> excerpts(List<History.Mark> marks, double wallStartMillis) {
        if (logs == null) {
            return List.of();
        }
        List<History.Mark> faults = marks.stream().filter(History.Mark::fault).toList();
        List<LogLine> lines;
        try {
            lines = logs.poll(l -> l.level() != null && l.level().compareTo(LogLine.Level.INFO) >= 0
                    && faults.stream().anyMatch(m -> within(l, m, wallStartMillis)));
        } catch (RuntimeException e) {
            return List.of();
        }
        List<Observations.LogExcerpt> out = new ArrayList<>();
        for (History.Mark m : faults) {
            out.add(excerpt(m, lines.stream().filter(l -> within(l, m, wallStartMillis)).toList()));
        }
        return out;
    }

    private static boolean within(LogLine l, History.Mark m, double wallStartMillis) {
        double ms = l.time().toEpochMilli() - wallStartMillis;
        return ms >= m.atMs() - BEFORE.toMillis() && ms <= m.atMs() + AFTER.toMillis();
    }

    /** Components that decide (arbiter, agents, edge): their own lines come first when the window holds too many. */
    private static final Set<String> DECIDERS = Set.of("arbiter", "agent", "edge");

    /**
     * The window's lines, at most {@link #EXCERPT_LINES}, in time order. When there are more, they are taken by rank:
     * the deciders' lines that are no request's (the arbiter's decisions, the agents' transitions, the edge's switches),
     * then every other WARN or ERROR that is no request's, then the requests' own lines (the edge logs each one).
     */
    static Observations.LogExcerpt excerpt(History.Mark m, List<LogLine> window) {
        List<LogLine> kept = window;
        if (window.size() > EXCERPT_LINES) {
            List<LogLine> ranked = new ArrayList<>(window);
            ranked.sort(java.util.Comparator.comparingInt(RunObserver::rank)); // stable: time order within a rank
            Set<LogLine> chosen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            chosen.addAll(ranked.subList(0, EXCERPT_LINES));
            kept = window.stream().filter(chosen::contains).toList();
        }
        return new Observations.LogExcerpt(m.label(), m.atMs(), m.atMs() - BEFORE.toMillis(), m.atMs() + AFTER.toMillis(),
                kept.stream().map(LabLogs::format).toList(), window.size() - kept.size());
    }

    private static int rank(LogLine l) {
        if (l.requestId() == null && DECIDERS.contains(l.kind())) {
            return 0;
        }
        if (l.requestId() == null && l.level().compareTo(LogLine.Level.WARN) >= 0) {
            return 1;
        }
        return 2;
    }

    private static JsonNode get(String url) throws IOException {
        Http.Response r = Http.get(url, null, TIMEOUT);
        if (r.status() != 200) {
            throw new IOException("GET " + url + ": " + r.status() + " " + r.body());
        }
        return r.json();
    }

    /** Epoch milliseconds as Prometheus' API takes a time: seconds, with the milliseconds as decimals. */
    static String seconds(double epochMillis) {
        return String.format(java.util.Locale.ROOT, "%.3f", epochMillis / 1000);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
