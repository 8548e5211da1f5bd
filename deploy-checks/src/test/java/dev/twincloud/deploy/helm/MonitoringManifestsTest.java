package dev.twincloud.deploy.helm;

import static dev.twincloud.deploy.helm.Charts.ofKind;
import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The monitoring objects the charts render (ServiceMonitor, PodMonitor, PrometheusRule; the dashboards'
 * ConfigMaps) validate against the vendored Prometheus Operator CRDs, and carry exactly the repository's
 * rules file and dashboards: one source for the chart and the lab.
 */
class MonitoringManifestsTest {
    private static final String PO = "../prometheus-operator/";
    private static final JsonSchema SERVICE_MONITOR = CrdSchemas.schemaFor(PO + "monitoring.coreos.com_servicemonitors.yaml", "v1");
    private static final JsonSchema POD_MONITOR = CrdSchemas.schemaFor(PO + "monitoring.coreos.com_podmonitors.yaml", "v1");
    private static final JsonSchema PROMETHEUS_RULE = CrdSchemas.schemaFor(PO + "monitoring.coreos.com_prometheusrules.yaml", "v1");
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Map<String, Object> WITH_RULES = Map.of("monitoring.prometheusRule.enabled", true);

    private static List<Map<String, Object>> site(String valuesFile, Map<String, Object> sets) {
        return Charts.render(Charts.SITE, Charts.values(valuesFile), sets);
    }

    @ParameterizedTest
    @ValueSource(strings = {"values-gcp.yaml", "values-aws.yaml"})
    @SuppressWarnings("unchecked")
    void siteMonitoringObjectsValidateAgainstTheCrdsAndLabelTheSite(String valuesFile) {
        List<Map<String, Object>> docs = site(valuesFile, WITH_RULES);
        String site = valuesFile.replace("values-", "").replace(".yaml", "");
        // the api's and the agent's, and the arbiter's for the site's own alert path (monitoring.standalone,
        // MonitoringClusterTest): the arbiter's series keep their own site label
        assertThat(ofKind(docs, "ServiceMonitor")).hasSize(3)
                .allSatisfy(sm -> assertThat(CrdSchemas.validate(SERVICE_MONITOR, sm)).isEmpty());
        for (String component : List.of("twincloud-api", "twincloud-agent")) {
            assertThat((List<Map<String, Object>>) path(one(docs, "ServiceMonitor", component), "spec.endpoints")).allSatisfy(e ->
                    assertThat((List<Map<String, Object>>) e.get("relabelings"))
                            .contains(Map.of("targetLabel", "site", "replacement", site)));
        }
        assertThat(ofKind(docs, "PodMonitor")).singleElement().satisfies(pm -> assertThat(CrdSchemas.validate(POD_MONITOR, pm)).isEmpty());
        assertThat(ofKind(docs, "PrometheusRule")).extracting(pr -> path(pr, "metadata.name"))
                .containsExactlyInAnyOrder("twincloud-alerts", "twincloud-standalone-alerts");
        assertThat(ofKind(docs, "PrometheusRule")).allSatisfy(pr -> assertThat(CrdSchemas.validate(PROMETHEUS_RULE, pr)).isEmpty());
    }

    @Test
    void arbiterServiceMonitorValidates() {
        List<Map<String, Object>> docs = Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml"));
        assertThat(ofKind(docs, "ServiceMonitor")).singleElement()
                .satisfies(sm -> assertThat(CrdSchemas.validate(SERVICE_MONITOR, sm)).isEmpty());
    }

    /** The validation can fail: a misspelt field of a rule is reported. */
    @Test
    @SuppressWarnings("unchecked")
    void aMisspeltRuleFieldIsReported() {
        Map<String, Object> pr = one(site("values-gcp.yaml", WITH_RULES), "PrometheusRule", "twincloud-alerts");
        Map<String, Object> rule = ((List<Map<String, Object>>) ((List<Map<String, Object>>) path(pr, "spec.groups")).getFirst()
                .get("rules")).getFirst();
        rule.put("fore", rule.remove("for"));
        assertThat(CrdSchemas.validate(PROMETHEUS_RULE, pr)).anySatisfy(m -> assertThat(m).contains("fore"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void thePrometheusRuleIsTheRulesFileWithTheRunbooksUrl() throws IOException {
        Map<String, Object> file = YAML.readValue(AlertRulesTest.RULES.toFile(), Map.class);
        Map<String, Object> pr = one(site("values-gcp.yaml", WITH_RULES), "PrometheusRule", "twincloud-alerts");
        assertThat((Object) path(pr, "spec.groups")).isEqualTo(file.get("groups"));

        String url = "https://git.example.org/twincloud/blob/main/docs/runbooks.md";
        Map<String, Object> linked = one(site("values-gcp.yaml", Map.of("monitoring.prometheusRule.enabled", true,
                "monitoring.runbooksUrl", url)), "PrometheusRule", "twincloud-alerts");
        for (Map<String, Object> g : (List<Map<String, Object>>) path(linked, "spec.groups")) {
            for (Map<String, Object> r : (List<Map<String, Object>>) g.get("rules")) {
                assertThat((String) ((Map<String, Object>) r.get("annotations")).get("runbook_url")).startsWith(url + "#twincloud");
            }
        }
        assertThat(ofKind(site("values-gcp.yaml", Map.of()), "PrometheusRule")).extracting(r -> path(r, "metadata.name"))
                .as("off by default: a site's Prometheus lacks the other site").doesNotContain("twincloud-alerts");
    }

    @Test
    void theDashboardsShipAsConfigMapsForGrafanasSidecar() throws IOException {
        List<Map<String, Object>> configMaps = ofKind(site("values-gcp.yaml", Map.of()), "ConfigMap").stream()
                .filter(c -> "1".equals(((Map<?, ?>) path(c, "metadata.labels")).get("grafana_dashboard"))).toList();
        List<Path> dashboards;
        try (Stream<Path> s = Files.list(AlertRulesTest.MONITORING.resolve("dashboards"))) {
            dashboards = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(dashboards).hasSizeGreaterThanOrEqualTo(2);
        assertThat(configMaps).hasSameSizeAs(dashboards);
        for (Path d : dashboards) {
            String file = d.getFileName().toString();
            Map<String, Object> cm = configMaps.stream().filter(c -> ((Map<?, ?>) c.get("data")).containsKey(file)).findFirst()
                    .orElseThrow(() -> new AssertionError("no ConfigMap carries " + file));
            assertThat(YAML.readTree((String) ((Map<?, ?>) cm.get("data")).get(file))).isEqualTo(YAML.readTree(d.toFile()));
            assertThat((String) path(cm, "metadata.annotations.grafana_folder")).isEqualTo("twincloud");
        }
    }
}
