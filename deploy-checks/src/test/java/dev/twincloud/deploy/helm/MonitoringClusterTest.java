package dev.twincloud.deploy.helm;

import static dev.twincloud.deploy.helm.Charts.ofKind;
import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import dev.twincloud.deploy.terraform.TerraformTree;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring cluster and the sites' way to it (docs/observability.md): the values in deploy/helm/monitoring/
 * for the upstream charts (kube-prometheus-stack, grafana/loki, ingress-nginx, Headlamp: not here to render, so
 * checked as data), the site chart's objects for it (monitoringOnly, monitoring.standalone), and the names they
 * share with each other and with the Terraform (hosts, ports, paths, Secrets, jobs, alerts). Each cross-reference
 * is a check that returns its problems, run on the repository's files (none) and on a broken copy (the problem).
 * Nothing here reaches a cloud: the Alertmanager test runs Debian's Alertmanager with the site's configuration as
 * the stand-in for the site's kube-prometheus-stack Alertmanager.
 */
class MonitoringClusterTest {
    static final Path MONITORING = Charts.HELM.resolve("monitoring");
    static final Path STANDALONE_RULES = AlertRulesTest.MONITORING.resolve("twincloud-standalone.rules.yaml");
    static final String REACHABLE = "TwincloudMonitoringClusterReachable";
    static final String ARBITER_JOB = "twincloud-arbiter";
    private static final String PO = "../prometheus-operator/";
    private static final JsonSchema SERVICE_MONITOR = CrdSchemas.schemaFor(PO + "monitoring.coreos.com_servicemonitors.yaml", "v1");
    private static final JsonSchema PROMETHEUS_RULE = CrdSchemas.schemaFor(PO + "monitoring.coreos.com_prometheusrules.yaml", "v1");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Pattern MATCHER = Pattern.compile("^\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!=|!~|=)\\s*\"?(.*?)\"?\\s*$");

