package dev.twincloud.agent.cnpg;

import dev.twincloud.agent.core.Observation;
import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.agent.core.StepResult;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.InterruptedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

/**
 * Drives a site's PostgreSQL through its CloudNativePG {@code Cluster} in distributed topology.
 * The agent never touches pods or processes: it changes the Cluster's desired state and reads what
 * CloudNativePG and PostgreSQL report.
 *
 * <table>
 * <caption>How each step maps to CloudNativePG</caption>
 * <tr><th>step</th><th>patch of the Cluster</th><th>done when</th></tr>
 * <tr><td>stopClean (switchover)</td><td>{@code replica.primary} := the peer (demotion)</td>
 *     <td>{@code status.demotionToken} is set; its checkpoint is {@link #stopLsn()}, the token itself
 *     {@link #demotionToken()}, which the agent reports to the arbiter while FENCED</td></tr>
 * <tr><td>promote</td><td>{@code replica.primary} := self, with {@code replica.promotionToken} :=
 *     the token of the assignment: the old primary's demotion token, relayed by the arbiter in a
 *     planned switchover (refused if it is not a token of this database); none after an unplanned
 *     failover</td>
 *     <td>PostgreSQL is out of recovery (with a token, CloudNativePG first replays up to its
 *     checkpoint)</td></tr>
 * <tr><td>stopNow</td><td>annotation {@code cnpg.io/fencedInstances: ["*"]}</td>
 *     <td>PostgreSQL no longer answers</td></tr>
 * <tr><td>followWriter (re-join)</td><td>{@code replica.primary} := the peer, fencing removed</td>
 *     <td>in recovery with the WAL receiver streaming</td></tr>
 * <tr><td>startAsPrimary</td><td>fencing removed; {@code replica.primary} := self if needed</td>
 *     <td>out of recovery</td></tr>
 * <tr><td>setSynchronousStandby</td><td>{@code postgresql.synchronous} := FIRST 1 (peer) with no
 *     local pods, or removed (async)</td><td>patched</td></tr>
 * </table>
 *
 * Every patch is a JSON merge patch carrying the resourceVersion it was computed from, so a
 * concurrent change (an operator, a Helm upgrade) makes it fail with 409 and the step is retried
 * against fresh state. API errors never escape: conflicts and timeouts are retries, a forbidden or
 * missing Cluster is a failure that names the cause.
 */
