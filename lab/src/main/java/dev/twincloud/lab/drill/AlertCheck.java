package dev.twincloud.lab.drill;

import dev.twincloud.core.decide.EventKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;

/**
 * Judges one drill run's alerts (docs/reliability.md, "Alerts"): what the lab's Prometheus evaluated (its
 * {@code ALERTS} series, raw samples) against what the scenario declares ({@link ScenarioAlerts}).
 *
 * <ul>
 *   <li>An expected {@code TwincloudFailover} must fire — with the promotion's {@code site} and {@code kind} — within
 *   the rule's {@code for} plus two scrape intervals plus the scrape timeout after each unplanned promotion: a
 *   sample is stamped when its scrape starts, up to one interval after the change, lands up to a timeout later, and
 *   the next evaluation, up to an interval later, sees it. Late or missing fails the run.</li>
 *   <li>An alert that fired during the run, was not firing or pending when the run began, and is neither expected,
 *   allowed, nor a {@code TwincloudFailover} of an unplanned promotion, is unexplained and fails the run.</li>
 *   <li>Carried over: an alert whose name was already active when the run began (TwincloudFailover stays 2 minutes;
 *   a new writer relabels it). Listed, not judged. Pending-only alerts are listed, never judged.</li>
 * </ul>
 * The run's window starts where the previous run's check stopped, so an alert that becomes active between two runs
 * belongs to the next one.
 */
public final class AlertCheck {

    /** One stretch of an alert instance being active (pending, then maybe firing), from Prometheus' samples. */
    public record Episode(String alert, Map<String, String> labels, Instant activeAt, Instant firingAt, Instant lastSeen,
                          Instant resolvedAt) {
        public boolean fired() {
            return firingAt != null;
        }

        /** Whether it was active (pending or firing) at {@code t}. */
        boolean activeAt(Instant t, Duration interval) {
            Instant end = resolvedAt != null ? resolvedAt : lastSeen.plus(interval);
            return !activeAt.isAfter(t) && !end.isBefore(t);
        }

        /** The labels as {@code k=v,...} without alertname (sorted). */
        public String labelText() {
            StringBuilder b = new StringBuilder();
            labels.forEach((k, v) -> {
                if (!k.equals("alertname") && !k.equals("severity")) {
                    b.append(b.isEmpty() ? "" : ",").append(k).append('=').append(v);
                }
            });
            return b.toString();
        }
    }

    public enum Verdict {
        /** expected, and fired in time */
        EXPECTED(false),
        /** expected, fired after its deadline */
        LATE(true),
        /** expected, never fired */
        MISSING(true),
        /** a consequence the scenario allows */
        ALLOWED(false),
        /** TwincloudFailover of an unplanned promotion the scenario did not expect (the promotion count fails the run) */
        PROMOTION(false),
        /** active already when the run began */
        CARRIED_OVER(false),
        /** pending only: did not fire */
        PENDING(false),
        /** fired, and nothing in the run explains it */
        UNEXPLAINED(true);

        public final boolean fails;

        Verdict(boolean fails) {
            this.fails = fails;
        }
    }

    /**
     * One line of the report's alert table, times on the run's axis (ms; null when it did not happen).
     *
     * @param deadlineMs for an expected alert: by when it had to fire
     * @param alertmanagerMs when Alertmanager's copy started (its {@code startsAt}), if Alertmanager held it when asked
     */
    public record Row(String alert, String labels, String severity, Double activeMs, Double firedMs, Double resolvedMs,
                      Double deadlineMs, Double alertmanagerMs, Verdict verdict, String why) {
    }

    /**
     * The run's alerts.
     *
     * @param checked false when the target has no monitoring to read ({@code note} says why): then nothing is judged
     * @param waitedMs how long the drill waited at the end of the run for an expected alert's deadline to pass
     */
    public record Report(boolean checked, String note, List<Row> rows, List<String> failures, double waitedMs) {
        public Report {
            rows = List.copyOf(rows);
            failures = List.copyOf(failures);
        }

