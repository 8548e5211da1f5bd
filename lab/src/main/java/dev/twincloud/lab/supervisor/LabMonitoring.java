package dev.twincloud.lab.supervisor;

import dev.twincloud.core.protocol.SiteId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The lab's monitoring (docs/observability.md): Debian's {@code prometheus} scraping the arbiter, both
 * agents, both APIs and the edge, evaluating the chart's alert rules (the same file,
 * deploy/helm/twincloud-site/monitoring/twincloud.rules.yaml), and Debian's Alertmanager receiving the
 * alerts. This class finds the binaries and writes their configuration; {@link Lab} runs them as
 * managed processes on the layout's ports.
 *
 * <p>The binaries are found like PostgreSQL's: an explicit path ({@code TWINCLOUD_PROMETHEUS},
 * {@code TWINCLOUD_ALERTMANAGER}, or the system properties {@code twincloud.prometheus},
 * {@code twincloud.alertmanager}), else on the {@code PATH} ({@code prometheus}; Debian's
 * {@code prometheus-alertmanager}, or {@code alertmanager}).
 */
public final class LabMonitoring {
    /** The alert rules, relative to the checkout: the one source of the chart's PrometheusRule and the lab's. */
    public static final String RULES = "deploy/helm/twincloud-site/monitoring/twincloud.rules.yaml";
    /** The Grafana dashboards, relative to the checkout. */
    public static final String DASHBOARDS = "deploy/helm/twincloud-site/monitoring/dashboards";
    /** How often the lab's Prometheus scrapes and evaluates the rules. */
    public static final String INTERVAL = "2s";
    /** How long one scrape may take. */
    public static final String SCRAPE_TIMEOUT = "1s";

    /** {@link #INTERVAL} as a duration (the drill's alert deadlines count in it). */
    public static java.time.Duration interval() {
        return seconds(INTERVAL);
    }

    /** {@link #SCRAPE_TIMEOUT} as a duration. */
    public static java.time.Duration scrapeTimeout() {
        return seconds(SCRAPE_TIMEOUT);
    }

    private static java.time.Duration seconds(String s) {
        return java.time.Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
    }

    public record Binaries(Path prometheus, Path alertmanager) {
    }

    private LabMonitoring() {
    }

    /** The two binaries, or empty when either is missing (the lab then runs without monitoring and says so). */
    public static Optional<Binaries> find() {
        Optional<Path> prometheus = locate("twincloud.prometheus", "TWINCLOUD_PROMETHEUS", "prometheus");
        Optional<Path> alertmanager = locate("twincloud.alertmanager", "TWINCLOUD_ALERTMANAGER", "prometheus-alertmanager", "alertmanager");
        return prometheus.isPresent() && alertmanager.isPresent()
                ? Optional.of(new Binaries(prometheus.get(), alertmanager.get())) : Optional.empty();
    }

    /** Prometheus' {@code promtool} (tests, and by hand: {@code promtool test rules}), found like the others. */
    public static Optional<Path> promtool() {
        return locate("twincloud.promtool", "TWINCLOUD_PROMTOOL", "promtool");
    }

    /** Why {@link #find()} found nothing, for {@code lab up}'s output. */
    public static String notFound() {
        return "monitoring skipped: prometheus and alertmanager not found on the PATH "
                + "(Debian: apt-get install prometheus prometheus-alertmanager; or set TWINCLOUD_PROMETHEUS and TWINCLOUD_ALERTMANAGER)";
    }

