package dev.twincloud.deploy.helm;

import static dev.twincloud.deploy.helm.Charts.one;
import static dev.twincloud.deploy.helm.Charts.ofKind;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arbiter's own release, for the third failure domain. */
class ArbiterChartTest {
    private static final Path VALUES = Charts.values("values-arbiter.yaml");

    @Test
    void lintsCleanInStrictMode(@TempDir Path work) {
        LintResult lint = Charts.lint(Charts.ARBITER, VALUES, work);
        assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
    }

    @Test
    void oneArbiterOwnsItsStateVolumeAndNeedsNoKubernetesApi() {
        List<Map<String, Object>> docs = Charts.render(Charts.ARBITER, VALUES);
        docs.stream().filter(StrictModel::isCore).forEach(StrictModel::parse);
        Deployment d = StrictModel.parse(one(docs, "Deployment", "twincloud-arbiter"), Deployment.class);
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);
        assertThat(d.getSpec().getStrategy().getType()).as("never two arbiters on one RWO volume").isEqualTo("Recreate");
        assertThat(d.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();
        assertThat(ofKind(docs, "Role")).isEmpty();
        Container c = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(env(c, "TWINCLOUD_STATE_DIR").getValue()).isEqualTo("/var/lib/twincloud/arbiter");
        assertThat(env(c, "LOGGING_STRUCTURED_FORMAT_CONSOLE").getValue()).as("JSON lines (docs/logging.md)").isEqualTo("logstash");
        assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/var/lib/twincloud/arbiter"));
        assertThat(env(c, "TWINCLOUD_AGENT_TOKEN").getValueFrom().getSecretKeyRef().getName()).isEqualTo("twincloud-arbiter-tokens");
        assertThat(env(c, "TWINCLOUD_OPERATOR_TOKEN").getValueFrom().getSecretKeyRef().getKey()).isEqualTo("operator-token");
        var viewer = env(c, "TWINCLOUD_VIEWER_TOKEN").getValueFrom().getSecretKeyRef();
        assertThat(viewer.getName()).isEqualTo("twincloud-arbiter-tokens");
        assertThat(viewer.getKey()).isEqualTo("viewer-token");
        assertThat(viewer.getOptional()).as("a Secret made before the viewer token still starts the arbiter").isTrue();
        assertThat(c.getEnv()).noneSatisfy(e -> assertThat(e.getName()).startsWith("TWINCLOUD_ARBITER_LEADER_ELECTION"));
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/liveness");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        PersistentVolumeClaim pvc = StrictModel.parse(one(docs, "PersistentVolumeClaim", "twincloud-arbiter-state"), PersistentVolumeClaim.class);
        assertThat(pvc.getMetadata().getAnnotations()).containsEntry("helm.sh/resource-policy", "keep");
        assertThat(ofKind(docs, "Secret")).isEmpty();
        Map<String, Object> svc = one(docs, "Service", "twincloud-arbiter");
        assertThat((List<String>) Charts.path(svc, "spec.loadBalancerSourceRanges")).isNotEmpty().doesNotContain("0.0.0.0/0");
        assertThat((Map<String, Object>) Charts.path(svc, "spec.selector")).doesNotContainKey("twincloud.dev/arbiter-role");
    }

    @Test
    void theViewerTokenCanBeLeftOut() {
        List<Map<String, Object>> docs = Charts.render(Charts.ARBITER, VALUES, Map.of("tokens.viewerTokenKey", ""));
        Deployment d = StrictModel.parse(one(docs, "Deployment", "twincloud-arbiter"), Deployment.class);
        assertThat(d.getSpec().getTemplate().getSpec().getContainers().getFirst().getEnv())
                .noneSatisfy(e -> assertThat(e.getName()).isEqualTo("TWINCLOUD_VIEWER_TOKEN"));
    }