    static JsonNode values(String file) {
        try {
            return YAML.readTree(Charts.HELM.resolve(file).toFile());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode central() {
        return values("monitoring/kube-prometheus-stack-values.yaml");
    }

    static JsonNode sitePrometheus() {
        return values("monitoring/site-prometheus-values.yaml");
    }

    static JsonNode loki() {
        return values("monitoring/loki-values.yaml");
    }

    /** The monitoring-cluster module's domain: its DNS zones (GCP and AWS) name every host under it. */
    @SuppressWarnings("unchecked")
    static String domain() {
        return (String) TerraformTree.module("monitoring-cluster").variables().get("domain").get("default");
    }

    static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    static ObjectNode copy(JsonNode n) {
        return (ObjectNode) n.deepCopy();
    }

    // ------------------------------------------------------------ remote write

    /** A site's remote write goes to the monitoring cluster's Prometheus ingress, on its write path, with auth and TLS. */
    static List<String> remoteWriteProblems(JsonNode site, JsonNode central, String domain) {
        List<String> p = new ArrayList<>();
        JsonNode rw = site.at("/prometheus/prometheusSpec/remoteWrite");
        if (rw.size() != 1) {
            p.add("the site's Prometheus should have one remote write, has " + rw.size());
            return p;
        }
        URI url = URI.create(rw.get(0).path("url").asText());
        JsonNode ingress = central.at("/prometheus/ingress");
        if (!"https".equals(url.getScheme())) {
            p.add("remote write " + url + " is not HTTPS");
        }
        if (!ingress.path("enabled").asBoolean()) {
            p.add("the monitoring cluster's Prometheus has no ingress");
        }
        if (!texts(ingress.path("hosts")).contains(url.getHost())) {
            p.add("remote write host " + url.getHost() + " is not a host of the monitoring cluster's Prometheus ingress " + ingress.path("hosts"));
        }
        if (!url.getHost().equals("prometheus." + domain)) {
            p.add("remote write host " + url.getHost() + " is not prometheus." + domain + ", the name the Terraform's DNS zones give the ingress");
        }
        if (!texts(ingress.path("paths")).contains(url.getPath())) {
            p.add("remote write path " + url.getPath() + " is not a path of the ingress " + ingress.path("paths"));
        }
        boolean tlsForHost = false;
        for (JsonNode t : ingress.path("tls")) {
            tlsForHost |= texts(t.path("hosts")).contains(url.getHost());
        }
        if (!tlsForHost) {
            p.add("the ingress serves no TLS for " + url.getHost());
        }
        if (!central.at("/prometheus/prometheusSpec/enableRemoteWriteReceiver").asBoolean()) {
            p.add("the monitoring cluster's Prometheus does not accept remote write (enableRemoteWriteReceiver)");
        }
        if (!"basic".equals(ingress.path("annotations").path("nginx.ingress.kubernetes.io/auth-type").asText())) {
            p.add("the ingress asks for no basic auth");
        }
        JsonNode auth = rw.get(0).path("basicAuth");
        if (auth.at("/username/name").asText().isEmpty() || auth.at("/password/name").asText().isEmpty()) {
            p.add("the remote write sends no basic auth");
        }
        if (rw.get(0).at("/tlsConfig/insecureSkipVerify").asBoolean(false)) {
            p.add("the remote write does not check the certificate");
        }
        return p;
    }

    @Test
    void eachSitesRemoteWriteReachesTheMonitoringClustersWritePathWithAuthAndTls() {
        assertThat(remoteWriteProblems(sitePrometheus(), central(), domain())).isEmpty();
    }

    @Test
    void aRemoteWriteToAnotherHostPathOrWithoutAuthIsCaught() {
        ObjectNode site = copy(sitePrometheus());
        ((ObjectNode) site.at("/prometheus/prometheusSpec/remoteWrite/0")).put("url", "https://prometheus.monitoring.example.org/api/v1/push");
        assertThat(remoteWriteProblems(site, central(), domain()))
                .anySatisfy(m -> assertThat(m).contains("not a host of the monitoring cluster's Prometheus ingress"))
                .anySatisfy(m -> assertThat(m).contains("not prometheus." + domain()))
                .anySatisfy(m -> assertThat(m).contains("/api/v1/push is not a path"));
        ObjectNode noAuth = copy(sitePrometheus());
        ((ObjectNode) noAuth.at("/prometheus/prometheusSpec/remoteWrite/0")).remove("basicAuth");
        ObjectNode closed = copy(central());
        ((ObjectNode) closed.at("/prometheus/prometheusSpec")).put("enableRemoteWriteReceiver", false);
        assertThat(remoteWriteProblems(noAuth, closed, domain()))
                .anySatisfy(m -> assertThat(m).contains("sends no basic auth"))
                .anySatisfy(m -> assertThat(m).contains("enableRemoteWriteReceiver"));
    }

    // -------------------------------------------------------------------- Loki

    /** The sites' shippers and the arbiter VM's push to the host Loki's gateway serves, with its tenancy and auth. */
    static List<String> lokiProblems(JsonNode loki, Map<String, JsonNode> sites, JsonNode chartDefaults, String domain) {
        List<String> p = new ArrayList<>();
        String host = loki.at("/gateway/ingress/hosts/0/host").asText();
        if (!host.equals("loki." + domain)) {
            p.add("Loki's gateway host " + host + " is not loki." + domain + ", the name the Terraform's DNS zones give the ingress");
        }
        boolean tls = false;
        for (JsonNode t : loki.at("/gateway/ingress/tls")) {
            tls |= texts(t.path("hosts")).contains(host);
        }
        boolean gatewayTls = tls;
        // Loki's own default is multi-tenant
        boolean multiTenant = loki.at("/loki/auth_enabled").asBoolean(true);
        boolean basicAuth = loki.at("/gateway/basicAuth/enabled").asBoolean(false);
        sites.forEach((site, v) -> {
            JsonNode l = v.at("/logShipping/loki");
            JsonNode d = chartDefaults.at("/logShipping/loki");
            String siteHost = l.path("host").asText(d.path("host").asText());
            int port = l.path("port").asInt(d.path("port").asInt());
            boolean siteTls = l.has("tls") ? l.path("tls").asBoolean() : d.path("tls").asBoolean();
            String tenant = l.path("tenant").asText(d.path("tenant").asText());
            String secret = l.path("existingSecret").asText(d.path("existingSecret").asText());
            if (!siteHost.equals(host)) {
                p.add(site + ": ships to " + siteHost + ", Loki's gateway is " + host);
            }
            if (gatewayTls && !(siteTls && port == 443)) {
                p.add(site + ": ships to port " + port + (siteTls ? " with" : " without") + " TLS; the gateway's ingress serves HTTPS on 443");
            }
            if (multiTenant && tenant.isEmpty()) {
                p.add(site + ": Loki runs multi-tenant (auth_enabled) but the site sends no tenant");
            }
            if (!multiTenant && !tenant.isEmpty()) {
                p.add(site + ": sends tenant " + tenant + " to a single-tenant Loki");
            }
            if (basicAuth == secret.isEmpty()) {
                p.add(site + ": the gateway " + (basicAuth ? "asks for" : "does not ask for") + " basic auth and the site "
                        + (secret.isEmpty() ? "sends none" : "sends " + secret));
            }
        });
        return p;
    }

    private static Map<String, JsonNode> siteValues() {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        m.put("gcp", values("values-gcp.yaml"));
        m.put("aws", values("values-aws.yaml"));
        return m;
    }

    private static JsonNode chartDefaults() {
        return values("twincloud-site/values.yaml");
    }

    @Test
    void theSitesShipToTheHostTenancyAndAuthOfLokisGateway() {
        assertThat(lokiProblems(loki(), siteValues(), chartDefaults(), domain())).isEmpty();
    }

    @Test
    void aShipperWithAnotherHostTenantOrAuthIsCaught() {
        Map<String, JsonNode> sites = siteValues();
        ObjectNode aws = copy(sites.get("aws"));
        ((ObjectNode) aws.at("/logShipping/loki")).put("host", "loki.example.com").put("tenant", "twincloud").remove("existingSecret");
        sites.put("aws", aws);
        assertThat(lokiProblems(loki(), sites, chartDefaults(), domain()))
                .anySatisfy(m -> assertThat(m).startsWith("aws: ships to loki.example.com"))
                .anySatisfy(m -> assertThat(m).contains("aws: sends tenant twincloud to a single-tenant Loki"))
                .anySatisfy(m -> assertThat(m).contains("aws: the gateway asks for basic auth and the site sends none"))
                .noneSatisfy(m -> assertThat(m).startsWith("gcp"));
        ObjectNode multi = copy(loki());
        ((ObjectNode) multi.path("loki")).put("auth_enabled", true);
        assertThat(lokiProblems(multi, siteValues(), chartDefaults(), domain()))
                .anySatisfy(m -> assertThat(m).contains("gcp: Loki runs multi-tenant"));
    }

    /** The arbiter VM's Fluent Bit gets Loki's host from the monitoring-cluster module and speaks TLS on the gateway's port. */
    @Test
    void theArbiterVmShipsToTheSameLoki() throws IOException {
        String env = TerraformTree.envs().stream().filter(d -> d.name().equals("example")).findFirst().orElseThrow().text();
        assertThat(env).containsPattern("loki_host\\s+= module\\.monitoring\\.hosts\\[\"loki\"]");
        assertThat(TerraformTree.module("monitoring-cluster").text()).containsPattern("(?m)^\\s+loki\\s+= \"loki\\.\\$\\{var\\.domain}\"$");
        var arbiter = TerraformTree.module("arbiter-site");
        assertThat(arbiter.variables().get("loki_port").get("default")).isEqualTo(443.0);
        String cloudInit = Files.readString(arbiter.path().resolve("cloud-init.yaml.tftpl"));
        assertThat(cloudInit).containsPattern("(?m)^\\s+Host\\s+\\$\\{loki_host}$").containsPattern("(?m)^\\s+Port\\s+\\$\\{loki_port}$")
                .containsPattern("(?m)^\\s+tls\\s+On$").containsPattern("(?m)^\\s+tls\\.verify\\s+On$");
        assertThat(loki().at("/loki/auth_enabled").asBoolean(true)).as("single tenant: the VM sends no tenant").isFalse();
        assertThat(cloudInit).doesNotContain("tenant_id");
    }

    // ----------------------------------------------------------------- Secrets

    record Ref(String place, String name, String key, String from) {
    }

    record Listed(String name, List<String> at, List<String> keys) {
    }

    @SuppressWarnings("unchecked")
    static List<Listed> listed() throws IOException {
        Map<String, Object> file = Charts.readMap(MONITORING.resolve("secrets.yaml"));
        List<Listed> out = new ArrayList<>();
        for (Map<String, Object> s : (List<Map<String, Object>>) file.get("secrets")) {
            out.add(new Listed((String) s.get("name"), (List<String>) s.get("at"), (List<String>) s.get("keys")));
        }
        return out;
    }

    /** Every tls secretName anywhere in an ingress section (kube-prometheus-stack, Loki, Headlamp). */
    private static void tlsSecrets(String place, String file, JsonNode node, List<Ref> out) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().equals("tls") && e.getValue().isArray()) {
                    e.getValue().forEach(t -> {
                        if (t.has("secretName")) {
                            out.add(new Ref(place, t.path("secretName").asText(), "tls.crt", file + " ingress tls"));
                        }
                    });
                } else {
                    tlsSecrets(place, file, e.getValue(), out);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> tlsSecrets(place, file, n, out));
        }
    }

    /** Files a pod reads from its mounted Secrets: {@code <mount>/<secret>/<key>} where the secret is one the spec mounts. */
    private static void mountedFiles(String place, String what, JsonNode node, String mount, List<String> mounted, List<Ref> out, List<String> problems) {
        if (node.isObject()) {
            node.properties().forEach(e -> {
                if (e.getKey().endsWith("_file") && e.getValue().isTextual()) {
                    String f = e.getValue().asText();
                    if (!f.startsWith(mount)) {
                        problems.add(place + ": " + what + " " + e.getKey() + " " + f + " is not under " + mount);
                    } else {
                        String[] parts = f.substring(mount.length()).split("/");
                        if (!mounted.contains(parts[0])) {
                            problems.add(place + ": " + what + " reads " + f + " but Secret " + parts[0] + " is not mounted (" + mounted + ")");
                        }
                        out.add(new Ref(place, parts[0], parts.length > 1 ? parts[1] : null, what + " " + e.getKey()));
                    }
                } else {
                    mountedFiles(place, what, e.getValue(), mount, mounted, out, problems);
                }
            });
        } else if (node.isArray()) {
            node.forEach(n -> mountedFiles(place, what, n, mount, mounted, out, problems));
        }
    }

    /** Every Secret the monitoring values refer to exists at its place with the key read, and every listed one is used. */
    static List<String> secretProblems(JsonNode central, JsonNode loki, JsonNode headlamp, JsonNode site, List<Listed> listed) {
        List<Ref> refs = new ArrayList<>();
        List<String> p = new ArrayList<>();
        String kps = "kube-prometheus-stack-values.yaml";
        refs.add(new Ref("monitoring", central.at("/prometheus/ingress/annotations").path("nginx.ingress.kubernetes.io/auth-secret").asText(),
                "auth", kps + " prometheus ingress auth-secret"));
        tlsSecrets("monitoring", kps, central, refs);
        tlsSecrets("monitoring", "loki-values.yaml", loki, refs);
        tlsSecrets("monitoring", "headlamp-values.yaml", headlamp, refs);
        List<String> promMounted = texts(central.at("/prometheus/prometheusSpec/secrets"));
        mountedFiles("monitoring", kps + " scrape config", central.at("/prometheus/prometheusSpec/additionalScrapeConfigs"),
                "/etc/prometheus/secrets/", promMounted, refs, p);
        List<String> amMounted = texts(central.at("/alertmanager/alertmanagerSpec/secrets"));
        mountedFiles("monitoring", kps + " receivers", central.at("/alertmanager/config"), "/etc/alertmanager/secrets/", amMounted, refs, p);
        JsonNode admin = central.at("/grafana/admin");
        refs.add(new Ref("monitoring", admin.path("existingSecret").asText(), admin.path("userKey").asText(), kps + " grafana admin"));
        refs.add(new Ref("monitoring", admin.path("existingSecret").asText(), admin.path("passwordKey").asText(), kps + " grafana admin"));
        central.at("/grafana/envValueFrom").properties().forEach(e -> refs.add(new Ref("monitoring",
                e.getValue().at("/secretKeyRef/name").asText(), e.getValue().at("/secretKeyRef/key").asText(), kps + " grafana env " + e.getKey())));
        refs.add(new Ref("monitoring", loki.at("/gateway/basicAuth/existingSecret").asText(), ".htpasswd", "loki-values.yaml gateway basicAuth"));
        for (String place : List.of("gcp", "aws")) {
            String f = "site-prometheus-values.yaml";
            for (JsonNode rw : site.at("/prometheus/prometheusSpec/remoteWrite")) {
                for (String part : List.of("username", "password")) {
                    refs.add(new Ref(place, rw.at("/basicAuth/" + part + "/name").asText(), rw.at("/basicAuth/" + part + "/key").asText(), f + " remote write " + part));
                }
            }
            mountedFiles(place, f + " receivers", site.at("/alertmanager/config"), "/etc/alertmanager/secrets/",
                    texts(site.at("/alertmanager/alertmanagerSpec/secrets")), refs, p);
        }
        Set<String> used = new LinkedHashSet<>();
        for (Ref r : refs) {
            used.add(r.name());
            Listed l = listed.stream().filter(s -> s.name().equals(r.name()) && s.at().contains(r.place())).findFirst().orElse(null);
            if (l == null) {
                p.add(r.place() + ": " + r.from() + " refers to Secret " + r.name() + ", which deploy/helm/monitoring/secrets.yaml does not list there");
            } else if (r.key() != null && !l.keys().contains(r.key())) {
                p.add(r.place() + ": " + r.from() + " reads key " + r.key() + " of Secret " + r.name() + ", listed with " + l.keys());
            }
        }
        listed.stream().filter(l -> !used.contains(l.name()))
                .forEach(l -> p.add("deploy/helm/monitoring/secrets.yaml lists " + l.name() + ", which nothing refers to"));
        return p;
    }

    @Test
    void everySecretOfTheMonitoringPathIsListedWithTheKeyRead() throws IOException {
        assertThat(secretProblems(central(), loki(), values("monitoring/headlamp-values.yaml"), sitePrometheus(), listed())).isEmpty();
    }

    @Test
    void anUnlistedSecretAWrongKeyOrAnUnmountedFileIsCaught() throws IOException {
        ObjectNode site = copy(sitePrometheus());
        ((ObjectNode) site.at("/prometheus/prometheusSpec/remoteWrite/0/basicAuth/password")).put("key", "pass");
        ObjectNode central = copy(central());
        ((ArrayNode) central.at("/alertmanager/alertmanagerSpec/secrets")).removeAll().add("alert-keys");
        ((ObjectNode) central.at("/grafana/envValueFrom/LOKI_GATEWAY_GRAFANA_PASSWORD/secretKeyRef")).put("name", "grafana-loki");
        assertThat(secretProblems(central, loki(), values("monitoring/headlamp-values.yaml"), site, listed()))
                .anySatisfy(m -> assertThat(m).contains("reads key pass of Secret twincloud-remote-write-auth"))
                .anySatisfy(m -> assertThat(m).contains("Secret twincloud-alert-receivers is not mounted"))
                .anySatisfy(m -> assertThat(m).contains("refers to Secret grafana-loki,"))
                .anySatisfy(m -> assertThat(m).contains("lists grafana-loki-auth, which nothing refers to"));
    }

    /** Grafana's Loki data source reads its password from an environment variable Grafana is given. */
    @Test
    void everyVariableInGrafanasDataSourcesIsSet() {
        JsonNode grafana = central().path("grafana");
        Matcher m = Pattern.compile("\\$\\{([A-Z0-9_]+)}").matcher(grafana.path("additionalDataSources").toString());
        List<String> vars = new ArrayList<>();
        while (m.find()) {
            vars.add(m.group(1));
        }
        assertThat(vars).isNotEmpty();
        Set<String> set = new LinkedHashSet<>();
        grafana.path("envValueFrom").fieldNames().forEachRemaining(set::add);
        grafana.path("env").fieldNames().forEachRemaining(set::add);
        assertThat(set).containsAll(vars);
    }

    // ----------------------------------------------------------------- arbiter

    /** Both the monitoring cluster's scrape of the arbiter VM and the sites' use the address and scheme in arbiter.url. */
    static List<String> arbiterScrapeProblems(JsonNode central, Map<String, JsonNode> sites) {
        List<String> p = new ArrayList<>();
        JsonNode job = null;
        for (JsonNode j : central.at("/prometheus/prometheusSpec/additionalScrapeConfigs")) {
            if (ARBITER_JOB.equals(j.path("job_name").asText())) {
                job = j;
            }
        }
        if (job == null) {
            p.add("the monitoring cluster's Prometheus has no job " + ARBITER_JOB + " (the name the rules use)");
            return p;
        }
        List<String> targets = new ArrayList<>();
        job.at("/static_configs").forEach(s -> targets.addAll(texts(s.path("targets"))));
        for (var e : sites.entrySet()) {
            URI u = URI.create(e.getValue().at("/arbiter/url").asText());
            String target = u.getHost() + ":" + u.getPort();
            if (!targets.contains(target)) {
                p.add("the monitoring cluster scrapes the arbiter at " + targets + ", " + e.getKey() + "'s arbiter.url names " + target);
            }
            if (!u.getScheme().equals(job.path("scheme").asText("http"))) {
                p.add("the monitoring cluster scrapes the arbiter with " + job.path("scheme").asText("http") + ", it serves " + u.getScheme());
            }
        }
        if ("https".equals(job.path("scheme").asText()) && job.at("/tls_config/ca_file").isMissingNode()) {
            p.add("the arbiter's certificate is checked against no CA of its own");
        }
        return p;
    }

    @Test
    void theMonitoringClusterScrapesTheArbiterWhereTheSitesReachIt() {
        assertThat(arbiterScrapeProblems(central(), siteValues())).isEmpty();
        ObjectNode moved = copy(central());
        ((ArrayNode) moved.at("/prometheus/prometheusSpec/additionalScrapeConfigs/0/static_configs/0/targets")).removeAll().add("203.0.113.51:8443");
        assertThat(arbiterScrapeProblems(moved, siteValues())).anySatisfy(m -> assertThat(m).contains("gcp's arbiter.url names 203.0.113.50:8443"));
    }

    // ------------------------------------------------- the site's own alert path

    private static List<Map<String, Object>> siteRender(String valuesFile, Map<String, Object> sets) {
        return Charts.render(Charts.SITE, Charts.values(valuesFile), sets);
    }

    /** The Prometheus Operator's job of each scrape object: the selected Service's name, or namespace/name of a PodMonitor. */
    @SuppressWarnings("unchecked")
    static Map<String, String> jobs(List<Map<String, Object>> docs) {
        Map<String, String> jobs = new LinkedHashMap<>();
        for (Map<String, Object> sm : ofKind(docs, "ServiceMonitor")) {
            Map<String, Object> selector = path(sm, "spec.selector.matchLabels");
            String port = (String) ((List<Map<String, Object>>) path(sm, "spec.endpoints")).getFirst().get("port");
            // the Services it selects that have the endpoint's port: the ones scraped
            List<Map<String, Object>> services = ofKind(docs, "Service").stream()
                    .filter(s -> ((Map<String, Object>) path(s, "metadata.labels")).entrySet().containsAll(selector.entrySet()))
                    .filter(s -> ((List<Map<String, Object>>) path(s, "spec.ports")).stream().anyMatch(p -> port.equals(p.get("name"))))
                    .toList();
            assertThat(services).as("the Service %s selects", (String) path(sm, "metadata.name")).hasSize(1);
            jobs.put("ServiceMonitor/" + path(sm, "metadata.name"), path(services.getFirst(), "metadata.name"));
        }
        for (Map<String, Object> pm : ofKind(docs, "PodMonitor")) {
            jobs.put("PodMonitor/" + path(pm, "metadata.name"), Charts.NAMESPACE + "/" + path(pm, "metadata.name"));
        }
        return jobs;
    }

    /** The site's remote write drops its own scrape of the arbiter and nothing else of the site. */
    static List<String> droppedJobProblems(JsonNode site, Map<String, String> jobs) {
        List<String> p = new ArrayList<>();
        List<Pattern> drops = new ArrayList<>();
        for (JsonNode r : site.at("/prometheus/prometheusSpec/remoteWrite/0/writeRelabelConfigs")) {
            if ("drop".equals(r.path("action").asText()) && texts(r.path("sourceLabels")).equals(List.of("job"))) {
                drops.add(Pattern.compile("^(?:" + r.path("regex").asText() + ")$"));
            }
        }
        jobs.forEach((object, job) -> {
            boolean dropped = drops.stream().anyMatch(d -> d.matcher(job).matches());
            if (job.equals(ARBITER_JOB) && !dropped) {
                p.add(object + " (job " + job + ") reaches the monitoring cluster too, which scrapes the arbiter itself: two acting arbiters there");
            } else if (!job.equals(ARBITER_JOB) && dropped) {
                p.add(object + " (job " + job + ") is dropped from the remote write: the monitoring cluster never sees it");
            }
        });
        if (!jobs.containsValue(ARBITER_JOB)) {
            p.add("no scrape object of the site has job " + ARBITER_JOB);
        }
        return p;
    }

    @Test
    void theSitesRemoteWriteDropsItsOwnArbiterScrapeAndNothingElse() {
        Map<String, String> jobs = jobs(siteRender("values-aws.yaml", Map.of()));
        assertThat(jobs).containsValues(ARBITER_JOB, "twincloud-api", "twincloud-agent");
        assertThat(droppedJobProblems(sitePrometheus(), jobs)).isEmpty();
        ObjectNode all = copy(sitePrometheus());
        ((ObjectNode) all.at("/prometheus/prometheusSpec/remoteWrite/0/writeRelabelConfigs/0")).put("regex", "twincloud-.*");
        assertThat(droppedJobProblems(all, jobs)).anySatisfy(m -> assertThat(m).contains("job twincloud-api) is dropped"));
        ObjectNode none = copy(sitePrometheus());
        ((ObjectNode) none.at("/prometheus/prometheusSpec/remoteWrite/0/writeRelabelConfigs/0")).put("regex", "twincloud-arbitre");
        assertThat(droppedJobProblems(none, jobs)).anySatisfy(m -> assertThat(m).contains("two acting arbiters"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void theStandaloneObjectsValidateAndScrapeTheArbiterAtItsUrl() {
        for (String site : List.of("gcp", "aws")) {
            List<Map<String, Object>> docs = siteRender("values-" + site + ".yaml", Map.of());
            Map<String, Object> sm = one(docs, "ServiceMonitor", ARBITER_JOB);
            assertThat(CrdSchemas.validate(SERVICE_MONITOR, sm)).isEmpty();
            Map<String, Object> endpoint = ((List<Map<String, Object>>) path(sm, "spec.endpoints")).getFirst();
            assertThat(endpoint).containsEntry("scheme", "https").containsEntry("path", "/actuator/prometheus");
            assertThat((Object) path(endpoint, "tlsConfig.ca.secret")).isEqualTo(Map.of("name", "twincloud-arbiter-ca", "key", "ca.crt"));
            assertThat(endpoint.get("relabelings")).as("the arbiter's series keep their own site label").isNull();
            var svc = StrictModel.parse(one(docs, "Service", ARBITER_JOB), io.fabric8.kubernetes.api.model.Service.class);
            var eps = StrictModel.parse(one(docs, "Endpoints", ARBITER_JOB), io.fabric8.kubernetes.api.model.Endpoints.class);
            assertThat(svc.getSpec().getSelector()).as("no selector: the Endpoints are the chart's").isNullOrEmpty();
            URI url = URI.create(values("values-" + site + ".yaml").at("/arbiter/url").asText());
            assertThat(eps.getSubsets()).singleElement().satisfies(s -> {
                assertThat(s.getAddresses()).singleElement().satisfies(a -> assertThat(a.getIp()).isEqualTo(url.getHost()));
                assertThat(s.getPorts()).singleElement().satisfies(port -> {
                    assertThat(port.getPort()).isEqualTo(url.getPort());
                    assertThat(port.getName()).isEqualTo(endpoint.get("port")).isEqualTo(svc.getSpec().getPorts().getFirst().getName());
                });
            });
            Map<String, Object> rule = one(docs, "PrometheusRule", "twincloud-standalone-alerts");
            assertThat(CrdSchemas.validate(PROMETHEUS_RULE, rule)).isEmpty();
        }
        assertThatThrownBy(() -> siteRender("values-aws.yaml", Map.of("arbiter.url", "https://arbiter.example.com:8443")))
                .hasMessageContaining("arbiter.url must name an IPv4 address");
    }

    /** The copies are the rules file's alerts, labelled path=standalone; the site's own rules are not held back. */
    @Test
    @SuppressWarnings("unchecked")
    void theStandaloneRuleCopiesTheNamedAlertsAndLabelsThemForInhibition() throws IOException {
        Map<String, Map<String, Object>> source = AlertRulesTest.alerts();
        Map<String, Object> rule = one(siteRender("values-gcp.yaml", Map.of()), "PrometheusRule", "twincloud-standalone-alerts");
        List<Map<String, Object>> groups = path(rule, "spec.groups");
        List<String> wanted = texts(values("twincloud-site/values.yaml").at("/monitoring/standalone/alerts"));
        List<Map<String, Object>> copies = (List<Map<String, Object>>) groups.getFirst().get("rules");
        assertThat(copies).extracting(r -> r.get("alert")).containsExactlyElementsOf(wanted);
        for (Map<String, Object> c : copies) {
            Map<String, Object> original = new LinkedHashMap<>(source.get((String) c.get("alert")));
            Map<String, Object> labels = new LinkedHashMap<>((Map<String, Object>) original.get("labels"));
            labels.put("path", "standalone");
            original.put("labels", labels);
            assertThat(c).isEqualTo(original);
        }
        assertThat(wanted).as("a site's Prometheus sees one agent and no edge").doesNotContain("TwincloudNoWriter", "TwincloudEdgeRoutesToNonWriter");
        Map<String, Object> own = YAML.readValue(STANDALONE_RULES.toFile(), Map.class);
        assertThat(groups.subList(1, groups.size())).isEqualTo(own.get("groups"));
        assertThat(groups.subList(1, groups.size())).allSatisfy(g -> assertThat((List<Map<String, Object>>) g.get("rules"))
                .allSatisfy(r -> assertThat((Map<String, Object>) r.get("labels")).doesNotContainKey("path")));
        assertThatThrownBy(() -> siteRender("values-gcp.yaml", Map.of("monitoring.standalone.alerts[0]", "TwincloudFailovr")))
                .hasMessageContaining("TwincloudFailovr is not an alert of monitoring/twincloud.rules.yaml");
        assertThat(ofKind(siteRender("values-gcp.yaml", Map.of("monitoring.standalone.enabled", false)), "PrometheusRule")).isEmpty();
    }

    private static List<String[]> matchers(JsonNode list) {
        List<String[]> out = new ArrayList<>();
        for (JsonNode m : list) {
            Matcher x = MATCHER.matcher(m.asText());
            if (x.matches()) {
                out.add(new String[] {x.group(1), x.group(2), x.group(3)});
            }
        }
        return out;
    }

    /** The site's Alertmanager holds path=standalone back while the reachable-heartbeat fires, and routes the heartbeat to no one. */
    static List<String> inhibitionProblems(JsonNode site) {
        List<String> p = new ArrayList<>();
        JsonNode config = site.at("/alertmanager/config");
        boolean inhibits = false;
        for (JsonNode r : config.path("inhibit_rules")) {
            List<String[]> src = matchers(r.path("source_matchers"));
            List<String[]> dst = matchers(r.path("target_matchers"));
            inhibits |= src.stream().anyMatch(m -> m[0].equals("alertname") && m[1].equals("=") && m[2].equals(REACHABLE))
                    && dst.stream().anyMatch(m -> m[0].equals("path") && m[1].equals("=") && m[2].equals("standalone"))
                    && r.path("equal").isEmpty();
        }
        if (!inhibits) {
            p.add("no inhibit rule holds path=standalone back while " + REACHABLE + " fires");
        }
        String receiver = null;
        for (JsonNode route : config.at("/route/routes")) {
            if (matchers(route.path("matchers")).stream().anyMatch(m -> m[0].equals("alertname") && m[1].equals("=") && m[2].equals(REACHABLE))) {
                receiver = route.path("receiver").asText();
                break;
            }
        }
        for (JsonNode r : config.path("receivers")) {
            if (r.path("name").asText().equals(receiver) && r.size() > 1) {
                p.add(REACHABLE + " goes to receiver " + receiver + ", which notifies someone");
            }
        }
        if (receiver == null) {
            p.add(REACHABLE + " has no route of its own: it would page");
        }
        return p;
    }

    @Test
    void theSitesAlertmanagerHoldsTheCopiesBackOnlyWhileTheMonitoringClusterIsReachable() throws IOException {
        Map<String, Object> own = YAML.readValue(STANDALONE_RULES.toFile(), Map.class);
        assertThat(own.toString()).contains("alert=" + REACHABLE);
        assertThat(inhibitionProblems(sitePrometheus())).isEmpty();
        ObjectNode wrongName = copy(sitePrometheus());
        ((ArrayNode) wrongName.at("/alertmanager/config/inhibit_rules/0/source_matchers")).removeAll().add("alertname = \"TwincloudMonitoringReachable\"");
        ((ArrayNode) wrongName.at("/alertmanager/config/route/routes")).remove(0);
        assertThat(inhibitionProblems(wrongName)).anySatisfy(m -> assertThat(m).contains("no inhibit rule"))
                .anySatisfy(m -> assertThat(m).contains("no route of its own"));
    }

    // --------------------------------------------------------------- Alertmanager

    /** Both Alertmanager configurations load ({@code amtool check-config}), and the site routes the heartbeat to no one. */
    @Test
    void amtoolAcceptsBothAlertmanagerConfigurationsAndRoutesTheHeartbeatToNoOne(@TempDir Path tmp) throws Exception {
        Path amtool = binary("amtool", "amtool");
        for (String f : List.of("kube-prometheus-stack-values.yaml", "site-prometheus-values.yaml")) {
            Path config = tmp.resolve(f);
            YAML.writeValue(config.toFile(), values("monitoring/" + f).at("/alertmanager/config"));
            Run r = run(amtool.toString(), "check-config", config.toString());
            assertThat(r.exit()).as("amtool check-config %s:%n%s", f, r.output()).isZero();
        }
        Path site = tmp.resolve("site-prometheus-values.yaml");
        assertThat(run(amtool.toString(), "config", "routes", "test", "--config.file=" + site, "alertname=" + REACHABLE, "severity=info").output().strip())
                .endsWith("null");
        assertThat(run(amtool.toString(), "config", "routes", "test", "--config.file=" + site, "alertname=TwincloudFailover", "severity=warning",
                "path=standalone").output().strip()).endsWith("oncall");
        assertThat(run(amtool.toString(), "config", "routes", "test", "--config.file=" + site, "alertname=TwincloudNoActingArbiter", "severity=critical",
                "path=standalone").output().strip()).endsWith("oncall-critical");
    }

    /**
     * A real Alertmanager (Debian's, standing in for the site's kube-prometheus-stack one) with the site's configuration:
     * a standalone copy is inhibited while the reachable-heartbeat fires and released once it resolves; the
     * unreachable alert is never held back. The receivers' key file is a temporary one and PagerDuty's URL a closed
     * local port, so nothing leaves the machine. Port: {@code -Dtwincloud.test.alertmanagerPort}, else a free one.
     */
    @Test
    void aRealAlertmanagerReleasesTheSitesCopiesWhenTheMonitoringClusterIsGone(@TempDir Path tmp) throws Exception {
        Path binary = binary("prometheus-alertmanager", "alertmanager");
        ObjectNode config = (ObjectNode) sitePrometheus().at("/alertmanager/config").deepCopy();
        Path key = Files.writeString(tmp.resolve("key"), "0123456789abcdef0123456789abcdef");
        String text = YAML.writeValueAsString(config).replace("/etc/alertmanager/secrets/twincloud-alert-receivers/pagerduty-routing-key", key.toString());
        ObjectNode local = (ObjectNode) YAML.readTree(text);
        ((ObjectNode) local.path("global")).put("pagerduty_url", "http://127.0.0.1:9/");
        Path file = tmp.resolve("alertmanager.yml");
        YAML.writeValue(file.toFile(), local);
        int port = Integer.getInteger("twincloud.test.alertmanagerPort", 0);
        if (port == 0) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
        }
        String base = "http://127.0.0.1:" + port;
        Process am = new ProcessBuilder(binary.toString(), "--config.file=" + file, "--storage.path=" + tmp.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("alertmanager.log").toFile()).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try {
            await(() -> assertThat(get(http, base + "/-/ready").statusCode()).isEqualTo(200), tmp);
            Instant now = Instant.now().minusSeconds(60);
            post(http, base, List.of(
                    alert(REACHABLE, Map.of("severity", "info"), now, null),
                    alert("TwincloudFailover", Map.of("severity", "warning", "site", "aws", "kind", "FAILOVER", "path", "standalone"), now, null),
                    alert("TwincloudMonitoringClusterUnreachable", Map.of("severity", "warning"), now, null)));
            await(() -> {
                JsonNode alerts = alerts(http, base);
                assertThat(state(alerts, "TwincloudFailover")).isEqualTo("suppressed");
                assertThat(alerts.toString()).contains("inhibitedBy");
                assertThat(state(alerts, "TwincloudMonitoringClusterUnreachable")).isEqualTo("active");
            }, tmp);
            // remote write stalls: the heartbeat resolves
            post(http, base, List.of(alert(REACHABLE, Map.of("severity", "info"), now, Instant.now().minusSeconds(1))));
            await(() -> assertThat(state(alerts(http, base), "TwincloudFailover")).isEqualTo("active"), tmp);
        } finally {
            am.destroy();
            if (!am.waitFor(10, TimeUnit.SECONDS)) {
                am.destroyForcibly();
            }
        }
    }

    private static Map<String, Object> alert(String name, Map<String, String> labels, Instant start, Instant end) {
        Map<String, Object> l = new LinkedHashMap<>(labels);
        l.put("alertname", name);
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("labels", l);
        a.put("annotations", Map.of("summary", name));
        a.put("startsAt", start.toString());
        if (end != null) {
            a.put("endsAt", end.toString());
        }
        return a;
    }

    private static void post(HttpClient http, String base, List<Map<String, Object>> alerts) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v2/alerts"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(new ObjectMapper().writeValueAsString(alerts))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("POST alerts: %s", r.body()).isEqualTo(200);
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode alerts(HttpClient http, String base) throws Exception {
        return new ObjectMapper().readTree(get(http, base + "/api/v2/alerts").body());
    }

    private static String state(JsonNode alerts, String name) {
        for (JsonNode a : alerts) {
            if (name.equals(a.at("/labels/alertname").asText())) {
                return a.at("/status/state").asText();
            }
        }
        return "absent";
    }

    interface Check {
        void run() throws Exception;
    }

    /** Retries the check for up to 60 s (a shared, slow machine); the last failure, with Alertmanager's log, otherwise. */
    private static void await(Check check, Path tmp) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                check.run();
                return;
            } catch (Exception | AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("Alertmanager's log:\n" + Files.readString(tmp.resolve("alertmanager.log")), e);
                }
                Thread.sleep(200);
            }
        }
    }

    record Run(int exit, String output) {
    }

    private static Run run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    /** A binary of Debian's prometheus-alertmanager on the PATH; skipped without it, except under CI. */
    static Path binary(String... names) {
        for (String name : names) {
            for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
                if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                    return Path.of(dir, name);
                }
            }
        }
        String why = String.join(" or ", names) + " not found on the PATH (Debian: apt-get install prometheus-alertmanager; .ci/run installs it)";
        if (System.getenv("CI") != null) {
            throw new AssertionError(why);
        }
        Assumptions.abort(why);
        return null;
    }

    // ------------------------------------------------------- monitoring cluster

    /** The release in the monitoring cluster renders the rules and the dashboards, nothing of a site, and needs no site. */
    @Test
    @SuppressWarnings("unchecked")
    void theMonitoringClustersReleaseRendersTheRulesAndDashboardsAlone() throws IOException {
        List<Map<String, Object>> docs = Charts.render(Charts.SITE, Charts.values("monitoring/twincloud-monitoring-values.yaml"), Map.of());
        assertThat(docs).extracting(d -> d.get("kind")).containsOnly("PrometheusRule", "ConfigMap");
        Map<String, Object> pr = one(docs, "PrometheusRule", "twincloud-alerts");
        assertThat(CrdSchemas.validate(PROMETHEUS_RULE, pr)).isEmpty();
        Map<String, Object> file = YAML.readValue(AlertRulesTest.RULES.toFile(), Map.class);
        assertThat(((List<?>) path(pr, "spec.groups")).size()).isEqualTo(((List<?>) file.get("groups")).size());
        assertThat(ofKind(docs, "ConfigMap")).isNotEmpty().allSatisfy(c ->
                assertThat(((Map<String, Object>) path(c, "metadata.labels"))).containsEntry("grafana_dashboard", "1"));
        // Grafana's sidecar looks for what the chart's ConfigMaps carry.
        JsonNode sidecar = central().at("/grafana/sidecar/dashboards");
        JsonNode chart = values("twincloud-site/values.yaml").at("/monitoring/dashboards");
        assertThat(sidecar.path("label").asText()).isEqualTo(chart.path("label").asText());
        assertThat(sidecar.path("labelValue").asText()).isEqualTo(chart.path("labelValue").asText());
        assertThat(sidecar.path("folderAnnotation").asText()).isEqualTo("grafana_folder");
        assertThat(central().at("/prometheus/prometheusSpec/ruleSelectorNilUsesHelmValues").asBoolean(true))
                .as("the monitoring cluster's Prometheus loads a PrometheusRule without kps's release label").isFalse();
    }

    /** Everything the monitoring cluster serves goes through one ingress class, at the address and ranges the Terraform gives it. */
    @Test
    @SuppressWarnings("unchecked")
    void theIngressControllerIsTheTerraformsInternalLoadBalancer() {
        JsonNode nginx = values("monitoring/ingress-nginx-values.yaml").path("controller");
        String cls = nginx.at("/ingressClassResource/name").asText();
        Consumer<JsonNode> usesIt = ing -> assertThat(ing.path("ingressClassName").asText()).isEqualTo(cls);
        usesIt.accept(central().at("/prometheus/ingress"));
        usesIt.accept(central().at("/grafana/ingress"));
        usesIt.accept(loki().at("/gateway/ingress"));
        usesIt.accept(values("monitoring/headlamp-values.yaml").path("ingress"));
        var module = TerraformTree.module("monitoring-cluster");
        assertThat(module.text()).contains("ingress_ip = cidrhost(var.subnet_cidr, 10)");
        String subnet = (String) module.variables().get("subnet_cidr").get("default");
        String[] base = subnet.split("/")[0].split("\\.");
        String expected = base[0] + "." + base[1] + "." + base[2] + "." + (Integer.parseInt(base[3]) + 10);
        assertThat(nginx.at("/service/loadBalancerIP").asText()).as("host 10 of %s", subnet).isEqualTo(expected);
        assertThat(nginx.at("/service/annotations").path("networking.gke.io/load-balancer-type").asText()).isEqualTo("Internal");
        assertThat(nginx.at("/service/annotations").path("networking.gke.io/internal-load-balancer-allow-global-access").asText())
                .as("the arbiter's VM comes from another region").isEqualTo("true");
        List<String> clients = new ArrayList<>();
        clients.add((String) TerraformTree.module("aws-site").variables().get("vpc_cidr").get("default"));
        for (String v : List.of("subnet_cidr", "pods_cidr", "services_cidr")) {
            clients.add((String) TerraformTree.module("gcp-site").variables().get(v).get("default"));
        }
        clients.add((String) TerraformTree.module("arbiter-site").variables().get("subnet_cidr").get("default"));
        assertThat(texts(nginx.at("/service/loadBalancerSourceRanges"))).as("the env's client_cidrs, from the modules' defaults")
                .containsExactlyInAnyOrderElementsOf(clients);
        String env = TerraformTree.envs().stream().filter(d -> d.name().equals("example")).findFirst().orElseThrow().text();
        assertThat(env).contains("client_cidrs               = concat([module.aws_site.vpc_cidr], module.gcp_site.subnet_cidrs, [module.arbiter.subnet_cidr])");
    }

    @Test
    void lokisBucketsAreTheOnesTheTerraformMakes() {
        var module = TerraformTree.module("monitoring-cluster");
        Matcher m = Pattern.compile("loki_buckets = toset\\(\\[([^]]*)]\\)").matcher(module.text());
        assertThat(m.find()).isTrue();
        Set<String> uses = new LinkedHashSet<>();
        for (String s : m.group(1).split(",")) {
            uses.add(s.strip().replace("\"", ""));
        }
        assertThat(module.text()).contains("name          = \"${var.project_id}-${var.name}-loki-${each.key}\"");
        JsonNode names = loki().at("/loki/storage/bucketNames");
        Set<String> keys = new LinkedHashSet<>();
        names.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).isEqualTo(uses);
        names.properties().forEach(e -> assertThat(e.getValue().asText()).endsWith("-loki-" + e.getKey()));
        assertThat(loki().at("/loki/storage/type").asText()).isEqualTo("gcs");
        assertThat(loki().at("/serviceAccount/name").asText())
                .isEqualTo(module.variables().get("loki_kubernetes_service_account").get("default"));
    }
}
