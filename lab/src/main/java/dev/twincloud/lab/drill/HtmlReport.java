package dev.twincloud.lab.drill;

import dev.twincloud.core.decide.EventKind;
import java.util.List;

/**
 * A self-contained HTML page of a drill: the summary table and, per run, a timeline chart in inline
 * SVG — the writer site band with epochs, acknowledged writes and reads against errors per 250 ms,
 * and vertical markers for faults, repairs and promotions — then, on the same time axis, the alerts of
 * the lab's Prometheus and the run's metrics from it (replication lag, throughput, errors), the alert
 * table with each verdict, and the merged log lines around each fault. No script, no external resource.
 */
final class HtmlReport {
    private static final int W = 960;
    private static final int LEFT = 70;
    private static final int RIGHT = 20;
    private static final int H = 230;

    private HtmlReport() {
    }

    static String render(DrillReport r) {
        StringBuilder b = new StringBuilder();
        b.append("<!doctype html><html><head><meta charset=\"utf-8\"><title>twincloud drill ").append(esc(r.startedAt().toString()))
                .append("</title><style>")
                .append("body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}")
                .append("table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}")
                .append("th{background:#f3f3f3}.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}")
                .append(".run{margin:22px 0 8px;border-top:1px solid #ddd;padding-top:10px}.small{color:#555;font-size:12px}")
                .append("svg text{font:11px system-ui,sans-serif}")
                .append("pre{font:11px ui-monospace,monospace;background:#f7f7f7;padding:6px;overflow-x:auto;margin:4px 0}")
                .append("details{margin:2px 0}summary{cursor:pointer;font-size:12px}</style></head><body>");
        b.append("<h1>twincloud failover drill</h1>");
        b.append("<p class=\"small\">").append(esc(r.startedAt().toString())).append(" → ").append(esc(r.endedAt().toString()))
                .append("<br>target: ").append(esc(r.target())).append("<br>machine: ").append(esc(r.machine().toString()))
                .append("<br>mode: ").append(r.settings().sync() ? "SYNC" : "ASYNC").append(", seed ").append(r.settings().seed())
                .append(", ").append(r.settings().writers()).append(" writers + ").append(r.settings().readers()).append(" readers</p>");
        b.append("<p>verdict: <span class=\"").append(r.passed() ? "pass\">PASS" : "fail\">FAIL").append("</span> — ")
                .append(r.runs().stream().filter(RunResult::passed).count()).append(" of ").append(r.runs().size())
                .append(" runs passed, ").append(r.anomalyCount()).append(" anomalies</p>");
        b.append("<h2>Summary</h2><p class=\"small\">times in ms: median / p95 / max over the runs</p>");
        b.append(table(r.markdownTable()));
        r.standbyUsersReads().ifPresent(line -> b.append("<p>").append(esc(line)).append("</p>"));
        b.append("<h2>Runs</h2>").append(legend());
        for (RunResult run : r.runs()) {
            RunFigures f = run.figures();
            b.append("<div class=\"run\"><b>").append(esc(run.scenario())).append(" #").append(run.run()).append("</b> ")
                    .append(run.passed() ? "<span class=\"pass\">pass</span>" : "<span class=\"fail\">FAIL</span>")
                    .append(" <span class=\"small\">writer ").append(esc(run.initialWriter())).append(" (epoch ").append(run.epochs()[0])
                    .append(") → ").append(esc(run.finalWriter())).append(" (epoch ").append(run.epochs()[1]).append("); RTO ")
                    .append(Drill.fmt(f.rtoMs())).append(" ms, writes unavailable ").append(Drill.fmt(f.writeUnavailMs()))
                    .append(" ms (outage ").append(Drill.fmt(f.writeOutageMs())).append(" ms), failovers ").append(f.failovers()).append(" (expected ").append(Drill.expected(f)).append("), lost ")
                    .append(f.lostWrites()).append(", in sync after ").append(Drill.fmt(f.inSyncMs())).append(" ms</span>");
            for (Anomaly a : run.anomalies().subList(0, Math.min(20, run.anomalies().size()))) {
                b.append("<div class=\"fail\">").append(a.kind()).append(": ").append(esc(a.detail())).append("</div>");
            }
            for (String n : run.notes()) {
                b.append("<div class=\"small\">note: ").append(esc(n)).append("</div>");
            }
            b.append(chart(run)).append(observed(run)).append("</div>");
        }
        return b.append("</body></html>\n").toString();
    }

