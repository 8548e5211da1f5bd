package dev.twincloud.arbiter;

import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.protocol.Timing;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

/**
 * The arbiter's settings, {@code twincloud.arbiter.*}; environment variables are named in
 * application.yml. Timing settings left unset take the reference values of {@link Timing} (the one
 * place they are written). Validated when bound: the arbiter does not start with an invalid or
 * missing setting, and says which.
 *
 * @param sites              the two sites (failure domains)
 * @param initialWriter      the writer of epoch 1, used only when no state file exists yet
 * @param mode               durability mode of a new state file (afterwards the stored mode wins)
 * @param leaseTtl           how long a write lease lasts, timed from the heartbeat's receipt
 * @param margin             extra wait past a lease's end before another site may write (clock drift)
 * @param reportTimeout      a site whose last heartbeat is older than this is not fresh
 * @param standbyLossTimeout sync mode: how long the writer may miss its standby before dropping to async
 * @param maxLagBytes        async mode: the largest lag with which a standby stays eligible
 * @param switchoverTimeout  a planned switchover not completed by then (from the old writer's fence) is aborted
 * @param switchoverArchiveWait how long a planned switchover lets the old writer keep writing while it
 *                           reports WAL waiting for its archiver, before it fences it anyway; 0: no wait
 * @param tickInterval       how often the arbiter decides without a heartbeat (alerts, failover)
 * @param stateDir           where state.json and events.jsonl live
 * @param agentToken         bearer token of the agents (heartbeat, status)
 * @param operatorToken      bearer token of operators (status, switchover, promote, mode, events)
 * @param viewerToken        optional bearer token that may only read (status, events, history: the
 *                           status page); unset or blank means no viewer token (the page then takes
 *                           the operator token)
 * @param leaderElection     several replicas: which one acts, elected through a Kubernetes Lease (or,
 *                           with the etcd store, an etcd lease)
 * @param store              where the durable state is kept: {@code file} (default), {@code etcd}, {@code kubernetes}
 * @param etcd               the etcd store's settings
 * @param kubernetes         the Kubernetes store's settings
 * @param readLeaseTtl       sync mode: read leases of the synchronous standby (docs/design.md rule 10);
 *                           0 turns them off. The writer drops to async only once the last one has
 *                           ended plus the margin.
 */
