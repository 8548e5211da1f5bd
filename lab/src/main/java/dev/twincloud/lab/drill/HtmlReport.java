package dev.twincloud.lab.drill;

import dev.twincloud.core.decide.EventKind;
import java.util.List;

/**
 * A self-contained HTML page of a drill: the summary table and, per run, a timeline chart in inline
 * SVG — the writer site band with epochs, acknowledged writes and reads against errors per 250 ms,
 * and vertical markers for faults, repairs and promotions.
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
                .append("svg text{font:11px system-ui,sans-serif}</style></head><body>");
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
            b.append(chart(run)).append("</div>");
        }
        return b.append("</body></html>\n").toString();
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