public final class CnpgDriver implements PostgresDriver {
    private static final Logger log = LoggerFactory.getLogger(CnpgDriver.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** CloudNativePG's fencing annotation: a JSON list of instance names, or ["*"] for all. */
    public static final String FENCING_ANNOTATION = "cnpg.io/fencedInstances";
    public static final ResourceDefinitionContext CLUSTERS = new ResourceDefinitionContext.Builder()
            .withGroup("postgresql.cnpg.io").withVersion("v1").withKind("Cluster").withPlural("clusters")
            .withNamespaced(true).build();

    private final KubernetesClient client;
    private final CnpgTarget target;
    private final SqlProbe sql;
    private final Clock clock;
    private final Duration rejoinTimeout;

    private volatile Optional<SiteId> appliedSync;
    private volatile Lsn stopLsn = Lsn.ZERO;
    private volatile Optional<String> demotionToken = Optional.empty();
    /** The demotion token in the Cluster's status before this demotion: a leftover, never this one's. */
    private volatile Optional<String> tokenBeforeDemotion = Optional.empty();
    /** What this site had written when it asked for the demotion: a fresh token's checkpoint is not older. */
    private volatile Lsn writtenBeforeDemotion = Lsn.ZERO;
    private volatile Instant followingSince;

    public CnpgDriver(KubernetesClient client, CnpgTarget target, SqlProbe sql, Clock clock, Duration rejoinTimeout) {
        this.client = Objects.requireNonNull(client, "client");
        this.target = Objects.requireNonNull(target, "target");
        this.sql = Objects.requireNonNull(sql, "sql");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.rejoinTimeout = Objects.requireNonNull(rejoinTimeout, "rejoinTimeout");
    }

    public CnpgDriver(KubernetesClient client, CnpgTarget target, SqlProbe sql) {
        this(client, target, sql, Clock.systemUTC(), Duration.ofMinutes(5));
    }

    // ------------------------------------------------------------------ observe ---

    @Override
    public Observation observe() {
        ClusterView c;
        try {
            c = cluster();
        } catch (RuntimeException e) {
            log.debug("site={} cannot read Cluster {}: {}", target.site(), target.cluster(), e.getMessage());
            return Observation.down();
        }
        if (c.fenced()) {
            return Observation.down();
        }
        Optional<SqlProbe.Reading> r = sql.read();
        if (r.isEmpty()) {
            return Observation.down();
        }
        SqlProbe.Reading db = r.get();
        int timeline = db.timeline() > 0 ? db.timeline() : c.timeline();
        if (db.inRecovery()) {
            return new Observation(DbRole.STANDBY, db.systemId(), timeline, db.writeLsn(), db.receiveLsn(), List.of(),
                    db.walReceiverStreaming());
        }
        return new Observation(DbRole.PRIMARY, db.systemId(), timeline, db.writeLsn(), db.writeLsn(), peerReplicas(c, db))
                .withArchiveBacklog(db.archiveBacklog());
    }

    /**
     * The other site's standby among the walsenders. Local instances (in-site HA replicas) are left
     * out; the chart makes the peer connect with application_name = its site name, and a name that is
     * neither local nor that (CloudNativePG naming it after its pod) is taken as the peer too.
     */
    private List<ReplicaInfo> peerReplicas(ClusterView c, SqlProbe.Reading db) {
        List<String> local = c.instanceNames();
        return db.replicas().stream()
                .filter(x -> !local.contains(x.applicationName()))
                .map(x -> new ReplicaInfo(target.peer().name(), x.state(), x.syncState(), x.flushLsn(), x.replayLsn(),
                        java.util.Optional.ofNullable(x.replayLagMillis())))
                .toList();
    }

    // ------------------------------------------------------------------ actions ---

    @Override
    public StepResult startAsPrimary() {
        return guarded("start as primary", () -> {
            demotionToken = Optional.empty();
            ClusterView c = cluster();
            Map<String, Object> patch = new LinkedHashMap<>();
            if (c.fenced()) {
                patch.put("metadata", Map.of("annotations", nullMap(FENCING_ANNOTATION)));
            }
            if (!c.isPrimaryCluster()) {
                // switchover aborted (our own demotion token) or forced start: promote this Cluster
                Map<String, Object> replica = new LinkedHashMap<>();
                replica.put("primary", c.self());
                replica.put("promotionToken", c.demotionToken().orElse(null));
                patch.put("spec", Map.of("replica", replica));
            }
            if (!patch.isEmpty()) {
                patch(c, patch);
                return StepResult.retry("CloudNativePG to start " + target.cluster() + " as primary");
            }
            return outOfRecovery("running as primary");
        });
    }

    /**
     * With a token (planned switchover), CloudNativePG promotes only once this replica has the same
     * system identifier and has replayed up to the token's checkpoint; the system identifier is also
     * checked here, so that a wrong token fails the step at once with a clear reason.
     */
    @Override
    public StepResult promote(Optional<String> promotionToken) {
        return guarded("promote", () -> {
            demotionToken = Optional.empty();
            ClusterView c = cluster();
            if (c.isPrimaryCluster() && !c.fenced()) {
                StepResult r = outOfRecovery("promoted");
                // CloudNativePG's instance manager sends the promote request; PostgreSQL 15 may hold it for up to
                // wal_retrieve_retry_interval in a sleep nothing else ends (SqlProbe#wakeRecoveryFromRetrySleep)
                if (r instanceof StepResult.Retry && sql.wakeRecoveryFromRetrySleep()) {
                    log.info("site={} woke the startup process from its sleep between WAL source retries", target.site());
                }
                return r;
            }
            Map<String, Object> replica = new LinkedHashMap<>();
            replica.put("primary", c.self());
            String how;
            if (promotionToken.isPresent()) {
                DemotionToken t = DemotionToken.parse(promotionToken.get())
                        .orElseThrow(() -> new IllegalArgumentException("the promotion token is not a CloudNativePG demotion token"));
                if (c.systemId().isPresent() && !c.systemId().get().equals(t.systemId())) {
                    return StepResult.failed("the demotion token belongs to system " + t.systemId() + ", this Cluster is "
                            + c.systemId().get() + ": not the same database");
                }
                replica.put("promotionToken", t.encoded());
                how = "planned promotion: CloudNativePG promotes after replaying up to " + t.redo();
            } else {
                replica.put("promotionToken", null);
                how = "unplanned promotion of the replica cluster";
            }
            Map<String, Object> patch = new LinkedHashMap<>();
            patch.put("spec", Map.of("replica", replica));
            if (c.fenced()) {
                patch.put("metadata", Map.of("annotations", nullMap(FENCING_ANNOTATION)));
            }
            patch(c, patch);
            log.info("site={} {}", target.site(), how);
            return StepResult.retry(how);
        });
    }

    @Override
    public StepResult followWriter(SiteId writer) {
        if (writer.equals(target.site())) {
            return StepResult.failed("cannot follow this site itself");
        }
        return guarded("follow " + writer, () -> {
            demotionToken = Optional.empty();
            ClusterView c = cluster();
            Map<String, Object> patch = new LinkedHashMap<>();
            if (c.isPrimaryCluster()) {
                // demote: CloudNativePG shuts the primary down and restarts it following `source`
                Map<String, Object> replica = new LinkedHashMap<>();
                replica.put("primary", c.source());
                replica.put("promotionToken", null);
                patch.put("spec", Map.of("replica", replica));
            }
            if (c.fenced()) {
                patch.put("metadata", Map.of("annotations", nullMap(FENCING_ANNOTATION)));
            }
            if (!patch.isEmpty()) {
                patch(c, patch);
                followingSince = clock.instant();
                return StepResult.retry(target.cluster() + " to follow " + c.source());
            }
            Optional<SqlProbe.Reading> r = sql.read();
            if (r.isPresent() && r.get().inRecovery() && r.get().walReceiverStreaming()) {
                followingSince = null;
                return StepResult.done("following " + writer + " (" + c.source() + ")");
            }
            Instant since = followingSince == null ? (followingSince = clock.instant()) : followingSince;
            if (Duration.between(since, clock.instant()).compareTo(rejoinTimeout) > 0) {
                return StepResult.failed(target.cluster() + " has not streamed from " + c.source() + " for " + rejoinTimeout
                        + ": its history probably diverged; re-clone it (docs/deploy.md, 'Re-join')");
            }
            return StepResult.retry(target.cluster() + " to stream from " + c.source());
        });
    }

    @Override
    public StepResult setSynchronousStandby(Optional<SiteId> standby) {
        if (standby.equals(appliedSync)) {
            return StepResult.done();
        }
        return guarded("set synchronous standby", () -> {
            ClusterView c = cluster();
            Map<String, Object> wanted = standby.map(s -> synchronousFor(s.name())).orElse(null);
            if (!Objects.equals(wanted, c.synchronous())) {
                Map<String, Object> pg = new LinkedHashMap<>();
                pg.put("synchronous", wanted);
                patch(c, Map.of("spec", Map.of("postgresql", pg)));
            }
            appliedSync = standby;
            return StepResult.done(standby.map(s -> "sync with " + s).orElse("async"));
        });
    }

    /**
     * {@code FIRST 1 (peer)}: the writer waits for the other site only. No local pods
     * (maxStandbyNamesFromCluster 0): a local replica acknowledging instead would let the writer
     * drop to async on its own, which only the arbiter may decide (docs/design.md rule 4). And
     * {@code failoverQuorum}: CloudNativePG then refuses an in-site failover to a local replica, which
     * is asynchronous and may lack commits the other site acknowledged (docs/deploy.md, "CloudNativePG's
     * in-site failover"); the writer's primary is restarted in place, or the arbiter fails over to the
     * other site, which has them all.
     */
    static Map<String, Object> synchronousFor(String applicationName) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("method", "first");
        s.put("number", 1);
        s.put("maxStandbyNamesFromCluster", 0);
        s.put("standbyNamesPre", List.of(applicationName));
        s.put("failoverQuorum", true);
        return s;
    }