        public static Report notChecked(String why) {
            return new Report(false, why, List.of(), List.of(), 0);
        }

        public boolean passed() {
            return failures.isEmpty();
        }

        /** The alerts that fired in the run (not carried over), for one line of progress. */
        public String summary() {
            if (!checked) {
                return "alerts not checked";
            }
            List<String> fired = rows.stream().filter(r -> r.verdict() != Verdict.CARRIED_OVER && r.verdict() != Verdict.PENDING
                    && r.firedMs() != null).map(r -> r.alert() + (r.verdict() == Verdict.EXPECTED ? "" : " (" + r.verdict() + ")")).toList();
            return (fired.isEmpty() ? "no alert fired" : "alerts " + fired) + (failures.isEmpty() ? "" : "; " + failures.size() + " alert failure(s)");
        }
    }

    /**
     * What the check needs of the run.
     *
     * @param declared       what the scenario declares
     * @param promotions     the arbiter's promotions in the run (run axis)
     * @param wallStartMillis wall time (epoch ms) at the run's 0 ms
     * @param faultAtMs      when the first fault played (run axis), for the report's "relative to the fault"
     * @param windowStart    where this run's window begins (the previous check's end, or the run's start)
     * @param ruleFor        each loaded alerting rule's {@code for}, by name
     * @param interval       the scrape and evaluation interval
     * @param scrapeTimeout  the scrape timeout
     * @param episodes       Prometheus' alert episodes from a little before {@code windowStart} until now
     * @param alertmanager   the alerts Alertmanager holds now: key ({@link #key}) to {@code startsAt}
     */
    public record Input(ScenarioAlerts.Declared declared, List<WriterTimeline.Promotion> promotions, double wallStartMillis,
                        double faultAtMs, Instant windowStart, Map<String, Duration> ruleFor, Duration interval,
                        Duration scrapeTimeout, List<Episode> episodes, Map<String, Instant> alertmanager) {
    }

    private AlertCheck() {
    }

    /** The unplanned promotions: what TwincloudFailover fires on. */
    static List<WriterTimeline.Promotion> unplanned(List<WriterTimeline.Promotion> promotions) {
        return promotions.stream().filter(p -> p.kind() == EventKind.FAILOVER || p.kind() == EventKind.FORCED_PROMOTION).toList();
    }

    /** By when (run axis, ms) {@code alert} must fire after a change at {@code atMs}. */
    static double deadline(double atMs, Duration forDuration, Duration interval, Duration scrapeTimeout) {
        return atMs + forDuration.toMillis() + 2 * interval.toMillis() + scrapeTimeout.toMillis();
    }

