package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.cli.TwincloudCliTest;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabMonitoring;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.parallel.ResourceLock;
import tools.jackson.databind.JsonNode;

/**
 * The lab's monitoring and its logs on one real lab (docs/observability.md, docs/logging.md). Monitoring: Prometheus
 * scrapes every component with the labels the rules use, every dashboard panel's query returns series, the
 * components' metric names pass promtool's lint, and killing the writer makes TwincloudFailover fire — naming the new
 * writer and why — as Alertmanager's API shows (that it resolves is DrillShortSetTest's last check). Logs (issue 17's
 * "done when"): after that kill, {@code lab logs --around FAILOVER} shows the arbiter's decision, the new writer's
 * agent's transition and the edge's switch, in that order; and a request sent through the edge during a switchover is
 * found by its request id in the edge's, the API's and PostgreSQL's logs with {@code lab logs --request}. One lab and
 * one kill for both (they were two labs: about 1.5 minutes of CI). Base port 23400 (Prometheus 23404, Alertmanager
 * 23405). Needs Debian's prometheus and prometheus-alertmanager (skipped without them, except under CI).
 */
@ResourceLock("full-lab") // one whole lab at a time (junit-platform.properties)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Order(1) // the first full lab of the module (junit-platform.properties): its clean stop writes the apps' AppCDS archives
class MonitoringAndLogsEndToEndTest {
    static LabHarness h;
    static LabLayout layout;

    @BeforeAll
    static void up() throws Exception {
        if (LabMonitoring.find().isEmpty()) {
            if (System.getenv("CI") != null) {
                throw new AssertionError(LabMonitoring.notFound());
            }
            Assumptions.abort(LabMonitoring.notFound());
        }
        h = LabHarness.start("e2e-observability", 23400, s -> s.withMonitoring(true));
        layout = h.lab.layout();
        assertThat(h.lab.monitoring()).isTrue();
    }

    @AfterAll
    static void down() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    @Order(1)
    void prometheusScrapesEveryComponentWithItsSite() {
        Http.await("all six targets up", layout.prometheusUrl() + "/api/v1/targets", null, Duration.ofSeconds(60), r -> {
            JsonNode active = r.json().path("data").path("activeTargets");
            int up = 0;
            for (JsonNode t : active) {
                up += t.path("health").asString().equals("up") ? 1 : 0;
            }
            return active.size() == 6 && up == 6;
        });
        for (String job : List.of("twincloud-agent", "twincloud-api")) {
            JsonNode result = query("count by (site) (up{job=\"" + job + "\"})");
            List<String> sites = new ArrayList<>();
            result.forEach(s -> sites.add(s.path("metric").path("site").asString()));
            assertThat(sites).as(job).containsExactlyInAnyOrder("gcp", "aws");
        }
    }

    @Test
    @Order(2)
    void everyDashboardPanelReturnsSeries() throws Exception {
        h.awaitSteady();
        try (var load = new LabHarness.Load(h.edge, "p-dashboards", 50)) {
            LabHarness.sleep(8_000); // a few scrapes of traffic for the rate() panels
        }
        List<String> empty = new ArrayList<>();
        for (Path f : dashboards()) {
            JsonNode d = Http.JSON.readTree(f.toFile());
            for (JsonNode p : d.path("panels")) {
                for (String site : List.of("gcp", "aws")) {
                    boolean any = false;
                    for (JsonNode t : p.path("targets")) {
                        String expr = t.path("expr").asString().replace("$site", site).replace("$__range", "10m");
                        any |= !query(expr).isEmpty();
                    }
                    if (!any) {
                        empty.add(f.getFileName() + ": " + p.path("title").asString() + " (site " + site + ")");
                    }
                }
            }
        }
        assertThat(empty).as("panels without any series").isEmpty();
    }