    @Override
    public StepResult stopClean() {
        return guarded("demote", () -> {
            ClusterView c = cluster();
            if (c.isPrimaryCluster()) {
                Map<String, Object> replica = new LinkedHashMap<>();
                replica.put("primary", c.source());
                replica.put("promotionToken", null);
                tokenBeforeDemotion = c.demotionToken();
                writtenBeforeDemotion = sql.read().filter(r -> !r.inRecovery()).map(SqlProbe.Reading::writeLsn).orElse(Lsn.ZERO);
                patch(c, Map.of("spec", Map.of("replica", replica)));
                stopLsn = Lsn.ZERO;
                demotionToken = Optional.empty();
                return StepResult.retry("CloudNativePG to demote " + target.cluster() + " and publish its demotion token");
            }
            Optional<DemotionToken> token = c.demotionToken().flatMap(DemotionToken::parse);
            Optional<String> stale = token.flatMap(t -> staleness(c, t));
            if (token.isPresent() && stale.isEmpty()) {
                stopLsn = token.get().redo();
                demotionToken = Optional.of(token.get().encoded());
                return StepResult.done("demoted cleanly at " + stopLsn + " (timeline " + token.get().timeline() + ")");
            }
            return StepResult.retry(stale.map(why -> "a fresh demotion token of " + target.cluster() + " (the one in its status " + why + ")")
                    .orElse("the demotion token of " + target.cluster()));
        });
    }