    private static Optional<Path> locate(String property, String env, String... names) {
        String explicit = System.getProperty(property, System.getenv(env));
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException(env + " / -D" + property + " points at " + p + ", which is not an executable file");
            }
            return Optional.of(p);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            for (String name : names) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    return Optional.of(Path.of(dir, name));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Writes prometheus.yml, alertmanager.yml and the rules (runbook links made absolute into this
     * checkout's docs) into {@link LabLayout#monitoring()}; returns the two command lines.
     */
    public static List<List<String>> configure(LabLayout layout, Path home, Binaries bins) {
        return configure(layout, home, bins, false);
    }

    /**
     * As {@link #configure(LabLayout, Path, Binaries)}; with {@code backups}, Prometheus also scrapes the restore
     * drills' metrics from the lab's control port (job {@code lab-restore-drill}: {@code lab up} serves them; a lab
     * started in a test's JVM has no control server, so that target is down there — the job's name is outside
     * TwincloudComponentDown's {@code twincloud-.*}).
     */
    public static List<List<String>> configure(LabLayout layout, Path home, Binaries bins, boolean backups) {
        Path dir = layout.monitoring();
        try {
            Files.createDirectories(dir);
            Path rulesSource = home.resolve(RULES);
            if (!Files.isRegularFile(rulesSource)) {
                throw new IllegalStateException("the alert rules " + rulesSource + " are missing: is " + home + " a twincloud checkout?");
            }
            Path rules = dir.resolve("twincloud.rules.yaml");
            Files.writeString(rules, Files.readString(rulesSource)
                    .replace("runbook_url: docs/runbooks.md", "runbook_url: " + home.resolve("docs/runbooks.md").toUri()));
            Files.writeString(dir.resolve("prometheus.yml"), prometheusConfig(layout, rules, backups));
            Files.writeString(dir.resolve("alertmanager.yml"), alertmanagerConfig());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> prometheus = List.of(bins.prometheus().toString(),
                "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("prometheus-data"),
                "--storage.tsdb.retention.time=7d",
                "--web.listen-address=127.0.0.1:" + layout.prometheusPort(),
                "--web.external-url=" + layout.prometheusUrl() + "/");
        List<String> alertmanager = List.of(bins.alertmanager().toString(),
                "--config.file=" + dir.resolve("alertmanager.yml"),
                "--storage.path=" + dir.resolve("alertmanager-data"),
                "--web.listen-address=127.0.0.1:" + layout.alertmanagerPort(),
                "--web.external-url=" + layout.alertmanagerUrl() + "/",
                "--cluster.listen-address="); // no gossip port: one Alertmanager
        return List.of(prometheus, alertmanager);
    }

    /** The scrape jobs carry the names the rules use ({@code job}, and {@code site} on a site's targets). */
    static String prometheusConfig(LabLayout layout, Path rules, boolean backups) {
        List<String> agents = new ArrayList<>();
        List<String> apis = new ArrayList<>();
        for (SiteId site : LabLayout.SITES) {
            agents.add(target(layout.agentManagementPort(site), site)); // the actuator's own listener (the API port may be HTTPS)
            apis.add(target(layout.apiPort(site), site));
        }
        return """
                # Written by `twincloud lab up` (dev.twincloud.lab.supervisor.LabMonitoring); rewritten on every start.
                global:
                  scrape_interval: %1$s
                  scrape_timeout: %8$s
                  evaluation_interval: %1$s
                rule_files:
                  - %2$s
                alerting:
                  alertmanagers:
                    - static_configs:
                        - targets: ["127.0.0.1:%3$d"]
                scrape_configs:
                  - job_name: twincloud-arbiter
                    metrics_path: /actuator/prometheus
                    static_configs:
                      - targets: ["127.0.0.1:%4$d"]
                  - job_name: twincloud-agent
                    metrics_path: /actuator/prometheus
                    static_configs:
                %5$s
                  - job_name: twincloud-api
                    metrics_path: /actuator/prometheus
                    static_configs:
                %6$s
                  - job_name: twincloud-edge
                    metrics_path: /_edge/metrics
                    static_configs:
                      - targets: ["127.0.0.1:%7$d"]
                """.formatted(INTERVAL, quote(rules.toString()), layout.alertmanagerPort(), layout.arbiterPort(),
                String.join("\n", agents), String.join("\n", apis), layout.edgePort(), SCRAPE_TIMEOUT)
                + (!backups ? "" : """
                  - job_name: lab-restore-drill
                    metrics_path: /metrics
                    static_configs:
                      - targets: ["127.0.0.1:%d"]
                """.formatted(layout.labControlPort()));
    }

    private static String target(int port, SiteId site) {
        return "      - targets: [\"127.0.0.1:" + port + "\"]\n        labels: {site: " + site.name() + "}";
    }

    /** One receiver without integrations: the lab's alerts are read from Alertmanager's API and UI. */
    static String alertmanagerConfig() {
        return """
                # Written by `twincloud lab up`; rewritten on every start. Alerts are read from the API/UI: no integrations.
                route:
                  receiver: lab
                  group_by: [alertname, site]
                  group_wait: 1s
                  group_interval: 5s
                  repeat_interval: 4h
                receivers:
                  - name: lab
                """;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