    @Test
    @Order(3)
    void theComponentsMetricNamesPassPromtoolsLint() throws Exception {
        Path promtool = LabMonitoring.promtool().orElseThrow(() -> new AssertionError("promtool not found beside prometheus"));
        Map<String, String> endpoints = new LinkedHashMap<>();
        endpoints.put("arbiter", h.lab.arbiterUrl() + "/actuator/prometheus");
        endpoints.put("edge", layout.entryUrl() + "/_edge/metrics");
        for (SiteId s : LabLayout.SITES) {
            endpoints.put(s + " agent", "http://127.0.0.1:" + layout.agentManagementPort(s) + "/actuator/prometheus");
            endpoints.put(s + " api", h.lab.apiUrl(s) + "/actuator/prometheus");
        }
        for (Map.Entry<String, String> e : endpoints.entrySet()) {
            String text = Http.get(e.getValue(), null).body();
            Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
            try (var in = p.getOutputStream()) {
                in.write(text.getBytes(StandardCharsets.UTF_8));
            }
            String lint = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(lint.lines().filter(l -> l.startsWith("twincloud_"))).as("%s:\n%s", e.getKey(), lint).isEmpty();
        }
    }

    @Test
    @Order(4)
    void killingTheWriterFiresTwincloudFailoverNamingTheNewWriterAndWhyAndTheLogsShowTheFailoverInOrder() throws Exception {
        SiteId w = h.awaitSteady();
        SiteId s = LabLayout.peer(w);
        assertThat(failoverAlerts()).as("no failover alert before the fault").isEmpty();
        long epoch = h.epoch();
        long t0 = System.nanoTime();
        h.lab.kill(w.name());
        LabHarness.await("TwincloudFailover in Alertmanager", Duration.ofSeconds(60), () -> !failoverAlerts().isEmpty());
        LabHarness.figure("monitoring", "failover_alert_after_kill_ms", (System.nanoTime() - t0) / 1e6);
        JsonNode alert = failoverAlerts().getFirst();
        assertThat(alert.path("labels").path("site").asString()).as("the new writer").isEqualTo(s.name());
        assertThat(alert.path("labels").path("kind").asString()).as("why: an unplanned promotion").isEqualTo("FAILOVER");
        assertThat(alert.path("annotations").path("summary").asString()).startsWith("FAILOVER: " + s + " was promoted (1 in");
        assertThat(alert.path("annotations").path("runbook_url").asString()).endsWith("docs/runbooks.md#twincloudfailover");

        // Its resolution (the rule looks back 2 minutes) is awaited in DrillShortSetTest, after a drill of
        // two dozen faults with Prometheus and Alertmanager, rather than by a lab kept idle 2 minutes here.

        // The same failover in the logs: the arbiter's decision, the new writer's agent's transition, the edge's switch
        LabHarness.await("a write acknowledged by " + s, Duration.ofSeconds(30), () -> h.edge.write("p-logs-kill").ok());
        LabHarness.sleep(1000); // the lines after the switch
        List<String> around = labLogs("--around", "FAILOVER", "--window", "8s", "--level", "INFO",
                "--component", "arbiter,agent,edge");
        int decision = indexOf(around, " arbiter ", "FAILOVER site=" + s.name() + " epoch=" + (epoch + 1));
        int transition = indexOf(around, decision, " " + s + "-agent ", "epoch=" + (epoch + 1) + " FSM transition");
        // the window also holds the lines before the failover (an earlier switch to the same site, say)
        int switched = indexOf(around, transition, " edge ", "backend " + s.name() + " ", "is now HEALTHY");
        assertThat(decision).as("the arbiter's FAILOVER in:%n%s", String.join("\n", around)).isNotNegative();
        assertThat(transition).as("%s's agent's transition under the new epoch", s).isGreaterThan(decision);
        assertThat(switched).as("the edge's switch to %s", s).isGreaterThan(transition);
        h.lab.revive(w.name());
        h.awaitSteady();
    }