    /**
     * Why a demotion token in the status is not this demotion's (empty when it may be): it is the one
     * that was there before the demotion was asked for, it belongs to another database, its timeline
     * is not the Cluster's current one (a token left from an earlier demotion: the Cluster has been
     * promoted since, on a new timeline), or its checkpoint is older than what this site had written
     * when it asked to be demoted. CloudNativePG keeps the last token in the status until the next
     * demotion replaces it (docs: "Distributed topology", demotion token).
     */
    private Optional<String> staleness(ClusterView c, DemotionToken t) {
        if (tokenBeforeDemotion.filter(before -> before.trim().equals(t.encoded())).isPresent()) {
            return Optional.of("is the one it held before this demotion");
        }
        if (c.systemId().isPresent() && !c.systemId().get().equals(t.systemId())) {
            return Optional.of("belongs to system " + t.systemId() + ", not " + c.systemId().get());
        }
        if (c.timeline() > 0 && t.timeline() != c.timeline()) {
            return Optional.of("is of timeline " + t.timeline() + ", the Cluster is on " + c.timeline());
        }
        if (t.redo().compareTo(writtenBeforeDemotion) < 0) {
            return Optional.of("checkpoints at " + t.redo() + ", before " + writtenBeforeDemotion + " that this site had written");
        }
        return Optional.empty();
    }

    @Override
    public StepResult stopNow() {
        return guarded("fence", () -> {
            ClusterView c = cluster();
            if (!c.fencedAll()) {
                patch(c, Map.of("metadata", Map.of("annotations", Map.of(FENCING_ANNOTATION, "[\"*\"]"))));
                return StepResult.retry("CloudNativePG to stop the fenced instances");
            }
            return sql.read().isPresent() ? StepResult.retry("fenced instances to stop") : StepResult.done("fenced");
        });
    }

    @Override
    public Lsn stopLsn() {
        return stopLsn;
    }

