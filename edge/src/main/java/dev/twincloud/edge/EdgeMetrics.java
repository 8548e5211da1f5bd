package dev.twincloud.edge;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of the edge and its backends' health, rendered in the Prometheus text format by hand: the
 * edge has no framework and five counter families and a gauge do not justify a metrics library.
 */
public final class EdgeMetrics {

    private final List<String> backendNames;
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> probesOk = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> probesFailed = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> toHealthy = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> toUnhealthy = new ConcurrentHashMap<>();
    private final LongAdder noBackend = new LongAdder();
    private final LongAdder multipleHealthy = new LongAdder();
    /** Whether a backend is healthy now (the pool's view); set once the pool exists. */
    private volatile java.util.function.Predicate<String> healthy = b -> false;

    public EdgeMetrics(List<String> backendNames) {
        this.backendNames = List.copyOf(backendNames);
        for (String n : backendNames) {
            requests.put(n, new LongAdder());
            probesOk.put(n, new LongAdder());
            probesFailed.put(n, new LongAdder());
            toHealthy.put(n, new LongAdder());
            toUnhealthy.put(n, new LongAdder());
        }
    }

    /** The gauge {@code twincloud_edge_backend_healthy} reads the pool's health through this. */
    void healthFrom(java.util.function.Predicate<String> healthy) {
        this.healthy = healthy;
    }

    void request(String backend) {
        requests.get(backend).increment();
    }

    void probe(String backend, boolean ok) {
        (ok ? probesOk : probesFailed).get(backend).increment();
    }

    void transition(String backend, boolean healthy) {
        (healthy ? toHealthy : toUnhealthy).get(backend).increment();
    }

    void noBackend() {
        noBackend.increment();
    }

    /** A request found more than one healthy backend: twincloud's one-writer rule says it should not. */
    void multipleHealthy() {
        multipleHealthy.increment();
    }

    public long requests(String backend) {
        return requests.get(backend).sum();
    }

    public long noBackendResponses() {
        return noBackend.sum();
    }

    public long multipleHealthyAnomalies() {
        return multipleHealthy.sum();
    }

    public long transitions(String backend, boolean healthy) {
        return (healthy ? toHealthy : toUnhealthy).get(backend).sum();
    }

    /** Prometheus text exposition format 0.0.4. */
    public String prometheus() {
        StringBuilder sb = new StringBuilder(1024);
        family(sb, "twincloud_edge_requests_total", "Requests proxied to a backend.", requests, null);
        family(sb, "twincloud_edge_health_probes_total", "Health probes by result.", probesOk, "result=\"ok\"");
        rows(sb, "twincloud_edge_health_probes_total", probesFailed, "result=\"fail\"");
        family(sb, "twincloud_edge_health_transitions_total", "Health state changes of a backend.",
                toHealthy, "to=\"healthy\"");
        rows(sb, "twincloud_edge_health_transitions_total", toUnhealthy, "to=\"unhealthy\"");
        sb.append("# HELP twincloud_edge_backend_healthy 1 while the edge counts the backend healthy (it routes to the healthy one).\n")
                .append("# TYPE twincloud_edge_backend_healthy gauge\n");
        for (String b : backendNames) {
            sb.append("twincloud_edge_backend_healthy{backend=\"").append(b).append("\"} ")
                    .append(healthy.test(b) ? 1 : 0).append('\n');
        }
        sb.append("# HELP twincloud_edge_no_healthy_backend_total Requests answered 503 because no backend was healthy.\n")
                .append("# TYPE twincloud_edge_no_healthy_backend_total counter\n")
                .append("twincloud_edge_no_healthy_backend_total ").append(noBackend.sum()).append('\n');
        sb.append("# HELP twincloud_edge_multiple_healthy_total Requests that saw more than one healthy backend (anomaly).\n")
                .append("# TYPE twincloud_edge_multiple_healthy_total counter\n")
                .append("twincloud_edge_multiple_healthy_total ").append(multipleHealthy.sum()).append('\n');
        return sb.toString();
    }

    private void family(StringBuilder sb, String name, String help, Map<String, LongAdder> values, String extra) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(" counter\n");
        rows(sb, name, values, extra);
    }

    private void rows(StringBuilder sb, String name, Map<String, LongAdder> values, String extra) {
        for (String b : backendNames) {
            sb.append(name).append("{backend=\"").append(b).append('"');
            if (extra != null) {
                sb.append(',').append(extra);
            }
            sb.append("} ").append(values.get(b).sum()).append('\n');
        }
    }
}
