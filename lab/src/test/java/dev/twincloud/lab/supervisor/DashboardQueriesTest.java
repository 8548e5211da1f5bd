package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * Every metric the Grafana dashboards and the alert rules query is one a component really exports:
 * the arbiter's, the agents' and the edge's meters as their own classes produce them
 * ({@link ComponentMetrics}); Spring Boot's and the API's, listed below, are checked on a real lab by
 * {@code e2e.MonitoringAndLogsEndToEndTest} (and the API's own OperationsTest); the rules' few metrics from
 * outside twincloud are named with their source.
 */
class DashboardQueriesTest {
    static final Path HOME = Path.of(System.getProperty("twincloud.home", "..")).toAbsolutePath().normalize();

    /** Spring Boot's meters on the apps (HTTP server, disk space) and the API's database errors: not made by the stand-ins. */
    static final Set<String> SPRING_AND_API = Set.of("http_server_requests_seconds_count", "http_server_requests_seconds_bucket",
            "disk_free_bytes", "disk_total_bytes", "twincloud_db_errors_total");
    /** What the rules read from outside twincloud: Prometheus itself, CloudNativePG, kubelet, Spring Boot's SSL bundles. */
    static final Set<String> EXTERNAL = Set.of("up", "cnpg_pg_stat_archiver_failed_count",
            "cnpg_collector_last_available_backup_timestamp", "kubelet_volume_stats_available_bytes",
            "kubelet_volume_stats_capacity_bytes", "ssl_chain_expiry_seconds",
            // the Barman Cloud plugin's sidecar (its internal/cnpgi/instance/metrics.go) and kube-state-metrics
            "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp", "kube_cronjob_status_last_successful_time");

    /** Every query of every dashboard, keyed {@code file: panel title [refId]}. */
    static Map<String, String> dashboardQueries() throws IOException {
        Map<String, String> queries = new LinkedHashMap<>();
        try (Stream<Path> files = Files.list(HOME.resolve(LabMonitoring.DASHBOARDS))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode d = Http.JSON.readTree(f.toFile());
                for (JsonNode p : d.path("panels")) {
                    for (JsonNode t : p.path("targets")) {
                        queries.put(f.getFileName() + ": " + p.path("title").asString() + " [" + t.path("refId").asString() + "]",
                                t.path("expr").asString());
                    }
                }
                for (JsonNode a : d.path("annotations").path("list")) {
                    queries.put(f.getFileName() + ": annotation " + a.path("name").asString(), a.path("expr").asString());
                }
                for (JsonNode v : d.path("templating").path("list")) {
                    Matcher m = Pattern.compile("label_values\\((\\w+)").matcher(v.path("definition").asString(""));
                    if (m.find()) {
                        queries.put(f.getFileName() + ": variable " + v.path("name").asString(), m.group(1));
                    }
                }
            }
        }
        return queries;
    }

    /** The expressions of the alert rules file, keyed by alert. */
    static Map<String, String> ruleExpressions() throws IOException {
        List<String> lines = Files.readAllLines(HOME.resolve(LabMonitoring.RULES));
        Map<String, String> exprs = new LinkedHashMap<>();
        String alert = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            Matcher a = Pattern.compile("^\\s*- alert: (\\S+)").matcher(line);
            if (a.find()) {
                alert = a.group(1);
            }
            Matcher e = Pattern.compile("^(\\s*)expr: (.*)$").matcher(line);
            if (e.find()) {
                String expr = e.group(2);
                if (expr.equals("|")) {
                    StringBuilder b = new StringBuilder();
                    int indent = e.group(1).length();
                    while (i + 1 < lines.size() && (lines.get(i + 1).isBlank()
                            || lines.get(i + 1).length() - lines.get(i + 1).stripLeading().length() > indent)) {
                        b.append(lines.get(++i).strip()).append(' ');
                    }
                    expr = b.toString().strip();
                }
                exprs.put(alert, expr);
            }
        }
        return exprs;
    }

    static Set<String> exported() {
        Set<String> names = new TreeSet<>();
        ComponentMetrics.byJob().values().forEach(text -> names.addAll(ComponentMetrics.names(text)));
        names.addAll(ComponentMetrics.names(ComponentMetrics.agent(ComponentMetrics.AWS)));
        return names;
    }

    @Test
    void theQueryReaderFindsMetricNamesAndNothingElse() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (site, le) (rate(http_server_requests_seconds_bucket"
                + "{job=\"twincloud-api\", uri!~\"/actuator.*\"}[5m]))) > 0.5 and on (site) up == 1 or vector(0)"))
                .containsExactly("http_server_requests_seconds_bucket", "up");
        assertThat(PromQl.metricNames("time() - max by (site) (x_seconds > 0) > 26 * 3600")).containsExactly("x_seconds");
        assertThat(PromQl.metricNames("changes(max(twincloud_arbiter_epoch)[1m:]) > 0")).containsExactly("twincloud_arbiter_epoch");
    }

    @Test
    void everyDashboardQueryUsesMetricsTheComponentsExport() throws IOException {
        Map<String, String> queries = dashboardQueries();
        assertThat(queries).hasSizeGreaterThan(20);
        Set<String> known = new LinkedHashSet<>(exported());
        known.addAll(SPRING_AND_API);
        List<String> unknown = new ArrayList<>();
        queries.forEach((where, expr) -> {
            Set<String> names = PromQl.metricNames(expr);
            if (names.isEmpty()) {
                unknown.add(where + ": selects no metric: " + expr);
            }
            names.stream().filter(n -> !known.contains(n)).forEach(n -> unknown.add(where + ": " + n));
        });
        assertThat(unknown).as("metrics no component exports (known: %s)", known).isEmpty();
    }

    @Test
    void everyRuleUsesMetricsTheComponentsExportOrNamedOutsideOnes() throws IOException {
        Map<String, String> rules = ruleExpressions();
        assertThat(rules).hasSizeGreaterThanOrEqualTo(19);
        Set<String> known = new LinkedHashSet<>(exported());
        known.addAll(SPRING_AND_API);
        known.addAll(EXTERNAL);
        List<String> unknown = new ArrayList<>();
        rules.forEach((alert, expr) -> PromQl.metricNames(expr).stream().filter(n -> !known.contains(n))
                .forEach(n -> unknown.add(alert + ": " + n)));
        assertThat(unknown).isEmpty();
    }
}
