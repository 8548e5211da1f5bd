package dev.twincloud.lab.drill;

import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The metrics the drill's HTML report draws beside each run's timeline, read from the lab's Prometheus with
 * {@code query_range} over the run: the standby's replication lag, the throughput through the edge per backend, and
 * the errors (the APIs' 5xx, the edge's own 503s when no backend was healthy).
 */
public final class RunMetrics {

    /** One query of a panel: its PromQL, and the label whose value names each series ({@code site}, {@code backend}). */
    public record Query(String promql, String seriesLabel, String prefix) {
    }

    /** One chart: a title, a unit, and the queries whose series it draws. */
    public record PanelSpec(String title, String unit, List<Query> queries) {
    }

    /** One series: its name and its points, {@code [atMs on the run's axis, value]}. */
    public record Series(String name, List<double[]> points) {
    }

    /** One chart's data. */
    public record Panel(String title, String unit, List<Series> series) {
    }

    /** The rate window: four scrapes of the lab's 2 s. */
    static final String RATE = "[8s]";

    public static final List<PanelSpec> PANELS = List.of(
            new PanelSpec("replication lag", "bytes", List.of(
                    new Query("max by (site) (twincloud_agent_replication_lag_bytes)", "site", "writer "))),
            new PanelSpec("throughput through the edge", "requests/s", List.of(
                    new Query("sum by (backend) (rate(twincloud_edge_requests_total" + RATE + "))", "backend", "to "))),
            new PanelSpec("errors", "per s", List.of(
                    new Query("sum by (site) (rate(http_server_requests_seconds_count{job=\"twincloud-api\",status=~\"5..\"}" + RATE
                            + "))", "site", "5xx api "),
                    new Query("sum(rate(twincloud_edge_no_healthy_backend_total" + RATE + "))", "", "edge 503: no healthy backend"))));

    private RunMetrics() {
    }

    /**
     * The series of one {@code query_range} answer (a matrix), times on the run's axis; NaN values (the lag on a
     * non-writer) left out.
     */
    public static List<Series> series(JsonNode answer, Query q, double wallStartMillis) {
        List<Series> out = new ArrayList<>();
        for (JsonNode s : answer.path("data").path("result")) {
            String name = q.prefix() + (q.seriesLabel().isEmpty() ? "" : s.path("metric").path(q.seriesLabel()).asString(""));
            List<double[]> points = new ArrayList<>();
            for (JsonNode v : s.path("values")) {
                double value;
                try {
                    value = Double.parseDouble(v.get(1).asString());
                } catch (NumberFormatException e) {
                    continue;
                }
                if (Double.isFinite(value)) {
                    points.add(new double[] {v.get(0).asDouble() * 1000 - wallStartMillis, value});
                }
            }
            if (!points.isEmpty()) {
                out.add(new Series(name.strip(), List.copyOf(points)));
            }
        }
        return out;
    }
}
