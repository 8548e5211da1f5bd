package dev.twincloud.deploy.helm;

import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.ofKind;
import static dev.twincloud.deploy.helm.Charts.path;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import com.networknt.schema.JsonSchema;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The site chart, rendered by real Helm with each provider's values file. */
class SiteChartTest {
    private static final JsonSchema CLUSTER_SCHEMA = CrdSchemas.schemaFor("postgresql.cnpg.io_clusters.yaml", "v1");

    record Site(String valuesFile, String site, String peer, boolean initialPrimary) {
        @Override
        public String toString() {
            return valuesFile;
        }
    }

    static Stream<Site> sites() {
        return Stream.of(new Site("values-gcp.yaml", "gcp", "aws", true), new Site("values-aws.yaml", "aws", "gcp", false));
    }

    private static List<Map<String, Object>> render(Site s) {
        return Charts.render(Charts.SITE, Charts.values(s.valuesFile()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void lintsCleanInStrictMode(Site s, @TempDir Path work) {
        LintResult lint = Charts.lint(Charts.SITE, Charts.values(s.valuesFile()), work);
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void everyCoreObjectParsesStrictlyIntoTheKubernetesModel(Site s) {
        List<Map<String, Object>> docs = render(s);
        assertThat(docs).extracting(StrictModel::key).contains("postgresql.cnpg.io/v1/Cluster", "apps/v1/Deployment").isSubsetOf(
                "v1/ServiceAccount", "apps/v1/Deployment", "v1/Service", "autoscaling/v2/HorizontalPodAutoscaler",
                "policy/v1/PodDisruptionBudget", "rbac.authorization.k8s.io/v1/Role",
                "rbac.authorization.k8s.io/v1/RoleBinding", "postgresql.cnpg.io/v1/Cluster",
                "monitoring.coreos.com/v1/ServiceMonitor", "monitoring.coreos.com/v1/PodMonitor",
                "storage.k8s.io/v1/StorageClass", "networking.k8s.io/v1/NetworkPolicy",
                // the log shipper (docs/logging.md)
                "v1/ConfigMap", "apps/v1/DaemonSet",
                // the site's own alert path: the arbiter as a scrape target, the standalone rules (docs/observability.md)
                "v1/Endpoints", "monitoring.coreos.com/v1/PrometheusRule",
                // backups (docs/backups.md): the plugin's store, the schedule, the restore drill, Velero
                "barmancloud.cnpg.io/v1/ObjectStore", "postgresql.cnpg.io/v1/ScheduledBackup", "batch/v1/CronJob",
                "velero.io/v1/BackupStorageLocation", "velero.io/v1/Schedule");
        docs.stream().filter(StrictModel::isCore).forEach(d -> assertThat(StrictModel.parse(d)).isNotNull());
    }

    @Test
    void strictParsingRejectsAMisspeltField() {
        Map<String, Object> deployment = Map.of("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", Map.of("name", "x"),
                "spec", Map.of("template", Map.of("spec", Map.of("containers",
                        List.of(Map.of("name", "c", "readinesProbe", Map.of())))))); // sic
        assertThatThrownBy(() -> StrictModel.parse(deployment)).hasMessageContaining("readinesProbe");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void clusterValidatesAgainstTheCloudNativePgCrdSchema(Site s) {
        Map<String, Object> cluster = one(render(s), "Cluster", "twincloud-db-" + s.site());
        assertThat(CrdSchemas.validate(CLUSTER_SCHEMA, cluster)).isEmpty();
    }

    @Test
    void schemaValidationCatchesAnUnknownClusterField() {
        Map<String, Object> cluster = one(render(sites().findFirst().orElseThrow()), "Cluster", "twincloud-db-gcp");
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = new java.util.HashMap<>((Map<String, Object>) cluster.get("spec"));
        spec.put("replicaa", Map.of("primary", "x"));
        Map<String, Object> broken = new java.util.HashMap<>(cluster);
        broken.put("spec", spec);
        assertThat(CrdSchemas.validate(CLUSTER_SCHEMA, broken)).anySatisfy(m -> assertThat(m).contains("replicaa"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void clusterIsOneHalfOfTheDistributedTopology(Site s) {
        Map<String, Object> cluster = one(render(s), "Cluster", "twincloud-db-" + s.site());
        String self = "twincloud-db-" + s.site();
        String peer = "twincloud-db-" + s.peer();
        assertThat((String) path(cluster, "spec.replica.self")).isEqualTo(self);
        assertThat((String) path(cluster, "spec.replica.source")).isEqualTo(peer);
        assertThat((String) path(cluster, "spec.replica.primary")).isEqualTo("twincloud-db-gcp");
        assertThat((Object) path(cluster, "spec.replica.enabled")).as("distributed topology: primary decides, not enabled").isNull();
        List<Map<String, Object>> external = path(cluster, "spec.externalClusters");
        assertThat(external).singleElement().satisfies(e -> {
            assertThat(e.get("name")).isEqualTo(peer);
            assertThat((String) path(e, "connectionParameters.sslmode")).isEqualTo("verify-full");
            assertThat((String) path(e, "connectionParameters.user")).isEqualTo("streaming_replica");
            assertThat((String) path(e, "connectionParameters.application_name")).isEqualTo(s.site());
            assertThat((String) path(e, "sslCert.name")).isEqualTo("twincloud-db-replication-tls");
            assertThat((String) path(e, "sslRootCert.name")).isEqualTo("twincloud-db-ca");
            assertThat(e).doesNotContainKey("password");
        });
        assertThat((Map<String, Object>) path(cluster, "spec.certificates")).containsKeys(
                "serverCASecret", "serverTLSSecret", "clientCASecret", "replicationTLSSecret");
        if (s.initialPrimary()) {
            assertThat((String) path(cluster, "spec.bootstrap.initdb.database")).isEqualTo("app");
        } else {
            assertThat((String) path(cluster, "spec.bootstrap.pg_basebackup.source")).isEqualTo(peer);
        }
        assertThat((Map<String, Object>) path(cluster, "metadata.annotations"))
                .as("helm uninstall keeps the database; the agent alone sets the fencing annotation")
                .containsEntry("helm.sh/resource-policy", "keep").doesNotContainKey("cnpg.io/fencedInstances");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void postgresKnowsItsSiteAndLeavesSynchronousReplicationToTheAgent(Site s) {
        Map<String, Object> cluster = one(render(s), "Cluster", "twincloud-db-" + s.site());
        Map<String, Object> params = path(cluster, "spec.postgresql.parameters");
        assertThat(params).containsEntry("twincloud.site", s.site()).doesNotContainKey("synchronous_standby_names");
        assertThat((Object) path(cluster, "spec.postgresql.synchronous")).isNull();
        assertThat((Object) path(cluster, "spec.minSyncReplicas")).isNull();
        assertThat((Boolean) path(cluster, "spec.enableSuperuserAccess")).isTrue();
    }

    @Test
    void refusesToSetSynchronousStandbyNames() {
        Site gcp = sites().findFirst().orElseThrow();
        assertThatThrownBy(() -> Charts.render(Charts.SITE, Charts.values(gcp.valuesFile()),
                Map.of("postgres.parameters.synchronous_standby_names", "aws")))
                .hasMessageContaining("the agent manages it");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void apiProbesPointAtTheRightHealthGroups(Site s) {
        Deployment api = StrictModel.parse(one(render(s), "Deployment", "twincloud-api"), Deployment.class);
        Container c = api.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(httpPath(c.getLivenessProbe())).isEqualTo("/actuator/health/liveness");
        assertThat(httpPath(c.getStartupProbe())).isEqualTo("/actuator/health/liveness");
        assertThat(httpPath(c.getReadinessProbe())).as("a standby site's pods serve reads: readiness, not writer")
                .isEqualTo("/actuator/health/readiness");
        assertThat(c.getLivenessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("http");
        assertThat(c.getPorts()).extracting(p -> p.getName() + ":" + p.getContainerPort())
                .containsExactly("http:8080", "health:8081");
        assertThat(env(c, "TWINCLOUD_HEALTH_PORT").getValue()).as("the writer health's own listener").isEqualTo("8081");
        io.fabric8.kubernetes.api.model.Service svc = StrictModel.parse(one(render(s), "Service", "twincloud-api"),
                io.fabric8.kubernetes.api.model.Service.class);
        assertThat(svc.getSpec().getPorts()).extracting(p -> p.getName() + ":" + p.getPort() + "->" + p.getTargetPort().getStrVal())
                .as("the global LB's health check port").contains("health:8081->health");
        assertThat(env(c, "TWINCLOUD_API_REQUIRE_LEASE").getValue()).isEqualTo("true");
        assertThat(env(c, "SERVER_ADDRESS").getValue()).isEqualTo("0.0.0.0");
        assertThat(env(c, "SPRING_DATASOURCE_URL").getValue()).startsWith("jdbc:postgresql://twincloud-db-" + s.site() + "-rw:5432/app");
        assertThat(env(c, "DATABASE_USER").getValue()).isEqualTo("twincloud_app");
        assertThat(env(c, "DATABASE_PASSWORD").getValueFrom().getSecretKeyRef().getName()).isEqualTo("twincloud-db-app");
        assertThat(env(c, "DATABASE_MIGRATION_USER").getValue()).as("Flyway runs as the owner (docs/fencing.md)")
                .isEqualTo("twincloud_owner");
        assertThat(env(c, "DATABASE_MIGRATION_PASSWORD").getValueFrom().getSecretKeyRef().getName()).isEqualTo("twincloud-db-owner");
        assertThat(env(c, "LOGGING_STRUCTURED_FORMAT_CONSOLE").getValue()).as("JSON lines for the shipper (docs/logging.md)")
                .isEqualTo("logstash");
        assertThat(env(c, "TWINCLOUD_SITE").getValue()).as("the site field of its log lines").isEqualTo(s.site());
        assertThat(env(c, "TWINCLOUD_READS_READ_LEASE_URL").getValue()).as("its own agent's read lease (design rule 10)")
                .isEqualTo("http://twincloud-agent.twincloud.svc:8091/actuator/readlease");
        assertThat(env(c, "TWINCLOUD_READS_MAX_STALENESS").getValue()).isEqualTo("1s");
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void apiScalesAndSurvivesDisruptions(Site s) {
        List<Map<String, Object>> docs = render(s);
        Map<String, Object> hpa = one(docs, "HorizontalPodAutoscaler", "twincloud-api");
        assertThat((String) path(hpa, "spec.scaleTargetRef.name")).isEqualTo("twincloud-api");
        assertThat((Integer) path(hpa, "spec.minReplicas")).isGreaterThanOrEqualTo(2);
        PodDisruptionBudget pdb = StrictModel.parse(one(docs, "PodDisruptionBudget", "twincloud-api"), PodDisruptionBudget.class);
        Deployment api = StrictModel.parse(one(docs, "Deployment", "twincloud-api"), Deployment.class);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(api.getSpec().getSelector().getMatchLabels());
        assertThat(api.getSpec().getReplicas()).as("the HPA owns the replica count").isNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void agentDrivesItsOwnClusterWithOneReplicaAtATime(Site s) {
        Deployment agent = StrictModel.parse(one(render(s), "Deployment", "twincloud-agent"), Deployment.class);
        assertThat(agent.getSpec().getReplicas()).isEqualTo(1);
        assertThat(agent.getSpec().getStrategy().getType()).isEqualTo("Recreate");
        Container c = agent.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(env(c, "TWINCLOUD_DRIVER").getValue()).isEqualTo("cnpg");
        assertThat(env(c, "TWINCLOUD_SITE").getValue()).isEqualTo(s.site());
        assertThat(env(c, "LOGGING_STRUCTURED_FORMAT_CONSOLE").getValue()).isEqualTo("logstash");
        assertThat(env(c, "TWINCLOUD_PEER_SITE").getValue()).isEqualTo(s.peer());
        assertThat(env(c, "TWINCLOUD_CNPG_CLUSTER").getValue()).isEqualTo("twincloud-db-" + s.site());
        assertThat(env(c, "TWINCLOUD_CNPG_NAMESPACE").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.namespace");
        assertThat(env(c, "TWINCLOUD_DB_PASSWORD").getValueFrom().getSecretKeyRef().getName())
                .isEqualTo("twincloud-db-superuser");
        assertThat(env(c, "TWINCLOUD_AGENT_TOKEN").getValueFrom().getSecretKeyRef().getName()).isEqualTo("twincloud-agent-token");
        assertThat(env(c, "TWINCLOUD_CNPG_ENSURE_ROLES").getValue()).as("nobody else grants the production roles").isEqualTo("true");
        assertThat(httpPath(c.getLivenessProbe())).isEqualTo("/actuator/health/liveness");
        assertThat(httpPath(c.getReadinessProbe())).isEqualTo("/actuator/health/readiness");
        assertThat(agent.getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("twincloud-agent");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void agentRbacIsLeastPrivilege(Site s) {
        List<Map<String, Object>> docs = render(s);
        assertThat(ofKind(docs, "ClusterRole")).isEmpty();
        assertThat(ofKind(docs, "ClusterRoleBinding")).isEmpty();
        Role role = StrictModel.parse(one(docs, "Role", "twincloud-agent"), Role.class);
        assertThat(role.getRules()).hasSize(2);
        PolicyRule clusters = rule(role, "postgresql.cnpg.io");
        assertThat(clusters.getResources()).containsExactly("clusters");
        assertThat(clusters.getResourceNames()).containsExactly("twincloud-db-" + s.site());
        assertThat(clusters.getVerbs()).containsExactlyInAnyOrder("get", "patch");
        PolicyRule pods = rule(role, "");
        assertThat(pods.getResources()).containsExactly("pods");
        assertThat(pods.getVerbs()).containsExactlyInAnyOrder("get", "list");
        role.getRules().forEach(r -> {
            assertThat(r.getVerbs()).doesNotContain("*", "delete", "create", "update", "deletecollection", "escalate", "bind");
            assertThat(r.getResources()).doesNotContain("*", "secrets");
        });
        Map<String, Object> binding = one(docs, "RoleBinding", "twincloud-agent");
        assertThat((String) path(binding, "roleRef.kind")).isEqualTo("Role");
        assertThat((List<Map<String, Object>>) path(binding, "subjects")).singleElement()
                .satisfies(sub -> assertThat(sub).containsEntry("name", "twincloud-agent").containsEntry("namespace", Charts.NAMESPACE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void secretsAreOnlyReferencedNeverInlined(Site s) {
        List<Map<String, Object>> docs = render(s);
        assertThat(ofKind(docs, "Secret")).as("the chart creates no Secret").isEmpty();
        for (Map<String, Object> d : ofKind(docs, "Deployment")) {
            Deployment dep = StrictModel.parse(d, Deployment.class);
            var pod = dep.getSpec().getTemplate().getSpec();
            for (Container c : pod.getContainers()) {
                for (EnvVar e : c.getEnv()) {
                    if (e.getName().matches(".*(PASSWORD|TOKEN|SECRET|KEY).*") && !e.getName().endsWith("_KEY_ID")
                            && !isFileInASecretVolume(pod, c, e.getValue())) {
                        assertThat(e.getValue()).as("%s in %s must come from a Secret", e.getName(), dep.getMetadata().getName()).isNull();
                        assertThat(e.getValueFrom().getSecretKeyRef()).isNotNull();
                    }
                }
            }
        }
        // A password is only ever a reference: Kubernetes expands $(VAR) from a secretKeyRef variable.
        String rendered = docs.toString().toLowerCase().replace("password=$(", "password-from-secret(");
        assertThat(rendered).doesNotContain("-----begin", "password=", "aws_secret_access_key");
    }

    /** A path (e.g. SERVER_SSL_CERTIFICATEPRIVATEKEY) to a file of a Secret volume the container mounts: a reference too. */
    private static boolean isFileInASecretVolume(io.fabric8.kubernetes.api.model.PodSpec pod, Container c, String value) {
        if (value == null || !value.startsWith("/")) {
            return false;
        }
        return c.getVolumeMounts().stream().anyMatch(m -> value.startsWith(m.getMountPath() + "/")
                && pod.getVolumes().stream().anyMatch(v -> v.getName().equals(m.getName()) && v.getSecret() != null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void podsRunAsNonRootWithoutPrivileges(Site s) {
        for (Map<String, Object> d : ofKind(render(s), "Deployment")) {
            var pod = StrictModel.parse(d, Deployment.class).getSpec().getTemplate().getSpec();
            assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
            assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(65532L);
            assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
            for (Container c : pod.getContainers()) {
                assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
                assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
                assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
                assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).containsKey("memory");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("sites")
    void monitoringScrapesApiAgentAndPostgres(Site s) {
        List<Map<String, Object>> docs = render(s);
        // The agent's actuator is on its management port (its API port is the failsafe's, reached from the other site).
        for (var name : Map.of("twincloud-api", "http", "twincloud-agent", "management").entrySet()) {
            Map<String, Object> sm = one(docs, "ServiceMonitor", name.getKey());
            assertThat((List<Map<String, Object>>) path(sm, "spec.endpoints")).singleElement()
                    .satisfies(e -> assertThat(e).containsEntry("path", "/actuator/prometheus").containsEntry("port", name.getValue()));
            Map<String, Object> svc = one(docs, "Service", name.getKey());
            assertThat(String.valueOf((Object) path(svc, "spec.ports"))).contains("name=" + name.getValue());
            assertThat(((Map<?, ?>) path(sm, "spec.selector.matchLabels")).get("app.kubernetes.io/name")).isEqualTo(name.getKey());
        }
        Map<String, Object> pm = one(docs, "PodMonitor", "twincloud-db-" + s.site());
        assertThat(((Map<?, ?>) path(pm, "spec.selector.matchLabels")).get("cnpg.io/cluster")).isEqualTo("twincloud-db-" + s.site());
    }

    @Test
    void requiredValuesAreEnforced() {
        Site gcp = sites().findFirst().orElseThrow();
        assertThatThrownBy(() -> Charts.render(Charts.SITE, Charts.values(gcp.valuesFile()), Map.of("arbiter.url", "")))
                .hasMessageContaining("arbiter.url is required");
        assertThatThrownBy(() -> Charts.render(Charts.SITE, Charts.values(gcp.valuesFile()), Map.of("initialPrimarySite", "azure")))
                .hasMessageContaining("initialPrimarySite must be");
    }

    private static String httpPath(Probe p) {
        return p.getHttpGet().getPath();
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name + " in " + c.getName()));
    }

    private static PolicyRule rule(Role role, String apiGroup) {
        return role.getRules().stream().filter(r -> r.getApiGroups().equals(List.of(apiGroup))).findFirst()
                .orElseThrow(() -> new AssertionError("no rule for API group '" + apiGroup + "'"));
    }
}