    public static Report check(Input in) {
        List<Row> rows = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        java.util.function.Function<Instant, Double> ms = t -> t == null ? null : t.toEpochMilli() - in.wallStartMillis();
        List<Episode> matched = new ArrayList<>();

        List<WriterTimeline.Promotion> unplanned = unplanned(in.promotions());
        Duration failoverFor = in.ruleFor().get(ScenarioAlerts.FAILOVER);
        if (!unplanned.isEmpty() && failoverFor == null) {
            failures.add("the lab's Prometheus has no alerting rule " + ScenarioAlerts.FAILOVER + ": the rules were not loaded");
        }
        for (WriterTimeline.Promotion p : unplanned) {
            if (failoverFor == null) {
                break;
            }
            double due = deadline(p.atMs(), failoverFor, in.interval(), in.scrapeTimeout());
            Optional<Episode> e = in.episodes().stream()
                    .filter(x -> x.alert().equals(ScenarioAlerts.FAILOVER) && x.fired() && !matched.contains(x)
                            && p.site().equals(x.labels().get("site")) && p.kind().name().equals(x.labels().get("kind"))
                            && (x.resolvedAt() == null || ms.apply(x.resolvedAt()) >= p.atMs()))
                    .min(Comparator.comparing(Episode::firingAt));
            String what = "%s of epoch %d to %s at %+.1f s".formatted(p.kind(), p.epoch(), p.site(), (p.atMs() - in.faultAtMs()) / 1000);
            if (e.isEmpty()) {
                Verdict v = in.declared().failoverAlert() ? Verdict.MISSING : Verdict.PROMOTION;
                rows.add(new Row(ScenarioAlerts.FAILOVER, "kind=" + p.kind() + ",site=" + p.site(), "", null, null, null, due, null, v,
                        "did not fire after the " + what));
                if (v.fails) {
                    failures.add(ScenarioAlerts.FAILOVER + " did not fire after the " + what + " (due by %+.1f s)"
                            .formatted((due - in.faultAtMs()) / 1000));
                }
                continue;
            }
            Episode x = e.get();
            matched.add(x);
            double fired = ms.apply(x.firingAt());
            Verdict v = !in.declared().failoverAlert() ? Verdict.PROMOTION : fired <= due ? Verdict.EXPECTED : Verdict.LATE;
            rows.add(row(x, in, ms, due, v, v == Verdict.PROMOTION ? "the " + what + " (the scenario expects no failover)"
                    : "the " + what + ", due by %+.1f s".formatted((due - in.faultAtMs()) / 1000)));
            if (v.fails) {
                failures.add(ScenarioAlerts.FAILOVER + " fired %.1f s after the %s, later than its for %d s + 2 x %d s scrape + %d s timeout"
                        .formatted((fired - p.atMs()) / 1000, what, failoverFor.toSeconds(), in.interval().toSeconds(),
                                in.scrapeTimeout().toSeconds()));
            }
        }

        for (Episode x : in.episodes()) {
            if (matched.contains(x)) {
                continue;
            }
            boolean begunBefore = x.activeAt().isBefore(in.windowStart());
            boolean nameActive = in.episodes().stream().anyMatch(o -> o.alert().equals(x.alert()) && o.activeAt(in.windowStart(), in.interval()));
            Instant relevant = x.fired() ? x.firingAt() : x.activeAt();
            if (relevant.isBefore(in.windowStart()) && (x.resolvedAt() != null && x.resolvedAt().isBefore(in.windowStart()))) {
                continue; // over before this run: the previous run's
            }
            if (begunBefore || nameActive) {
                rows.add(row(x, in, ms, null, Verdict.CARRIED_OVER, "active when the run began"));
            } else if (!x.fired()) {
                rows.add(row(x, in, ms, null, Verdict.PENDING, "pending, did not fire"));
            } else if (in.declared().allowed().contains(x.alert())) {
                rows.add(row(x, in, ms, null, Verdict.ALLOWED, "the scenario allows it"));
            } else {
                rows.add(row(x, in, ms, null, Verdict.UNEXPLAINED, "no fault of the scenario explains it"));
                failures.add("unexplained alert " + x.alert() + "{" + x.labelText() + "} fired at %+.1f s".formatted(
                        (ms.apply(x.firingAt()) - in.faultAtMs()) / 1000));
            }
        }
        rows.sort(Comparator.comparing((Row r) -> r.activeMs() == null ? Double.MAX_VALUE : r.activeMs()).thenComparing(Row::alert));
        return new Report(true, "", rows, failures, 0);
    }

    private static Row row(Episode x, Input in, java.util.function.Function<Instant, Double> ms, Double due, Verdict v, String why) {
        Instant am = in.alertmanager().get(key(x.labels()));
        if (am != null && (x.firingAt() == null || am.isBefore(x.firingAt().minus(in.interval()))
                || (x.resolvedAt() != null && am.isAfter(x.resolvedAt())))) {
            am = null; // Alertmanager's copy is of another episode of the same alert
        }
        return new Row(x.alert(), x.labelText(), x.labels().getOrDefault("severity", ""), ms.apply(x.activeAt()),
                ms.apply(x.firingAt()), ms.apply(x.resolvedAt()), due, am == null ? null : ms.apply(am), v, why);
    }