    /**
     * No: CloudNativePG's instance manager restarts a crashed PostgreSQL itself, and a Cluster that
     * does not answer may be fenced on purpose (by an operator); starting it would undo that.
     */
    @Override
    public boolean restartsCrashedDatabase() {
        return false;
    }

    /**
     * Never proven here: the operator may start an instance at any time, from a configuration this
     * agent does not control, so the fast path is not available under CloudNativePG (the arbiter
     * waits out the lease).
     */
    @Override
    public boolean refuseWritesOnStart(long epoch) {
        return false;
    }

    /**
     * The demotion token {@link #stopClean()} found, as CloudNativePG wrote it; cleared by any later
     * step that starts, promotes or re-joins the database.
     */
    @Override
    public Optional<String> demotionToken() {
        return demotionToken;
    }

    @Override
    public Connection connect() throws SQLException {
        return sql.connect();
    }

    // ------------------------------------------------------------------ plumbing ---

    private StepResult outOfRecovery(String detail) {
        Optional<SqlProbe.Reading> r = sql.read();
        if (r.isPresent() && !r.get().inRecovery()) {
            return StepResult.done(detail);
        }
        return StepResult.retry(r.isEmpty() ? "PostgreSQL to answer" : "PostgreSQL to leave recovery");
    }

    private ClusterView cluster() {
        GenericKubernetesResource r = client.genericKubernetesResources(CLUSTERS)
                .inNamespace(target.namespace()).withName(target.cluster()).get();
        if (r == null) {
            throw new ClusterMissing();
        }
        return new ClusterView(r);
    }

    private void patch(ClusterView c, Map<String, Object> patch) {
        Map<String, Object> body = new LinkedHashMap<>(patch);
        @SuppressWarnings("unchecked")
        Map<String, Object> metadata = new LinkedHashMap<>((Map<String, Object>) body.getOrDefault("metadata", Map.of()));
        // optimistic concurrency: applied only to the version this patch was computed from
        metadata.put("resourceVersion", c.resourceVersion());
        body.put("metadata", metadata);
        String json = JSON.writeValueAsString(body);
        client.genericKubernetesResources(CLUSTERS).inNamespace(target.namespace()).withName(target.cluster())
                .patch(PatchContext.of(PatchType.JSON_MERGE), json);
        log.info("site={} patched Cluster {}/{}: {}", target.site(), target.namespace(), target.cluster(), json);
    }

    private static Map<String, Object> nullMap(String key) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, null);
        return m;
    }

    private interface Step {
        StepResult run();
    }

    /** Kubernetes API errors as step results: retry what may pass later, fail what will not. */
    private StepResult guarded(String what, Step step) {
        try {
            return step.run();
        } catch (ClusterMissing e) {
            return StepResult.failed(what + ": Cluster " + target.namespace() + "/" + target.cluster() + " does not exist");
        } catch (KubernetesClientException e) {
            int code = e.getCode();
            if (code == 409) {
                return StepResult.retry(what + ": the Cluster changed meanwhile (conflict), trying again on fresh state");
            }
            if (code == 403 || code == 401) {
                return StepResult.failed(what + ": forbidden by the Kubernetes API (" + code + "): the agent's Role must allow"
                        + " get and patch on clusters.postgresql.cnpg.io/" + target.cluster() + " in " + target.namespace());
            }
            if (code == 404) {
                return StepResult.failed(what + ": Cluster " + target.namespace() + "/" + target.cluster() + " not found");
            }
            if (code == 422 || code == 400) {
                return StepResult.failed(what + ": the Kubernetes API rejected the change (" + code + "): " + e.getMessage());
            }
            if (isTimeout(e) || code == 0 || code >= 500 || code == 429) {
                return StepResult.retry(what + ": Kubernetes API unavailable (" + (code == 0 ? rootMessage(e) : code) + ")");
            }
            return StepResult.failed(what + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            return StepResult.failed(what + ": " + e.getMessage());
        }
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedIOException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static final class ClusterMissing extends RuntimeException {
        ClusterMissing() {
            super(null, null, false, false);
        }
    }
}