    @Test
    void severalArbitersElectALeaderThroughOneLease() {
        List<Map<String, Object>> docs = Charts.render(Charts.ARBITER, VALUES,
                Map.of("replicas", 2, "persistence.accessMode", "ReadWriteMany"));
        docs.stream().filter(StrictModel::isCore).forEach(StrictModel::parse);
        Role role = StrictModel.parse(one(docs, "Role", "twincloud-arbiter-leader-election"), Role.class);
        var leaseRules = role.getRules().stream().filter(r -> r.getResources().contains("leases")).toList();
        assertThat(leaseRules).allSatisfy(r -> {
            assertThat(r.getApiGroups()).containsExactly("coordination.k8s.io");
            assertThat(r.getResources()).containsExactly("leases");
        });
        assertThat(leaseRules).anySatisfy(r -> {
            assertThat(r.getResourceNames()).containsExactly("twincloud-arbiter");
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "update", "patch");
        });
        assertThat(leaseRules).filteredOn(r -> r.getResourceNames().isEmpty())
                .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("create"));
        // Labelling its own pod: read and patch pods, nothing else (no list, delete, exec, secrets).
        assertThat(role.getRules()).filteredOn(r -> !r.getResources().contains("leases")).singleElement().satisfies(r -> {
            assertThat(r.getApiGroups()).containsExactly("");
            assertThat(r.getResources()).containsExactly("pods");
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "patch");
        });
        // Every replica is ready; the Service selects the pod the elected one labelled.
        Map<String, Object> svc = one(docs, "Service", "twincloud-arbiter");
        assertThat((Map<String, Object>) Charts.path(svc, "spec.selector")).containsEntry("twincloud.dev/arbiter-role", "leader");
        Deployment d = StrictModel.parse(one(docs, "Deployment", "twincloud-arbiter"), Deployment.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(env(c, "TWINCLOUD_ARBITER_LEADER_ELECTION_ENABLED").getValue()).isEqualTo("true");
        assertThat(env(c, "TWINCLOUD_ARBITER_LEADER_ELECTION_LEASE_NAME").getValue()).isEqualTo("twincloud-arbiter");
        assertThat(env(c, "TWINCLOUD_ARBITER_LEADER_ELECTION_IDENTITY").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
        assertThat(env(c, "TWINCLOUD_ARBITER_LEADER_ELECTION_LABEL_POD").getValue()).isEqualTo("true");
        assertThat(d.getSpec().getStrategy().getType()).as("replicas replaced one by one").isEqualTo("RollingUpdate");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/actuator/health/readiness");
        assertThat(one(docs, "PodDisruptionBudget", "twincloud-arbiter")).isNotNull();
    }

    @Test
    void severalArbitersWithoutSharedStateAreRefused() {
        assertThatThrownBy(() -> Charts.render(Charts.ARBITER, VALUES, Map.of("replicas", 2)))
                .hasMessageContaining("ReadWriteMany");
    }

    @Test
    void withTheKubernetesStoreTheStateIsAConfigMapAndReplicasNeedNoSharedVolume() {
        List<Map<String, Object>> docs = Charts.render(Charts.ARBITER, VALUES, Map.of("replicas", 2, "store.kind", "kubernetes"));
        docs.stream().filter(StrictModel::isCore).forEach(StrictModel::parse);
        Deployment d = StrictModel.parse(one(docs, "Deployment", "twincloud-arbiter"), Deployment.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().getFirst();
        assertThat(env(c, "TWINCLOUD_ARBITER_STORE").getValue()).isEqualTo("kubernetes");
        assertThat(env(c, "TWINCLOUD_ARBITER_KUBERNETES_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
                .isEqualTo("metadata.namespace");
        assertThat(env(c, "TWINCLOUD_ARBITER_KUBERNETES_CONFIG_MAP").getValue()).isEqualTo("twincloud-arbiter-state");
        assertThat(d.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isTrue();
        assertThat(ofKind(docs, "PersistentVolumeClaim")).as("the state is in the ConfigMap").isEmpty();
        assertThat(d.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getName().equals("state"))
                .singleElement().satisfies(v -> assertThat(v.getEmptyDir()).as("only the replica's own history").isNotNull());
        Role role = StrictModel.parse(one(docs, "Role", "twincloud-arbiter-state"), Role.class);
        assertThat(role.getRules()).allSatisfy(r -> {
            assertThat(r.getApiGroups()).containsExactly("");
            assertThat(r.getResources()).containsExactly("configmaps");
        });
        assertThat(role.getRules()).anySatisfy(r -> {
            assertThat(r.getResourceNames()).containsExactly("twincloud-arbiter-state");
            assertThat(r.getVerbs()).containsExactlyInAnyOrder("get", "update");
        });
        assertThat(role.getRules()).filteredOn(r -> r.getResourceNames().isEmpty())
                .singleElement().satisfies(r -> assertThat(r.getVerbs()).containsExactly("create"));
        assertThat(one(docs, "RoleBinding", "twincloud-arbiter-state")).isNotNull();

        List<Map<String, Object>> single = Charts.render(Charts.ARBITER, VALUES, Map.of("store.kind", "kubernetes"));
        Deployment one = StrictModel.parse(one(single, "Deployment", "twincloud-arbiter"), Deployment.class);
        assertThat(one.getSpec().getStrategy().getType()).as("one arbiter acting at a time").isEqualTo("Recreate");
        assertThat(one.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isTrue();
    }

    @Test
    void theStoreIsTheFileByDefaultAndAnUnknownKindIsRefused() {
        Deployment d = StrictModel.parse(one(Charts.render(Charts.ARBITER, VALUES), "Deployment", "twincloud-arbiter"),
                Deployment.class);
        assertThat(env(d.getSpec().getTemplate().getSpec().getContainers().getFirst(), "TWINCLOUD_ARBITER_STORE").getValue())
                .isEqualTo("file");
        assertThatThrownBy(() -> Charts.render(Charts.ARBITER, VALUES, Map.of("store.kind", "etcd")))
                .hasMessageContaining("store.kind must be file or kubernetes");
    }

    private static EnvVar env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no env " + name));
    }
}