    @Test
    @Order(5)
    void aRequestDuringASwitchoverIsFoundByItsIdInTheEdgesTheApisAndPostgresLogs() throws Exception {
        SiteId w = h.awaitSteady();
        SiteId s = LabLayout.peer(w);
        List<LabClient.Write> attempts;
        try (var load = new LabHarness.Load(h.edge, "p-logs-switch", 10)) {
            LabHarness.sleep(500);
            h.switchoverUnder(load, s);
            LabHarness.sleep(300);
            load.close();
            attempts = List.copyOf(load.attempts);
        }
        // the first write the new writer acknowledged: sent while the switchover was under way or just after it
        LabClient.Write first = attempts.stream().filter(a -> a.ok() && a.site().equals(s.name())).findFirst().orElseThrow();
        AtomicReference<List<String>> lines = new AtomicReference<>();
        // PostgreSQL's collector writes its lines a moment later
        LabHarness.await("the request in the edge's, " + s + "-api's and " + s + "-postgres's logs", Duration.ofSeconds(15), () -> {
            lines.set(labLogs("--request", first.requestId()));
            return lines.get().stream().anyMatch(l -> l.contains(" " + s + "-postgres "));
        });
        List<String> found = lines.get();
        // every entry is the request's (a multi-line statement's further lines are indented under its entry)
        assertThat(found).as("every line is the request's").allSatisfy(
                l -> assertThat(l.startsWith(" ") || l.contains("[" + first.requestId() + "]")).as(l).isTrue());
        assertThat(found.getFirst()).contains("[" + first.requestId() + "]");
        assertThat(found).anySatisfy(l -> assertThat(l).contains(" edge ").contains("POST /v1/ecgs -> " + s + " 201"));
        assertThat(found).anySatisfy(l -> assertThat(l).contains(" " + s + "-api ").contains("POST /v1/ecgs 201"));
        assertThat(found).anySatisfy(l -> assertThat(l).contains(" " + s + "-postgres ").containsIgnoringCase("insert into ecg_recording"));
        // in time order: the statement before the access lines (the API's and the edge's are written as each answer
        // completes, and the API's may come a moment after the edge's has)
        int pg = indexOf(found, " " + s + "-postgres ");
        assertThat(pg).isLessThan(indexOf(found, " " + s + "-api ")).isLessThan(indexOf(found, " edge "));

        // a write that failed during the switchover (if one did) is found too: at least the edge's line, with its status
        attempts.stream().filter(a -> !a.ok() && a.status() != 0).findFirst().ifPresent(failed -> {
            List<String> failedLines = labLogs("--request", failed.requestId());
            assertThat(failedLines).anySatisfy(l -> assertThat(l).contains(" edge ").contains(" " + failed.status() + " in "));
        });
    }

    /** {@code twincloud lab logs ARGS} against this lab, in-process. */
    static List<String> labLogs(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "lab";
        all[1] = "logs";
        all[2] = "--root=" + h.lab.layout().root();
        all[3] = "--base-port=" + h.lab.layout().basePort();
        System.arraycopy(args, 0, all, 4, args.length);
        TwincloudCliTest.Run r = TwincloudCliTest.run(all);
        assertThat(r.exit()).as("lab logs %s: %s", String.join(" ", args), r.err()).isZero();
        return r.out().lines().toList();
    }

    private static int indexOf(List<String> lines, String... parts) {
        return indexOf(lines, 0, parts);
    }

    /** The first line at or after {@code from} that contains every part; -1 when none. */
    private static int indexOf(List<String> lines, int from, String... parts) {
        for (int i = Math.max(0, from); i < lines.size(); i++) {
            String l = lines.get(i);
            boolean all = true;
            for (String p : parts) {
                all &= l.contains(p);
            }
            if (all) {
                return i;
            }
        }
        return -1;
    }

    private static List<JsonNode> failoverAlerts() {
        try {
            JsonNode all = Http.get(layout.alertmanagerUrl() + "/api/v2/alerts?filter="
                    + URLEncoder.encode("alertname=\"TwincloudFailover\"", StandardCharsets.UTF_8), null).json();
            List<JsonNode> out = new ArrayList<>();
            all.forEach(out::add);
            return out;
        } catch (IOException e) {
            throw new AssertionError("alertmanager unreachable", e);
        }
    }

    private static JsonNode query(String expr) {
        try {
            Http.Response r = Http.get(layout.prometheusUrl() + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8), null);
            assertThat(r.json().path("status").asString()).as("%s: %s", expr, r.body()).isEqualTo("success");
            return r.json().path("data").path("result");
        } catch (IOException e) {
            throw new AssertionError("prometheus unreachable", e);
        }
    }

    private static List<Path> dashboards() throws IOException {
        try (Stream<Path> s = Files.list(LabHarness.HOME.resolve(LabMonitoring.DASHBOARDS))) {
            return s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }
}