    /** The alert lane and metric charts on the timeline's axis, the alert table, the log excerpts. */
    static String observed(RunResult run) {
        Observations o = run.observed();
        StringBuilder b = new StringBuilder();
        AlertCheck.Report a = o.alerts();
        if (a.checked()) {
            b.append(alertLane(run));
        }
        for (RunMetrics.Panel p : o.metrics()) {
            b.append(metricChart(run, p));
        }
        if (!a.checked()) {
            b.append("<div class=\"small\">").append(esc(a.note())).append("</div>");
        } else {
            b.append("<div class=\"small\">alerts, times relative to the first fault: ").append(esc(a.summary()))
                    .append(a.waitedMs() > 0 ? String.format(" (the drill waited %.1f s for a deadline)", a.waitedMs() / 1000) : "")
                    .append("</div>");
            for (String f : a.failures()) {
                b.append("<div class=\"fail\">alert: ").append(esc(f)).append("</div>");
            }
            if (!a.rows().isEmpty()) {
                b.append("<table><tr><th>alert</th><th>labels</th><th>active</th><th>fired</th><th>resolved</th><th>due by</th>"
                        + "<th>in Alertmanager since</th><th>verdict</th></tr>");
                for (AlertCheck.Row r : a.rows()) {
                    b.append("<tr><td>").append(esc(r.alert())).append("</td><td>").append(esc(r.labels())).append("</td><td>")
                            .append(DrillReport.rel(r.activeMs(), run.faultAtMs())).append("</td><td>")
                            .append(DrillReport.rel(r.firedMs(), run.faultAtMs())).append("</td><td>")
                            .append(r.firedMs() != null && r.resolvedMs() == null ? "still firing" : DrillReport.rel(r.resolvedMs(), run.faultAtMs()))
                            .append("</td><td>").append(DrillReport.rel(r.deadlineMs(), run.faultAtMs())).append("</td><td>")
                            .append(DrillReport.rel(r.alertmanagerMs(), run.faultAtMs())).append("</td><td")
                            .append(r.verdict().fails ? " class=\"fail\"" : "").append('>').append(r.verdict()).append(": ")
                            .append(esc(r.why())).append("</td></tr>");
                }
                b.append("</table>");
            }
        }
        for (Observations.LogExcerpt e : o.logs()) {
            b.append("<details><summary>logs around ").append(esc(e.fault())).append(" (")
                    .append(DrillReport.rel(e.atMs(), run.faultAtMs())).append("): ").append(e.lines().size()).append(" lines")
                    .append(e.omitted() > 0 ? ", " + e.omitted() + " more left out (requests' own lines first)" : "")
                    .append(", from ").append(DrillReport.rel(e.fromMs(), run.faultAtMs())).append(" to ")
                    .append(DrillReport.rel(e.toMs(), run.faultAtMs())).append("</summary><pre>")
                    .append(esc(String.join("\n", e.lines()))).append("</pre></details>");
        }
        return b.toString();
    }

    private static java.util.function.DoubleUnaryOperator axis(RunResult run) {
        double end = Math.max(1, run.endMs());
        double plot = W - LEFT - RIGHT;
        return ms -> LEFT + plot * Math.max(0, Math.min(ms, end)) / end;
    }