    /** An alert instance's identity: its labels (without Prometheus' {@code alertstate}), sorted. */
    static String key(Map<String, String> labels) {
        Map<String, String> sorted = new TreeMap<>(labels);
        sorted.remove("alertstate");
        sorted.remove("__name__");
        return sorted.toString();
    }

    /**
     * The episodes in Prometheus' answer to {@code ALERTS[<range>]} (a matrix of raw samples, one series per alert
     * instance and state): samples of one instance more than two and a half intervals apart are two episodes; an
     * episode whose last sample is older than two intervals at {@code queriedAt} resolved one interval after it.
     */
    public static List<Episode> episodes(JsonNode matrix, Duration interval, Instant queriedAt) {
        record Sample(Instant at, boolean firing) {
        }
        Map<String, Map<String, String>> labelsOf = new LinkedHashMap<>();
        Map<String, List<Sample>> samples = new LinkedHashMap<>();
        for (JsonNode series : matrix) {
            Map<String, String> labels = new TreeMap<>();
            series.path("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
            boolean firing = "firing".equals(labels.get("alertstate"));
            labels.remove("alertstate");
            labels.remove("__name__");
            String k = key(labels);
            labelsOf.putIfAbsent(k, labels);
            for (JsonNode v : series.path("values")) {
                double sec = v.get(0).asDouble();
                samples.computeIfAbsent(k, x -> new ArrayList<>()).add(new Sample(
                        Instant.ofEpochMilli(Math.round(sec * 1000)), firing));
            }
        }
        long gap = interval.toMillis() * 5 / 2;
        List<Episode> out = new ArrayList<>();
        samples.forEach((k, list) -> {
            list.sort(Comparator.comparing(Sample::at));
            Map<String, String> labels = labelsOf.get(k);
            String name = labels.getOrDefault("alertname", "?");
            int i = 0;
            while (i < list.size()) {
                Instant active = list.get(i).at();
                Instant firing = null;
                Instant last = active;
                int j = i;
                while (j < list.size() && (j == i || list.get(j).at().toEpochMilli() - last.toEpochMilli() <= gap)) {
                    last = list.get(j).at();
                    if (list.get(j).firing() && firing == null) {
                        firing = last;
                    }
                    j++;
                }
                boolean over = queriedAt.toEpochMilli() - last.toEpochMilli() > 2 * interval.toMillis() || j < list.size();
                out.add(new Episode(name, labels, active, firing, last, over ? last.plus(interval) : null));
                i = j;
            }
        });
        out.sort(Comparator.comparing(Episode::activeAt));
        return out;
    }

    /** Each alerting rule's {@code for}, from Prometheus' {@code /api/v1/rules} answer. */
    public static Map<String, Duration> ruleDurations(JsonNode rulesAnswer) {
        Map<String, Duration> out = new TreeMap<>();
        for (JsonNode g : rulesAnswer.path("data").path("groups")) {
            for (JsonNode r : g.path("rules")) {
                if ("alerting".equals(r.path("type").asString())) {
                    out.put(r.path("name").asString(), Duration.ofMillis(Math.round(r.path("duration").asDouble() * 1000)));
                }
            }
        }
        return out;
    }

    /** The alerts Alertmanager holds ({@code GET /api/v2/alerts}): key to {@code startsAt}. */
    public static Map<String, Instant> alertmanagerAlerts(JsonNode answer) {
        Map<String, Instant> out = new LinkedHashMap<>();
        for (JsonNode a : answer) {
            Map<String, String> labels = new TreeMap<>();
            a.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asString()));
            try {
                out.put(key(labels), Instant.parse(a.path("startsAt").asString()));
            } catch (java.time.format.DateTimeParseException e) {
                // no usable start: not listed
            }
        }
        return out;
    }
}
