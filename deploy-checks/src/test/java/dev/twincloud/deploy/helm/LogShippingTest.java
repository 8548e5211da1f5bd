package dev.twincloud.deploy.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The production log path (docs/logging.md, "Production"): each site's Fluent Bit, rendered from the site chart with
 * the provider's values, sends its namespace's container logs to the Loki that deploy/helm/monitoring/loki-values.yaml
 * exposes, labelled with its own site; Loki keeps them as long as the docs say; Grafana has Loki as a data source.
 * The upstream charts (grafana/loki, kube-prometheus-stack) are not here to render: their values are checked as data.
 */
class LogShippingTest {
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final Path MONITORING = Charts.HELM.resolve("monitoring");

    record Site(String valuesFile, String site) {
        @Override
        public String toString() {
            return valuesFile;
        }
    }

    static Stream<Site> sites() {
        return Stream.of(new Site("values-gcp.yaml", "gcp"), new Site("values-aws.yaml", "aws"));
    }

    private static JsonNode yaml(Path file) throws IOException {
        return YAML.readTree(Files.readString(file));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void eachSiteShipsItsNamespacesLogsToTheMonitoringClustersLokiLabelledWithItsSite(Site s) throws IOException {
        List<Map<String, Object>> docs = Charts.render(Charts.SITE, Charts.values(s.valuesFile()));
        String conf = StrictModel.parse(Charts.one(docs, "ConfigMap", "twincloud-log-shipper"), ConfigMap.class)
                .getData().get("fluent-bit.conf");
        String lokiHost = yaml(MONITORING.resolve("loki-values.yaml")).path("gateway").path("ingress").path("hosts").get(0)
                .path("host").asText();
        assertThat(conf).containsPattern("(?m)^\\s+Host\\s+" + java.util.regex.Pattern.quote(lokiHost) + "$")
                .containsPattern("(?m)^\\s+Port\\s+443$").containsPattern("(?m)^\\s+tls\\s+On$")
                .contains("Path              /var/log/containers/*_" + Charts.NAMESPACE + "_*.log")
                .contains("site=" + s.site() + ",")
                .contains("component=$kubernetes['labels']['app.kubernetes.io/name']")
                .as("the request id stays in the line, not a label").doesNotContain("request_id");
        DaemonSet ds = StrictModel.parse(Charts.one(docs, "DaemonSet", "twincloud-log-shipper"), DaemonSet.class);
        Container c = ds.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(c.getArgs()).containsExactly("--config=/fluent-bit/etc/twincloud/fluent-bit.conf");
        assertThat(c.getVolumeMounts()).anySatisfy(m -> {
            assertThat(m.getMountPath()).isEqualTo("/var/log");
            assertThat(m.getReadOnly()).isTrue();
        });
        assertThat(c.getEnv()).extracting(e -> e.getName() + "<-" + e.getValueFrom().getSecretKeyRef().getName())
                .containsExactly("LOKI_USER<-twincloud-loki-auth", "LOKI_PASSWORD<-twincloud-loki-auth");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(ds.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("twincloud-log-shipper");
        io.fabric8.kubernetes.api.model.rbac.Role role = StrictModel.parse(Charts.one(docs, "Role", "twincloud-log-shipper"),
                io.fabric8.kubernetes.api.model.rbac.Role.class);
        assertThat(role.getRules()).as("reads its namespace's pods' labels, nothing more").singleElement().satisfies(r -> {
            assertThat(r.getResources()).containsExactly("pods");
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "list", "watch");
        });
        assertThat(Charts.one(docs, "RoleBinding", "twincloud-log-shipper")).isNotNull();
    }

    @Test
    void withoutALokiHostTheShipperIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Charts.render(Charts.SITE, Charts.values("values-gcp.yaml"),
                Map.of("logShipping.loki.host", ""))).hasMessageContaining("logShipping.loki.host is required");
    }

    @Test
    void lokiKeepsLogsAsLongAsTheDocsSayAndGrafanaReadsIt() throws IOException {
        JsonNode loki = yaml(MONITORING.resolve("loki-values.yaml"));
        assertThat(loki.path("loki").path("limits_config").path("retention_period").asText()).isEqualTo("720h");
        assertThat(loki.path("loki").path("compactor").path("retention_enabled").asBoolean()).isTrue();
        assertThat(Files.readString(Charts.HELM.getParent().getParent().resolve("docs/logging.md")))
                .as("docs/logging.md states the retention").contains("30 days");
        JsonNode sources = yaml(MONITORING.resolve("kube-prometheus-stack-values.yaml")).path("grafana").path("additionalDataSources");
        assertThat(sources).anySatisfy(d -> {
            assertThat(d.path("type").asText()).isEqualTo("loki");
            assertThat(d.path("url").asText()).as("the gateway's Service of release 'loki' in 'monitoring'")
                    .isEqualTo("http://loki-gateway.monitoring.svc.cluster.local");
        });
    }
}