@ConfigurationProperties("twincloud.arbiter")
public record ArbiterProperties(
        List<String> sites,
        String initialWriter,
        Durability mode,
        Duration leaseTtl,
        Duration margin,
        Duration reportTimeout,
        Duration standbyLossTimeout,
        DataSize maxLagBytes,
        Duration switchoverTimeout,
        Duration switchoverArchiveWait,
        Duration tickInterval,
        Path stateDir,
        String agentToken,
        String operatorToken,
        String viewerToken,
        LeaderElection leaderElection,
        String store,
        Etcd etcd,
        KubernetesStore kubernetes,
        Duration readLeaseTtl) {

    public static final int MIN_TOKEN_LENGTH = 16;

    /** Where the durable state is kept (docs/arbiter.md, "Where the state is stored"). */
    public enum StoreKind {
        /** {@code state-dir/state.json}, fsynced: one replica (or several on a shared volume). */
        FILE,
        /** An etcd key: VMs and the lab. */
        ETCD,
        /** A ConfigMap through the Kubernetes API: clusters. */
        KUBERNETES;

        String setting() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * {@code twincloud.arbiter.etcd.*}, for {@code store=etcd}.
     *
     * @param endpoints the members' client URLs ({@code http://host:2379}, comma-separated)
     * @param keyPrefix the state is {@code <prefix>state}, the election's key {@code <prefix>leader}
     * @param timeout   longest wait for one etcd request; shorter than the lease ttl, since a decision
     *                  waits for its save
     */
    public record Etcd(List<String> endpoints, String keyPrefix, Duration timeout) {

        public Etcd {
            endpoints = endpoints == null ? List.of()
                    : endpoints.stream().map(String::strip).filter(e -> !e.isEmpty()).toList();
            keyPrefix = keyPrefix == null ? "/twincloud/arbiter/" : keyPrefix;
            timeout = timeout == null ? Duration.ofSeconds(1) : timeout;
        }

        void check(List<String> problems, Duration leaseTtl) {
            if (endpoints.isEmpty()) {
                problems.add("etcd.endpoints must name at least one etcd member (TWINCLOUD_ARBITER_ETCD_ENDPOINTS, "
                        + "e.g. http://10.0.0.5:2379,http://10.0.0.6:2379)");
            }
            for (String e : endpoints) {
                if (!httpUrl(e)) {
                    problems.add("etcd.endpoints: '" + e + "' is not an http:// or https:// URL with a host and a port");
                }
            }
            if (keyPrefix.isBlank()) {
                problems.add("etcd.key-prefix must be set (TWINCLOUD_ARBITER_ETCD_KEY_PREFIX, e.g. /twincloud/arbiter/)");
            }
            positive(problems, "etcd.timeout", timeout);
            if (timeout != null && leaseTtl != null && timeout.compareTo(leaseTtl) >= 0) {
                problems.add("etcd.timeout must be shorter than lease-ttl (" + leaseTtl.toMillis()
                        + " ms): a decision waits for its save, got " + timeout.toMillis() + " ms");
            }
        }

        private static boolean httpUrl(String s) {
            try {
                URI u = new URI(s);
                return ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null && u.getPort() > 0;
            } catch (URISyntaxException e) {
                return false;
            }
        }
    }

    /**
     * {@code twincloud.arbiter.kubernetes.*}, for {@code store=kubernetes}.
     *
     * @param namespace the ConfigMap's namespace (the chart passes the pod's)
     * @param configMap the ConfigMap that holds the state
     */
    public record KubernetesStore(String namespace, String configMap) {

        private static final Pattern DNS_SUBDOMAIN =
                Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

        public KubernetesStore {
            namespace = namespace == null ? "" : namespace.strip();
            configMap = configMap == null || configMap.isBlank() ? "twincloud-arbiter-state" : configMap.strip();
        }

        void check(List<String> problems) {
            if (namespace.isEmpty()) {
                problems.add("kubernetes.namespace must be set (TWINCLOUD_ARBITER_KUBERNETES_NAMESPACE, the pod's namespace)");
            }
            if (configMap.length() > 253 || !DNS_SUBDOMAIN.matcher(configMap).matches()) {
                problems.add("kubernetes.config-map '" + configMap + "' is not a valid ConfigMap name (lower-case letters, "
                        + "digits, '-' and '.', at most 253)");
            }
        }
    }

    /**
     * {@code twincloud.arbiter.leader-election.*}: with {@code enabled}, the replicas compete for the
     * {@code coordination.k8s.io} Lease {@code namespace/lease-name}; only the holder loads the state
     * and answers. A holder stops acting {@code renew-deadline} after its last successful renewal; a
     * candidate takes over {@code lease-duration} after the holder's last renewal, so the gap between
     * the two is {@code lease-duration - renew-deadline} (it must cover the replicas' clock skew).
     *
     * @param enabled       compete for the Lease (the Helm chart sets it when replicas > 1)
     * @param namespace     the Lease's namespace (the pod's own)
     * @param leaseName     the Lease's name
     * @param identity      this replica's name in the Lease (the pod name)
     * @param leaseDuration how long a holder's renewal keeps the others out
     * @param renewDeadline how long the holder keeps acting without a successful renewal
     * @param retryPeriod   how often the holder renews and candidates try
     * @param labelPod      label this replica's pod (named {@code identity}) {@code twincloud.dev/arbiter-role:
     *                      leader|follower} for a Service that selects the leader
     */
    public record LeaderElection(boolean enabled, String namespace, String leaseName, String identity,
                                 Duration leaseDuration, Duration renewDeadline, Duration retryPeriod,
                                 boolean labelPod) {

        public static final LeaderElection OFF = new LeaderElection(false, "", "twincloud-arbiter", "",
                Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofSeconds(1), false);

        void check(List<String> problems, StoreKind store) {
            if (!enabled) {
                return;
            }
            String p = "leader-election.";
            if (store != StoreKind.ETCD && (namespace == null || namespace.isBlank())) { // etcd elects in etcd
                problems.add(p + "namespace must be set (TWINCLOUD_ARBITER_LEADER_ELECTION_NAMESPACE)");
            }
            if (store != StoreKind.ETCD && (leaseName == null || leaseName.isBlank())) {
                problems.add(p + "lease-name must be set (TWINCLOUD_ARBITER_LEADER_ELECTION_LEASE_NAME)");
            }
            if (identity == null || identity.isBlank()) {
                problems.add(p + "identity must be set (TWINCLOUD_ARBITER_LEADER_ELECTION_IDENTITY, the pod name)");
            }
            if (store == StoreKind.ETCD && labelPod) {
                problems.add(p + "label-pod needs the Kubernetes API; with store=etcd the replicas elect in etcd and "
                        + "label no pod (route to all replicas: the others answer 503 not-leader)");
            }
            positive(problems, p + "lease-duration", leaseDuration);
            if (leaseDuration != null && leaseDuration.toMillis() % 1000 != 0) {
                // the Lease stores whole seconds: 2500ms would let others take over after 2 s
                problems.add(p + "lease-duration must be whole seconds (the Lease stores seconds), got " + leaseDuration);
            }
            positive(problems, p + "renew-deadline", renewDeadline);
            positive(problems, p + "retry-period", retryPeriod);
            if (leaseDuration != null && renewDeadline != null && retryPeriod != null
                    && !(leaseDuration.compareTo(renewDeadline) > 0 && renewDeadline.compareTo(retryPeriod) > 0)) {
                problems.add(p + "needs lease-duration > renew-deadline > retry-period (a holder must stop acting "
                        + "before another may take over), got " + leaseDuration + ", " + renewDeadline + ", " + retryPeriod);
            }
        }
    }

    public ArbiterProperties {
        leaseTtl = leaseTtl == null ? Timing.LEASE_TTL : leaseTtl;
        margin = margin == null ? Timing.MARGIN : margin;
        reportTimeout = reportTimeout == null ? Timing.REPORT_TIMEOUT : reportTimeout;
        standbyLossTimeout = standbyLossTimeout == null ? Timing.STANDBY_LOSS_TIMEOUT : standbyLossTimeout;
        maxLagBytes = maxLagBytes == null ? DataSize.ofBytes(Timing.MAX_LAG_BYTES) : maxLagBytes;
        switchoverTimeout = switchoverTimeout == null ? Timing.SWITCHOVER_TIMEOUT : switchoverTimeout;
        readLeaseTtl = readLeaseTtl == null ? Timing.READ_LEASE_TTL : readLeaseTtl;
        switchoverArchiveWait = switchoverArchiveWait == null ? Timing.SWITCHOVER_ARCHIVE_WAIT : switchoverArchiveWait;
        List<String> problems = new ArrayList<>();
        sites = sites == null ? List.of() : List.copyOf(sites);
        if (sites.size() != 2 || sites.get(0).equals(sites.get(1))) {
            problems.add("sites must name exactly two distinct sites (TWINCLOUD_SITES, e.g. gcp,aws), got " + sites);
        }
        for (String s : sites) {
            try {
                SiteId.of(s);
            } catch (IllegalArgumentException e) {
                problems.add("sites: " + e.getMessage());
            }
        }
        if (initialWriter == null || !sites.contains(initialWriter)) {
            problems.add("initial-writer must be one of " + sites + " (TWINCLOUD_INITIAL_WRITER), got '" + initialWriter + "'");
        }
        if (mode == null) {
            problems.add("mode must be SYNC or ASYNC (TWINCLOUD_MODE)");
        }
        positive(problems, "lease-ttl", leaseTtl);
        positive(problems, "report-timeout", reportTimeout);
        positive(problems, "standby-loss-timeout", standbyLossTimeout);
        positive(problems, "switchover-timeout", switchoverTimeout);
        positive(problems, "tick-interval", tickInterval);
        if (switchoverArchiveWait.isNegative()) {
            problems.add("switchover-archive-wait must be zero (no wait) or positive, got " + switchoverArchiveWait);
        }
        if (margin == null || margin.isNegative()) {
            problems.add("margin must be zero or positive, got " + margin);
        }
        if (readLeaseTtl.isNegative()) {
            problems.add("read-lease-ttl must be zero (off) or positive, got " + readLeaseTtl);
        } else if (reportTimeout != null && readLeaseTtl.compareTo(reportTimeout) > 0) {
            problems.add("read-lease-ttl (" + readLeaseTtl + ") must not exceed report-timeout (" + reportTimeout + ")");
        }
        if (maxLagBytes == null || maxLagBytes.isNegative()) {
            problems.add("max-lag-bytes must be zero or positive, got " + maxLagBytes);
        }
        if (stateDir == null || stateDir.toString().isBlank()) {
            problems.add("state-dir must be set (TWINCLOUD_STATE_DIR)");
        }
        token(problems, "agent-token", "TWINCLOUD_AGENT_TOKEN", agentToken);
        token(problems, "operator-token", "TWINCLOUD_OPERATOR_TOKEN", operatorToken);
        if (agentToken != null && !agentToken.isBlank() && agentToken.equals(operatorToken)) {
            problems.add("agent-token and operator-token must differ: an agent must not be able to act as an operator");
        }
        viewerToken = viewerToken == null || viewerToken.isBlank() ? null : viewerToken;
        if (viewerToken != null) {
            token(problems, "viewer-token", "TWINCLOUD_VIEWER_TOKEN", viewerToken);
            if (viewerToken.equals(agentToken) || viewerToken.equals(operatorToken)) {
                problems.add("viewer-token must differ from agent-token and operator-token: a viewer may only read");
            }
        }
        String storeName = store == null || store.isBlank() ? "file" : store.strip().toLowerCase(Locale.ROOT);
        StoreKind kind = Arrays.stream(StoreKind.values()).filter(k -> k.setting().equals(storeName))
                .findFirst().orElse(null);
        if (kind == null) {
            problems.add("store must be file, etcd or kubernetes (TWINCLOUD_ARBITER_STORE), got '" + store + "'");
        }
        store = storeName;
        etcd = etcd == null ? new Etcd(null, null, null) : etcd;
        kubernetes = kubernetes == null ? new KubernetesStore(null, null) : kubernetes;
        if (kind == StoreKind.ETCD) {
            etcd.check(problems, leaseTtl);
        } else if (kind == StoreKind.KUBERNETES) {
            kubernetes.check(problems);
        }
        leaderElection = leaderElection == null ? LeaderElection.OFF : leaderElection;
        leaderElection.check(problems, kind);
        if (!problems.isEmpty()) {
            throw new StartupRefused("invalid settings under twincloud.arbiter:\n  - " + String.join("\n  - ", problems),
                    "Set the missing or invalid values (environment variables named above, or --twincloud.arbiter.<name>=...) and start again.");
        }
    }

    private static void positive(List<String> problems, String name, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            problems.add(name + " must be a positive duration (e.g. 500ms, 2s), got " + d);
        }
    }

    private static void token(List<String> problems, String name, String env, String value) {
        if (value == null || value.isBlank()) {
            problems.add(name + " is missing: set " + env + " (at least " + MIN_TOKEN_LENGTH + " characters)");
        } else if (value.length() < MIN_TOKEN_LENGTH) {
            problems.add(name + " is too short (" + value.length() + " characters): " + env + " needs at least "
                    + MIN_TOKEN_LENGTH);
        }
    }

    /** The store kind (validated when bound). */
    public StoreKind storeKind() {
        return StoreKind.valueOf(store.toUpperCase(Locale.ROOT));
    }

    public List<SiteId> siteIds() {
        return sites.stream().map(SiteId::of).toList();
    }

    /** The read-only viewer token, when one is set. */
    public java.util.Optional<String> viewer() {
        return java.util.Optional.ofNullable(viewerToken);
    }

    public SiteId initialWriterId() {
        return SiteId.of(initialWriter);
    }

    /** The core's view of these settings. */
    public ArbiterConfig toConfig() {
        return new ArbiterConfig(siteIds(), leaseTtl, margin, reportTimeout, standbyLossTimeout,
                maxLagBytes.toBytes(), switchoverTimeout, readLeaseTtl, switchoverArchiveWait);
    }

    /** Never print the tokens. */
    @Override
    public String toString() {
        return "ArbiterProperties[sites=" + sites + ", initialWriter=" + initialWriter + ", mode=" + mode
                + ", leaseTtl=" + leaseTtl + ", margin=" + margin + ", reportTimeout=" + reportTimeout
                + ", standbyLossTimeout=" + standbyLossTimeout + ", maxLagBytes=" + maxLagBytes
                + ", switchoverTimeout=" + switchoverTimeout + ", switchoverArchiveWait=" + switchoverArchiveWait
                + ", tickInterval=" + tickInterval
                + ", stateDir=" + stateDir + ", agentToken=***, operatorToken=***, viewerToken="
                + (viewerToken == null ? "unset" : "***") + ", leaderElection=" + leaderElection
                + ", store=" + store + ", etcd=" + etcd + ", kubernetes=" + kubernetes + "]";
    }
}
