package dev.twincloud.arbiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.protocol.Timing;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.util.unit.DataSize;

class ArbiterPropertiesTest {

    static ArbiterProperties props(List<String> sites, String writer, String agentToken, String operatorToken) {
        return new ArbiterProperties(sites, writer, Durability.SYNC, Duration.ofMillis(2500), Duration.ofMillis(250),
                Duration.ofMillis(1500), Duration.ofMillis(1000), DataSize.ofMegabytes(16), Duration.ofSeconds(10),
                null, Duration.ofMillis(100), Path.of("state"), agentToken, operatorToken, null, null, null, null, null, null);
    }

    @Test
    void turnsIntoTheCoresConfig() {
        var p = props(List.of("gcp", "aws"), "gcp", "agent-token-0123456789", "operator-token-0123456789");
        assertThat(p.toConfig().sites()).containsExactly(SiteId.of("gcp"), SiteId.of("aws"));
        assertThat(p.toConfig().maxLagBytes()).isEqualTo(16L * 1024 * 1024);
        assertThat(p.toString()).doesNotContain("0123456789");
    }

    @Test
    void switchoverArchiveWaitDefaultsToTheReferenceAndZeroTurnsItOffButNegativeIsRefused() {
        assertThat(bind(Map.of("switchover-archive-wait", "0s")).toConfig().switchoverArchiveWait()).isZero();
        assertThat(bind(Map.of()).toConfig().switchoverArchiveWait()).isEqualTo(Duration.ofSeconds(10));
        assertThatThrownBy(() -> bind(Map.of("switchover-archive-wait", "-1s")))
                .hasMessageContaining("switchover-archive-wait must be zero (no wait) or positive");
    }

    @Test
    void unsetTimingTakesTheReferenceValuesOfTheCore() {
        var p = new ArbiterProperties(List.of("gcp", "aws"), "gcp", Durability.SYNC, null, null, null, null, null, null,
                null, Duration.ofMillis(100), Path.of("state"), "agent-token-0123456789", "operator-token-0123456789", null, null, null,
                null, null, null);
        assertThat(p.toConfig()).isEqualTo(ArbiterConfig.defaults(List.of(SiteId.of("gcp"), SiteId.of("aws"))));
    }