    /** One bar per alert episode: pending (light), firing (by verdict), with the fault markers behind. */
    static String alertLane(RunResult run) {
        List<AlertCheck.Row> rows = run.observed().alerts().rows().stream().filter(r -> r.activeMs() != null || r.deadlineMs() != null).toList();
        int lane = 24;
        int top = 2;
        int h = top + Math.max(1, rows.size()) * lane + 4;
        var x = axis(run);
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(h).append("\">");
        marks(s, run, x, 0, h);
        if (rows.isEmpty()) {
            s.append(label(6, top + 14, "alerts")).append("<text x=\"").append(LEFT + 4).append("\" y=\"").append(top + 14)
                    .append("\" fill=\"#555\">no alert active</text>");
        }
        for (int i = 0; i < rows.size(); i++) {
            AlertCheck.Row r = rows.get(i);
            int y = top + i * lane;
            int bar = y + 13; // the text above, the bar below it
            s.append(label(6, bar + 8, i == 0 ? "alerts" : ""));
            String color = r.verdict().fails ? "#d93b3b" : r.verdict() == AlertCheck.Verdict.CARRIED_OVER ? "#999" : "#7b3fb0";
            double end = run.endMs();
            if (r.activeMs() != null) {
                double from = x.applyAsDouble(r.activeMs());
                double fired = r.firedMs() != null ? x.applyAsDouble(r.firedMs()) : x.applyAsDouble(r.resolvedMs() != null ? r.resolvedMs() : end);
                s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\" fill=\"%s\" opacity=\"0.3\"/>", from, bar,
                        Math.max(1, fired - from), color));
                if (r.firedMs() != null) {
                    double to = x.applyAsDouble(r.resolvedMs() != null ? r.resolvedMs() : end);
                    s.append(String.format("<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"8\" fill=\"%s\"><title>%s</title></rect>",
                            fired, bar, Math.max(1.5, to - fired), color, esc(r.alert() + " " + r.labels() + ": " + r.verdict())));
                }
            }
            if (r.deadlineMs() != null) {
                double d = x.applyAsDouble(r.deadlineMs());
                s.append(String.format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#333\" stroke-width=\"2\"><title>due by</title></line>",
                        d, bar - 3, d, bar + 10));
            }
            double tx = r.activeMs() != null ? x.applyAsDouble(r.activeMs()) : x.applyAsDouble(r.deadlineMs());
            s.append(String.format("<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>", Math.min(tx, W - 330.0), bar - 3,
                    r.verdict().fails ? "#c62828" : "#333", esc(r.alert() + (r.labels().isEmpty() ? "" : " {" + r.labels() + "}")
                            + " " + r.verdict().name().toLowerCase().replace('_', ' '))));
        }
        return s.append("</svg>").toString();
    }

    /** One metric panel as lines on the timeline's axis, its maximum on the left. */
    static String metricChart(RunResult run, RunMetrics.Panel p) {
        int h = 86;
        int top = 14;
        int bottom = h - 8;
        var x = axis(run);
        double max = p.series().stream().flatMap(se -> se.points().stream()).mapToDouble(pt -> pt[1]).max().orElse(0);
        double scale = max > 0 ? max * 1.1 : 1;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(h)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(h).append("\">");
        marks(s, run, x, top, bottom);
        s.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\"/>", LEFT, bottom, W - RIGHT, bottom));
        s.append(label(6, top + 8, p.title().length() > 11 ? p.title().substring(0, p.title().indexOf(' ') > 0 ? p.title().indexOf(' ') : 11) : p.title()));
        s.append("<text x=\"6\" y=\"").append(top + 22).append("\" fill=\"#555\">").append(esc(number(max, p.unit()))).append("</text>");
        s.append("<text x=\"6\" y=\"").append(top + 34).append("\" fill=\"#555\">").append(esc(p.unit())).append("</text>");
        StringBuilder legend = new StringBuilder(esc(p.title()) + ": ");
        int i = 0;
        for (RunMetrics.Series se : p.series()) {
            String color = seriesColor(se.name(), i++);
            StringBuilder pts = new StringBuilder();
            for (double[] pt : se.points()) {
                if (pt[0] < 0 || pt[0] > run.endMs()) {
                    continue;
                }
                pts.append(String.format("%.1f,%.1f ", x.applyAsDouble(pt[0]), bottom - (bottom - top) * pt[1] / scale));
            }
            s.append("<polyline fill=\"none\" stroke-width=\"1.6\" stroke=\"").append(color).append("\" points=\"")
                    .append(pts.toString().strip()).append("\"><title>").append(esc(se.name())).append("</title></polyline>");
            legend.append("<tspan fill=\"").append(color).append("\">").append(esc(se.name())).append("</tspan>  ");
        }
        if (p.series().isEmpty()) {
            legend.append("no series");
        }
        s.append("<text x=\"").append(LEFT + 4).append("\" y=\"10\" fill=\"#333\">").append(legend).append("</text>");
        return s.append("</svg>").toString();
    }

    private static void marks(StringBuilder s, RunResult run, java.util.function.DoubleUnaryOperator x, int y1, int y2) {
        for (History.Mark m : run.timeline().marks()) {
            double mx = x.applyAsDouble(m.atMs());
            s.append(String.format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" stroke-dasharray=\"4,3\" opacity=\"0.6\"/>",
                    mx, y1, mx, y2, m.fault() ? "#d93b3b" : "#2e9e4f"));
        }
        for (WriterTimeline.Promotion p : run.promotions()) {
            double px = x.applyAsDouble(p.atMs());
            s.append(String.format("<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#7b3fb0\" opacity=\"0.6\"/>", px, y1, px, y2));
        }
    }

    private static String seriesColor(String name, int i) {
        if (name.contains("gcp")) {
            return color("gcp");
        }
        if (name.contains("aws")) {
            return color("aws");
        }
        return i % 2 == 0 ? "#d93b3b" : "#555";
    }

    static String number(double v, String unit) {
        if (unit.equals("bytes") && v >= 1 << 20) {
            return String.format("%.1f Mi", v / (1 << 20));
        }
        if (unit.equals("bytes") && v >= 1024) {
            return String.format("%.1f Ki", v / 1024);
        }
        return v >= 10 || v == 0 ? String.format("%.0f", v) : String.format("%.2f", v);
    }

    private static String legend() {
        return "<p class=\"small\"><svg width=\"12\" height=\"10\"><rect width=\"12\" height=\"10\" fill=\"#2e9e4f\"/></svg> acknowledged "
                + "<svg width=\"12\" height=\"10\"><rect width=\"12\" height=\"10\" fill=\"#d93b3b\"/></svg> failed / no answer "
                + "<svg width=\"14\" height=\"10\"><line x1=\"7\" y1=\"0\" x2=\"7\" y2=\"10\" stroke=\"#d93b3b\" stroke-dasharray=\"3,2\"/></svg> fault "
                + "<svg width=\"14\" height=\"10\"><line x1=\"7\" y1=\"0\" x2=\"7\" y2=\"10\" stroke=\"#2e9e4f\" stroke-dasharray=\"3,2\"/></svg> repair / heal "
                + "<svg width=\"14\" height=\"10\"><line x1=\"7\" y1=\"0\" x2=\"7\" y2=\"10\" stroke=\"#7b3fb0\" stroke-width=\"2\"/></svg> promotion (new epoch); "
                + "band: writer site (faded while not steady)</p>";
    }

    private static String table(String markdown) {
        StringBuilder b = new StringBuilder("<table>");
        List<String> lines = markdown.lines().toList();
        for (int i = 0; i < lines.size(); i++) {
            if (i == 1) {
                continue;
            }
            String[] cells = lines.get(i).replaceAll("^\\|\\s*|\\s*\\|$", "").split("\\s*\\|\\s*");
            b.append("<tr>");
            for (String c : cells) {
                b.append(i == 0 ? "<th>" : "<td>").append(esc(c)).append(i == 0 ? "</th>" : "</td>");
            }
            b.append("</tr>");
        }
        return b.append("</table>").toString();
    }

    static String chart(RunResult run) {
        RunResult.Timeline t = run.timeline();
        double end = Math.max(1, run.endMs());
        double plot = W - LEFT - RIGHT;
        java.util.function.DoubleUnaryOperator x = ms -> LEFT + plot * Math.max(0, Math.min(ms, end)) / end;
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\">");
        s.append("<rect x=\"0\" y=\"0\" width=\"").append(W).append("\" height=\"").append(H).append("\" fill=\"#fff\"/>");
        // writer band
        s.append(label(6, 42, "writer"));
        List<RunResult.Timeline.Role> roles = t.roles();
        for (int i = 0; i < roles.size(); i++) {
            RunResult.Timeline.Role ro = roles.get(i);
            double from = x.applyAsDouble(ro.atMs());
            double to = x.applyAsDouble(i + 1 < roles.size() ? roles.get(i + 1).atMs() : end);
            s.append(String.format("<rect x=\"%.1f\" y=\"30\" width=\"%.1f\" height=\"18\" fill=\"%s\" opacity=\"%s\"><title>%s epoch %d%s</title></rect>",
                    from, Math.max(0.5, to - from), color(ro.writer()), ro.steady() ? "0.9" : "0.45", esc(ro.writer()), ro.epoch(),
                    ro.steady() ? " (steady)" : ""));
            if (to - from > 46) {
                s.append(String.format("<text x=\"%.1f\" y=\"43\" fill=\"#fff\">%s e%d</text>", from + 4, esc(ro.writer()), ro.epoch()));
            }
        }
        // request lanes
        int maxW = 1;
        int maxR = 1;
        for (RunResult.Timeline.Bucket k : t.buckets()) {
            maxW = Math.max(maxW, k.writesOk() + k.writesFailed());
            maxR = Math.max(maxR, k.readsOk() + k.readsFailed());
        }
        lane(s, t, x, "writes", 60, 140, maxW, true);
        lane(s, t, x, "reads", 150, 200, maxR, false);
        // markers; a label close to the previous one goes on the other line
        double lastLabel = -1000;
        int line = 0;
        for (History.Mark m : t.marks()) {
            double mx = x.applyAsDouble(m.atMs());
            line = mx - lastLabel < 70 ? 1 - line : 0;
            lastLabel = mx;
            s.append(String.format("<line x1=\"%.1f\" y1=\"24\" x2=\"%.1f\" y2=\"202\" stroke=\"%s\" stroke-dasharray=\"4,3\"><title>%s</title></line>",
                    mx, mx, m.fault() ? "#d93b3b" : "#2e9e4f", esc(m.label())));
            s.append(String.format("<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s</text>", mx + 2, line == 0 ? 12 : 22,
                    m.fault() ? "#d93b3b" : "#2e9e4f", esc(shortLabel(m.label()))));
        }
        for (WriterTimeline.Promotion p : run.promotions()) {
            double px = x.applyAsDouble(p.atMs());
            s.append(String.format("<line x1=\"%.1f\" y1=\"26\" x2=\"%.1f\" y2=\"202\" stroke=\"#7b3fb0\" stroke-width=\"2\"><title>%s epoch %d → %s</title></line>",
                    px, px, p.kind(), p.epoch(), esc(p.site())));
            s.append(String.format("<text x=\"%.1f\" y=\"58\" fill=\"#7b3fb0\">%s e%d→%s</text>", px + 3,
                    p.kind() == EventKind.FAILOVER ? "failover" : p.kind() == EventKind.SWITCHOVER_PROMOTE ? "switchover" : "forced", p.epoch(), esc(p.site())));
        }
        // time axis
        double step = end > 60_000 ? 10_000 : end > 20_000 ? 5000 : 2000;
        for (double ms = 0; ms <= end; ms += step) {
            double tx = x.applyAsDouble(ms);
            s.append(String.format("<line x1=\"%.1f\" y1=\"204\" x2=\"%.1f\" y2=\"208\" stroke=\"#888\"/><text x=\"%.1f\" y=\"220\" fill=\"#555\">%.0f s</text>",
                    tx, tx, tx - 6, ms / 1000));
        }
        return s.append("</svg>").toString();
    }

    private static void lane(StringBuilder s, RunResult.Timeline t, java.util.function.DoubleUnaryOperator x, String name, int top,
                             int bottom, int max, boolean writes) {
        s.append(label(6, (top + bottom) / 2 + 4, name));
        s.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ccc\"/>", LEFT, bottom, W - RIGHT, bottom));
        double h = bottom - top;
        for (RunResult.Timeline.Bucket k : t.buckets()) {
            int ok = writes ? k.writesOk() : k.readsOk();
            int bad = writes ? k.writesFailed() : k.readsFailed();
            double bx = x.applyAsDouble(k.atMs());
            double bw = Math.max(1, x.applyAsDouble(k.atMs() + t.bucketMs()) - bx - 0.5);
            double okH = h * ok / max;
            double badH = h * bad / max;
            if (ok > 0) {
                s.append(String.format("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2e9e4f\"/>", bx, bottom - okH, bw, okH));
            }
            if (bad > 0) {
                s.append(String.format("<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#d93b3b\"/>", bx,
                        bottom - okH - badH, bw, badH));
            }
        }
    }

    private static String shortLabel(String l) {
        int p = l.indexOf(" (");
        String site = p > 0 && l.indexOf(')', p) > 0 ? l.substring(p + 2, l.indexOf(')', p)) : "";
        String verb = p > 0 ? l.substring(0, p).split(" ")[0] : l;
        return site.isEmpty() ? verb : verb + " " + site;
    }

    private static String label(int xx, int y, String text) {
        return "<text x=\"" + xx + "\" y=\"" + y + "\" fill=\"#333\">" + esc(text) + "</text>";
    }

    private static String color(String site) {
        return switch (site) {
            case "gcp" -> "#3b6fb6";
            case "aws" -> "#e08a1e";
            default -> "#888";
        };
    }

    static String esc(String s) {
        return s == null ? "" : s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
