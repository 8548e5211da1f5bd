package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.lab.backup.ObjectStore;
import dev.twincloud.lab.backup.RestoreDrill;
import dev.twincloud.lab.drill.DrillTarget;
import dev.twincloud.lab.drill.Observations;
import dev.twincloud.lab.drill.RunMetrics;
import dev.twincloud.lab.drill.RunObserver;
import dev.twincloud.lab.drill.Scenario;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The lab's monitoring without a lab (and the drill's reading of it, {@link RunObserver}): real Prometheus and Alertmanager (Debian's binaries), started
 * with exactly the configuration {@code lab up} writes ({@link LabMonitoring#configure}) on a layout in
 * this test's port range (base 21100: Prometheus 21104, Alertmanager 21105), scraping stand-in targets
 * on the layout's ports that serve what the arbiter, the agents and the edge export (their real meter
 * classes, {@link ComponentMetrics}). The APIs are absent on purpose: their targets are down, and
 * TwincloudComponentDown must travel from the rules through Prometheus to Alertmanager's API. The
 * stand-in agents have no assignment (state INIT), so TwincloudNoWriter must fire as well. Backups on: the restore
 * drills' metrics are scraped from the control port, served as {@code lab up} serves them
 * ({@link LabControlServer#metricsText}).
 * A full lab is exercised by {@code e2e.MonitoringAndLogsEndToEndTest}.
 */
class LabPrometheusTest {
    private static final int BASE = 21100;

    @Test
    @Timeout(300)
    void prometheusFromTheLabsConfigScrapesEvaluatesTheRulesAndAlertmanagerReceivesTheAlerts(@TempDir Path tmp) throws Exception {
        LabMonitoring.Binaries bins = LabMonitoring.find().orElseGet(() -> {
            String why = LabMonitoring.notFound();
            if (System.getenv("CI") != null) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
            return null;
        });
        double started = System.currentTimeMillis();
        LabLayout layout = new LabLayout(tmp.resolve("lab"), BASE);
        List<HttpServer> targets = new ArrayList<>();
        List<ManagedProcess> processes = new ArrayList<>();
        try {
            targets.add(serve(layout.arbiterPort(), "/actuator/prometheus", ComponentMetrics::arbiter));
            targets.add(serve(layout.agentManagementPort(ComponentMetrics.GCP), "/actuator/prometheus", () -> ComponentMetrics.agent(ComponentMetrics.GCP)));
            targets.add(serve(layout.agentManagementPort(ComponentMetrics.AWS), "/actuator/prometheus", () -> ComponentMetrics.agent(ComponentMetrics.AWS)));
            targets.add(serve(layout.edgePort(), "/_edge/metrics", ComponentMetrics::edge));
            // backups on: the restore drills' metrics, as lab up's control server serves them from the file a drill wrote
            var sums = new java.util.LinkedHashMap<String, RestoreDrill.Sum>();
            RestoreDrill.TABLES.forEach(t -> sums.put(t, new RestoreDrill.Sum(3, "0123456789abcdef0123456789abcdef")));
            var mark = new RestoreDrill.Mark("p", dev.twincloud.lab.backup.Lsn.parse("0/5000028"), java.time.Instant.now(),
                    "000000010000000000000005", sums);
            ObjectStore gcs = ObjectStore.of("gcs", layout);
            RestoreDrill.writeMetrics(LabBackups.restoreDrillMetrics(layout), List.of(new RestoreDrill.Result(gcs, true, mark, "B", 2,
                    12.5, 31.25, sums, List.of(), Optional.empty())));
            String drillMetrics = LabControlServer.metricsText(layout);
            targets.add(serve(layout.labControlPort(), "/metrics", () -> drillMetrics));

            List<List<String>> cmds = LabMonitoring.configure(layout, DashboardQueriesTest.HOME, bins, true);
            ManagedProcess prometheus = new ManagedProcess("prometheus", cmds.get(0), Map.of(), layout.logs().resolve("prometheus.log"));
            ManagedProcess alertmanager = new ManagedProcess("alertmanager", cmds.get(1), Map.of(), layout.logs().resolve("alertmanager.log"));
            processes.add(prometheus);
            processes.add(alertmanager);
            alertmanager.start();
            prometheus.start();
            Http.await("alertmanager ready", layout.alertmanagerUrl() + "/-/ready", null, Duration.ofSeconds(60), r -> r.status() == 200);
            Http.await("prometheus ready", layout.prometheusUrl() + "/-/ready", null, Duration.ofSeconds(60), r -> r.status() == 200);

            // 1. the scrape jobs and their labels: four stand-ins up, the two absent APIs down
            Http.await("every target scraped once", layout.prometheusUrl() + "/api/v1/targets", null, Duration.ofSeconds(60), r -> {
                JsonNode active = r.json().path("data").path("activeTargets");
                int known = 0;
                for (JsonNode t : active) {
                    known += t.path("health").asString().equals("unknown") ? 0 : 1;
                }
                return active.size() == 7 && known == 7;
            });
            Set<String> seen = new HashSet<>();
            for (JsonNode t : Http.get(layout.prometheusUrl() + "/api/v1/targets", null).json().path("data").path("activeTargets")) {
                JsonNode l = t.path("labels");
                seen.add(l.path("job").asString() + "/" + l.path("site").asString("-") + "=" + t.path("health").asString());
            }
            assertThat(seen).containsExactlyInAnyOrder("twincloud-arbiter/-=up", "twincloud-edge/-=up",
                    "twincloud-agent/gcp=up", "twincloud-agent/aws=up", "twincloud-api/gcp=down", "twincloud-api/aws=down",
                    "lab-restore-drill/-=up");
            JsonNode rpo = Http.get(layout.prometheusUrl() + "/api/v1/query?query="
                    + URLEncoder.encode("twincloud_restore_drill_rpo_seconds{store=\"gcs\"}", StandardCharsets.UTF_8), null).json()
                    .path("data").path("result");
            assertThat(rpo).as("the restore drill's figures scraped").hasSize(1);
            assertThat(rpo.get(0).path("value").get(1).asString()).isEqualTo("31.25");

            // 2. the rules file loaded whole, runbook links made absolute into this checkout's docs
            JsonNode groups = Http.get(layout.prometheusUrl() + "/api/v1/rules?type=alert", null).json().path("data").path("groups");
            List<String> alerts = new ArrayList<>();
            for (JsonNode g : groups) {
                for (JsonNode r : g.path("rules")) {
                    alerts.add(r.path("name").asString());
                    assertThat(r.path("annotations").path("runbook_url").asString())
                            .startsWith("file:").contains("docs/runbooks.md#" + r.path("name").asString().toLowerCase(java.util.Locale.ROOT));
                }
            }
            assertThat(alerts).containsExactlyInAnyOrderElementsOf(DashboardQueriesTest.ruleExpressions().keySet());

            // 3. every dashboard query is valid PromQL for this Prometheus; those over the stand-ins' metrics return
            // series (rate() and increase() once every target has two samples)
            Http.await("two scrapes of every target", layout.prometheusUrl() + "/api/v1/query?query="
                    + URLEncoder.encode("min(count_over_time(up[1m])) >= 2", StandardCharsets.UTF_8), null, Duration.ofSeconds(60),
                    r -> !r.json().path("data").path("result").isEmpty());
            Set<String> standIn = DashboardQueriesTest.exported();
            List<String> problems = new ArrayList<>();
            for (Map.Entry<String, String> q : DashboardQueriesTest.dashboardQueries().entrySet()) {
                String expr = q.getValue().replace("$site", "gcp").replace("$__range", "1h");
                Http.Response r = Http.get(layout.prometheusUrl() + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8), null);
                if (r.status() != 200 || !r.json().path("status").asString().equals("success")) {
                    problems.add(q.getKey() + ": " + r.body());
                } else if (!q.getKey().contains(": annotation ") && standIn.containsAll(PromQl.metricNames(q.getValue()))
                        && r.json().path("data").path("result").isEmpty()) {
                    problems.add(q.getKey() + ": no series for " + expr);
                }
            }
            assertThat(problems).isEmpty();

            // 4. alerts reach Alertmanager: the absent APIs (after `for: 30s`) and no writer among the stand-in agents
            Http.await("TwincloudComponentDown for both APIs and TwincloudNoWriter in Alertmanager",
                    layout.alertmanagerUrl() + "/api/v2/alerts", null, Duration.ofSeconds(150), r -> {
                        Set<String> got = firing(r.json());
                        return got.containsAll(Set.of("TwincloudComponentDown/twincloud-api/gcp", "TwincloudComponentDown/twincloud-api/aws",
                                "TwincloudNoWriter/-/-"));
                    });
            Set<String> firing = firing(Http.get(layout.alertmanagerUrl() + "/api/v2/alerts", null).json());
            // what the stand-ins do not explain stays quiet: their arbiter acts, the edge routes nowhere,
            // the agents' databases are up and stream to a standby
            assertThat(firing).noneMatch(a -> a.startsWith("TwincloudNoActingArbiter") || a.startsWith("TwincloudEdgeRoutesToNonWriter")
                    || a.startsWith("TwincloudPostgresDown") || a.startsWith("TwincloudReplicationBroken")
                    || a.startsWith("TwincloudComponentDown/twincloud-agent") || a.startsWith("TwincloudComponentDown/twincloud-arbiter"));

            // 5. the drill reads this Prometheus and Alertmanager as it reads its lab's: in `none` since before they started,
            // the alerts above are unexplained noise; the report's metric panels are answered
            RunObserver observer = new RunObserver(Optional.of(new DrillTarget.Monitoring(layout.prometheusUrl(), layout.alertmanagerUrl(),
                    LabMonitoring.interval(), LabMonitoring.scrapeTimeout())), Optional.empty());
            double endMs = System.currentTimeMillis() - started;
            Observations observed = observer.observe(Scenario.NONE, List.of(), 0, List.of(), started, endMs);
            assertThat(observed.alerts().checked()).isTrue();
            assertThat(observed.alerts().failures()).as("%s", observed.alerts().rows())
                    .anyMatch(f -> f.startsWith("unexplained alert TwincloudNoWriter{} fired at +"))
                    .anyMatch(f -> f.startsWith("unexplained alert TwincloudComponentDown{instance=127.0.0.1:" + layout.apiPort(ComponentMetrics.GCP)
                            + ",job=twincloud-api,site=gcp} fired at +"));
            assertThat(observed.alerts().rows()).filteredOn(r -> r.alert().equals("TwincloudNoWriter")).singleElement()
                    .satisfies(r -> assertThat(r.alertmanagerMs()).as("Alertmanager holds it").isNotNull());
            assertThat(observed.metrics()).extracting(RunMetrics.Panel::title).containsExactly("replication lag", "throughput through the edge", "errors");
            assertThat(observed.metrics().get(1).series()).as("the stand-in edge's counters, per backend").isNotEmpty();
        } finally {
            processes.forEach(ManagedProcess::stop);
            targets.forEach(s -> s.stop(0));
        }
    }

    /** {@code alertname/job/site} of every alert Alertmanager holds ({@code -} for a missing label). */
    private static Set<String> firing(JsonNode alerts) {
        Set<String> got = new HashSet<>();
        for (JsonNode a : alerts) {
            JsonNode l = a.path("labels");
            got.add(l.path("alertname").asString() + "/" + l.path("job").asString("-") + "/" + l.path("site").asString("-"));
        }
        return got;
    }

    private static HttpServer serve(int port, String path, Supplier<String> body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        byte[] b = body.get().getBytes(StandardCharsets.UTF_8); // one exposition, served on every scrape
        server.createContext(path, ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            ex.sendResponseHeaders(200, b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        });
        server.start();
        return server;
    }
}