    @Test
    void emptyTimingValuesAsApplicationYmlPassesThemBindToTheReferenceValues() {
        var values = new java.util.HashMap<String, String>(Map.of("twincloud.arbiter.sites", "gcp,aws",
                "twincloud.arbiter.initial-writer", "gcp", "twincloud.arbiter.mode", "SYNC",
                "twincloud.arbiter.tick-interval", "100ms", "twincloud.arbiter.state-dir", "state",
                "twincloud.arbiter.agent-token", "agent-token-0123456789",
                "twincloud.arbiter.operator-token", "operator-token-0123456789"));
        for (String k : List.of("lease-ttl", "margin", "report-timeout", "standby-loss-timeout", "max-lag-bytes", "switchover-timeout",
                "switchover-archive-wait", "read-lease-ttl")) {
            values.put("twincloud.arbiter." + k, "");
        }
        var p = new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("twincloud.arbiter", ArbiterProperties.class);
        assertThat(p.toConfig()).isEqualTo(ArbiterConfig.defaults(List.of(SiteId.of("gcp"), SiteId.of("aws"))));
        values.put("twincloud.arbiter.lease-ttl", "4s");
        var q = new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("twincloud.arbiter", ArbiterProperties.class);
        assertThat(q.leaseTtl()).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void refusesToStartWithoutTokensAndSaysWhichVariablesToSet() {
        assertThatThrownBy(() -> props(List.of("gcp", "aws"), "gcp", "", null))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("agent-token is missing: set TWINCLOUD_AGENT_TOKEN (at least 16 characters)")
                .hasMessageContaining("operator-token is missing: set TWINCLOUD_OPERATOR_TOKEN");
    }

    @Test
    void refusesShortOrSharedTokens() {
        assertThatThrownBy(() -> props(List.of("gcp", "aws"), "gcp", "short", "operator-token-0123456789"))
                .hasMessageContaining("agent-token is too short (5 characters)");
        assertThatThrownBy(() -> props(List.of("gcp", "aws"), "gcp", "same-token-0123456789", "same-token-0123456789"))
                .hasMessageContaining("agent-token and operator-token must differ");
    }

    static ArbiterProperties withViewer(String viewerToken) {
        return new ArbiterProperties(List.of("gcp", "aws"), "gcp", Durability.SYNC, null, null, null, null, null, null,
                null, Duration.ofMillis(100), Path.of("state"), "agent-token-0123456789", "operator-token-0123456789", viewerToken,
                null, null, null, null, null);
    }

    @Test
    void theViewerTokenIsOptionalButWhenSetLongEnoughAndItsOwn() {
        assertThat(withViewer(null).viewer()).isEmpty();
        assertThat(withViewer("  ").viewer()).as("blank, as application.yml passes an unset variable").isEmpty();
        var p = withViewer("viewer-token-0123456789");
        assertThat(p.viewer()).contains("viewer-token-0123456789");
        assertThat(p.toString()).doesNotContain("0123456789").contains("viewerToken=***");
        assertThatThrownBy(() -> withViewer("short-viewer"))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("viewer-token is too short (12 characters): TWINCLOUD_VIEWER_TOKEN needs at least 16");
        assertThatThrownBy(() -> withViewer("operator-token-0123456789"))
                .hasMessageContaining("viewer-token must differ from agent-token and operator-token");
        assertThatThrownBy(() -> withViewer("agent-token-0123456789"))
                .hasMessageContaining("viewer-token must differ from agent-token and operator-token");
    }

    @Test
    void refusesSitesThatAreNotTwoDistinctValidNames() {
        assertThatThrownBy(() -> props(List.of("gcp"), "gcp", "agent-token-0123456789", "operator-token-0123456789"))
                .hasMessageContaining("exactly two distinct sites");
        assertThatThrownBy(() -> props(List.of("gcp", "AWS"), "gcp", "agent-token-0123456789", "operator-token-0123456789"))
                .hasMessageContaining("invalid site name 'AWS'");
        assertThatThrownBy(() -> props(List.of("gcp", "aws"), "azure", "agent-token-0123456789", "operator-token-0123456789"))
                .hasMessageContaining("initial-writer must be one of [gcp, aws]");
    }

    @Test
    void leaderElectionNeedsItsNamesAndAHolderThatStopsBeforeAnotherMayStart() {
        var p = props(List.of("gcp", "aws"), "gcp", "agent-token-0123456789", "operator-token-0123456789");
        assertThat(p.leaderElection().enabled()).as("off unless asked for").isFalse();
        assertThatThrownBy(() -> withElection(new ArbiterProperties.LeaderElection(true, "", "twincloud-arbiter", " ",
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), false)))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("leader-election.namespace must be set")
                .hasMessageContaining("leader-election.identity must be set");
        assertThatThrownBy(() -> withElection(new ArbiterProperties.LeaderElection(true, "ns", "lease", "pod-0",
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(2), false)))
                .hasMessageContaining("needs lease-duration > renew-deadline > retry-period");
        assertThatThrownBy(() -> withElection(new ArbiterProperties.LeaderElection(true, "ns", "lease", "pod-0",
                Duration.ofMillis(2500), Duration.ofSeconds(2), Duration.ofMillis(500), false)))
                .hasMessageContaining("lease-duration must be whole seconds");
        var ok = withElection(new ArbiterProperties.LeaderElection(true, "ns", "lease", "pod-0",
                Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2), false));
        assertThat(ok.leaderElection().identity()).isEqualTo("pod-0");
    }

    static ArbiterProperties withElection(ArbiterProperties.LeaderElection election) {
        return new ArbiterProperties(List.of("gcp", "aws"), "gcp", Durability.SYNC, Duration.ofMillis(2500),
                Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofMillis(1000), DataSize.ofMegabytes(16),
                Duration.ofSeconds(10), null, Duration.ofMillis(100), Path.of("state"), "agent-token-0123456789",
                "operator-token-0123456789", null, election, null, null, null, null);
    }

    /** Binds {@code twincloud.arbiter.*} as Spring does, from valid basics plus {@code extra}. */
    static ArbiterProperties bind(Map<String, String> extra) {
        var values = new java.util.HashMap<String, String>(Map.of("twincloud.arbiter.sites", "gcp,aws",
                "twincloud.arbiter.initial-writer", "gcp", "twincloud.arbiter.mode", "SYNC",
                "twincloud.arbiter.tick-interval", "100ms", "twincloud.arbiter.state-dir", "state",
                "twincloud.arbiter.agent-token", "agent-token-0123456789",
                "twincloud.arbiter.operator-token", "operator-token-0123456789"));
        extra.forEach((k, v) -> values.put("twincloud.arbiter." + k, v));
        try {
            return new Binder(new MapConfigurationPropertySource(values)).bindOrCreate("twincloud.arbiter", ArbiterProperties.class);
        } catch (RuntimeException e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof StartupRefused refused) {
                    throw refused; // as StartupFailureAnalyzer finds it
                }
            }
            throw e;
        }
    }

    @Test
    void theStoreIsTheFileUnlessAnotherIsNamed() {
        assertThat(bind(Map.of()).storeKind()).isEqualTo(ArbiterProperties.StoreKind.FILE);
        assertThat(bind(Map.of("store", "kubernetes", "kubernetes.namespace", "twincloud")).storeKind())
                .isEqualTo(ArbiterProperties.StoreKind.KUBERNETES);
        assertThatThrownBy(() -> bind(Map.of("store", "zookeeper")))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("store must be file, etcd or kubernetes (TWINCLOUD_ARBITER_STORE), got 'zookeeper'");
    }

    @Test
    void theEtcdStoreNeedsHttpEndpointsAndATimeoutWellInsideTheLease() {
        var ok = bind(Map.of("store", "etcd", "etcd.endpoints", "http://10.0.0.5:2379,https://10.0.0.6:2379"));
        assertThat(ok.etcd().endpoints()).containsExactly("http://10.0.0.5:2379", "https://10.0.0.6:2379");
        assertThat(ok.etcd().keyPrefix()).isEqualTo("/twincloud/arbiter/");
        assertThat(ok.etcd().timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThatThrownBy(() -> bind(Map.of("store", "etcd")))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("etcd.endpoints must name at least one etcd member (TWINCLOUD_ARBITER_ETCD_ENDPOINTS");
        assertThatThrownBy(() -> bind(Map.of("store", "etcd", "etcd.endpoints", "10.0.0.5:2379")))
                .hasMessageContaining("etcd.endpoints: '10.0.0.5:2379' is not an http:// or https:// URL with a host and a port");
        assertThatThrownBy(() -> bind(Map.of("store", "etcd", "etcd.endpoints", "http://e:2379", "etcd.timeout", "2500ms")))
                .hasMessageContaining("etcd.timeout must be shorter than lease-ttl");
        assertThatThrownBy(() -> bind(Map.of("store", "etcd", "etcd.endpoints", "http://e:2379", "etcd.key-prefix", "")))
                .hasMessageContaining("etcd.key-prefix must be set");
        assertThat(bind(Map.of("etcd.endpoints", "not a url")).storeKind()).as("checked only for the etcd store")
                .isEqualTo(ArbiterProperties.StoreKind.FILE);
    }

    @Test
    void theKubernetesStoreNeedsANamespaceAndAValidConfigMapName() {
        var ok = bind(Map.of("store", "kubernetes", "kubernetes.namespace", "twincloud"));
        assertThat(ok.kubernetes().configMap()).isEqualTo("twincloud-arbiter-state");
        assertThatThrownBy(() -> bind(Map.of("store", "kubernetes")))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("kubernetes.namespace must be set (TWINCLOUD_ARBITER_KUBERNETES_NAMESPACE");
        assertThatThrownBy(() -> bind(Map.of("store", "kubernetes", "kubernetes.namespace", "twincloud",
                "kubernetes.config-map", "Arbiter_State")))
                .hasMessageContaining("kubernetes.config-map 'Arbiter_State' is not a valid ConfigMap name");
    }

    @Test
    void electionThroughEtcdNeedsNoKubernetesNamespace() {
        var p = bind(Map.of("store", "etcd", "etcd.endpoints", "http://e:2379", "leader-election.enabled", "true",
                "leader-election.identity", "vm-1", "leader-election.lease-duration", "6s",
                "leader-election.renew-deadline", "4s", "leader-election.retry-period", "1s"));
        assertThat(p.leaderElection().enabled()).isTrue();
        assertThatThrownBy(() -> bind(Map.of("store", "etcd", "etcd.endpoints", "http://e:2379", "leader-election.enabled",
                "true", "leader-election.identity", "vm-1", "leader-election.lease-duration", "6s",
                "leader-election.renew-deadline", "4s", "leader-election.retry-period", "1s", "leader-election.label-pod", "true")))
                .hasMessageContaining("leader-election.label-pod needs the Kubernetes API");
        assertThatThrownBy(() -> bind(Map.of("leader-election.enabled", "true", "leader-election.identity", "pod-0",
                "leader-election.lease-duration", "6s", "leader-election.renew-deadline", "4s",
                "leader-election.retry-period", "1s")))
                .hasMessageContaining("leader-election.namespace must be set")
                .hasMessageContaining("leader-election.lease-name must be set");
    }
}
