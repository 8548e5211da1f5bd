package dev.twincloud.agent.cnpg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.agent.core.Observation;
import dev.twincloud.agent.core.StepResult;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The CloudNativePG driver against fabric8's mock Kubernetes API server in CRUD mode: the Clusters
 * are stored and patched as a real API server would; the test plays CloudNativePG's part (status,
 * the databases' state). Both sites' Clusters live in one mock server, in namespaces "gcp" and "aws"
 * (in production they are two Kubernetes clusters).
 */
@EnableKubernetesMockClient(crud = true)
class CnpgDriverTest {
    private static final SiteId GCP = SiteId.of("gcp");
    private static final SiteId AWS = SiteId.of("aws");
    private static final long SYSTEM_ID = 7_412_345_678_901_234_567L;

    KubernetesMockServer server;
    KubernetesClient client;

    private final FakeDatabase gcpDb = new FakeDatabase();
    private final FakeDatabase awsDb = new FakeDatabase();
    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2025-01-01T00:00:00Z"));

    @BeforeEach
    void twoSites() {
        create("gcp", "twincloud-db-gcp", "twincloud-db-aws", "twincloud-db-gcp");
        create("aws", "twincloud-db-aws", "twincloud-db-gcp", "twincloud-db-gcp");
    }

    @Test
    void switchoverHandsTheDemotionTokenToThePromotedClusterOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        gcpDb.primary(SYSTEM_ID, 1, "0/5000000");

        // 1. the writer is told to stop cleanly: CloudNativePG demotes it (replica.primary := the peer)
        assertThat(gcp.stopClean()).isInstanceOf(StepResult.Retry.class);
        assertThat(spec("gcp", "twincloud-db-gcp", "replica", "primary")).isEqualTo("twincloud-db-aws");
        assertThat(gcp.stopClean()).as("no token yet").isInstanceOf(StepResult.Retry.class);

        // 2. CloudNativePG shuts it down and publishes the demotion token
        String token = DemotionToken.encode(String.valueOf(SYSTEM_ID), 1, Lsn.parse("0/5000028"), "000000010000000000000005");
        setStatus("gcp", "twincloud-db-gcp", Map.of("demotionToken", token, "systemID", String.valueOf(SYSTEM_ID)));
        gcpDb.standby(SYSTEM_ID, 1, "0/5000028", "0/5000028", false);
        assertThat(gcp.stopClean()).isInstanceOf(StepResult.Done.class);
        assertThat(gcp.stopLsn()).as("the shutdown checkpoint, read from the token").isEqualTo(Lsn.parse("0/5000028"));
        assertThat(gcp.demotionToken()).contains(token);

        // 3. the standby site promotes with that token (handed over by the arbiter)
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        setStatus("aws", "twincloud-db-aws", Map.of("systemID", String.valueOf(SYSTEM_ID)));
        awsDb.standby(SYSTEM_ID, 1, "0/5000028", "0/5000028", true);
        assertThat(aws.promote(gcp.demotionToken())).isInstanceOf(StepResult.Retry.class);
        assertThat(spec("aws", "twincloud-db-aws", "replica", "primary")).isEqualTo("twincloud-db-aws");
        assertThat(spec("aws", "twincloud-db-aws", "replica", "promotionToken")).isEqualTo(token);

        // 4. CloudNativePG verified the token and promoted: done once out of recovery
        awsDb.primary(SYSTEM_ID, 2, "0/5000100");
        assertThat(aws.promote(Optional.of(token))).isInstanceOf(StepResult.Done.class);
        assertThat(aws.observe().role()).isEqualTo(DbRole.PRIMARY);

        // 5. the old writer follows without rewind; its token is spent
        gcpDb.standby(SYSTEM_ID, 2, "0/5000100", "0/5000100", true);
        assertThat(gcp.followWriter(AWS)).isInstanceOf(StepResult.Done.class);
        assertThat(gcp.demotionToken()).isEmpty();
    }

    /**
     * CloudNativePG keeps the last demotion token in the status until the next demotion replaces it.
     * A token left from an earlier switchover (or of an older timeline, or older than what this site
     * had written) must not be taken for this demotion's: the target would "promote" at a point this
     * site has long passed (issue 14).
     */
    @Test
    void aDemotionTokenLeftFromAnEarlierSwitchoverIsNotTakenForThisOneOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        String old = DemotionToken.encode(String.valueOf(SYSTEM_ID), 1, Lsn.parse("0/3000028"), "000000010000000000000003");
        setStatus("gcp", "twincloud-db-gcp", Map.of("demotionToken", old, "systemID", String.valueOf(SYSTEM_ID), "timelineID", 3));
        gcpDb.primary(SYSTEM_ID, 3, "0/7000000");

        assertThat(gcp.stopClean()).isInstanceOf(StepResult.Retry.class); // asks for the demotion
        gcpDb.standby(SYSTEM_ID, 3, "0/7000000", "0/7000000", false);
        assertThat(gcp.stopClean()).isInstanceOfSatisfying(StepResult.Retry.class,
                r -> assertThat(r.waitingFor()).contains("fresh demotion token").contains("before this demotion"));
        assertThat(gcp.demotionToken()).isEmpty();

        // a token of the current timeline but older than what gcp had written is not this demotion's either
        String older = DemotionToken.encode(String.valueOf(SYSTEM_ID), 3, Lsn.parse("0/6000028"), "000000030000000000000006");
        setStatus("gcp", "twincloud-db-gcp", Map.of("demotionToken", older, "systemID", String.valueOf(SYSTEM_ID), "timelineID", 3));
        assertThat(gcp.stopClean()).isInstanceOfSatisfying(StepResult.Retry.class, r -> assertThat(r.waitingFor()).contains("0/7000000"));

        // ... nor one of another timeline
        String otherTimeline = DemotionToken.encode(String.valueOf(SYSTEM_ID), 2, Lsn.parse("0/7000028"), "000000020000000000000007");
        setStatus("gcp", "twincloud-db-gcp", Map.of("demotionToken", otherTimeline, "systemID", String.valueOf(SYSTEM_ID), "timelineID", 3));
        assertThat(gcp.stopClean()).isInstanceOfSatisfying(StepResult.Retry.class, r -> assertThat(r.waitingFor()).contains("timeline 2"));

        // CloudNativePG publishes this demotion's token: taken
        String fresh = DemotionToken.encode(String.valueOf(SYSTEM_ID), 3, Lsn.parse("0/7000028"), "000000030000000000000007");
        setStatus("gcp", "twincloud-db-gcp", Map.of("demotionToken", fresh, "systemID", String.valueOf(SYSTEM_ID), "timelineID", 3));
        assertThat(gcp.stopClean()).isInstanceOf(StepResult.Done.class);
        assertThat(gcp.demotionToken()).contains(fresh);
        assertThat(gcp.stopLsn()).isEqualTo(Lsn.parse("0/7000028"));
    }

    @Test
    void promotionWithAnotherDatabasesTokenIsRefusedOnMockApiServerCrud() {
        String foreign = DemotionToken.encode("1111", 1, Lsn.parse("0/100"), "000000010000000000000001");
        setStatus("aws", "twincloud-db-aws", Map.of("systemID", String.valueOf(SYSTEM_ID)));
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        assertThat(aws.promote(Optional.of(foreign))).isInstanceOfSatisfying(StepResult.Failed.class,
                f -> assertThat(f.reason()).contains("not the same database"));
        assertThat(spec("aws", "twincloud-db-aws", "replica", "primary")).isEqualTo("twincloud-db-gcp");
        assertThat(spec("aws", "twincloud-db-aws", "replica", "promotionToken")).isNull();
    }

    @Test
    void promotionWithSomethingThatIsNotADemotionTokenFailsOnMockApiServerCrud() {
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        assertThat(aws.promote(Optional.of("not-base64-json!"))).isInstanceOfSatisfying(StepResult.Failed.class,
                f -> assertThat(f.reason()).contains("promote").contains("not a CloudNativePG demotion token"));
        assertThat(spec("aws", "twincloud-db-aws", "replica", "primary")).isEqualTo("twincloud-db-gcp");
    }

    @Test
    void failoverPromotesTheReplicaClusterWithoutATokenOnMockApiServerCrud() {
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        awsDb.standby(SYSTEM_ID, 1, "0/7000000", "0/7000010", false);
        assertThat(aws.observe().role()).isEqualTo(DbRole.STANDBY);

        assertThat(aws.promote(Optional.empty())).isInstanceOf(StepResult.Retry.class);
        assertThat(spec("aws", "twincloud-db-aws", "replica", "primary")).isEqualTo("twincloud-db-aws");
        assertThat(spec("aws", "twincloud-db-aws", "replica", "promotionToken")).isNull();

        assertThat(aws.promote(Optional.empty())).as("still in recovery").isInstanceOf(StepResult.Retry.class);
        awsDb.primary(SYSTEM_ID, 2, "0/7000100");
        assertThat(aws.promote(Optional.empty())).isInstanceOf(StepResult.Done.class);
    }

    /**
     * While CloudNativePG promotes, each look that finds the database still in recovery also ends a sleep of its
     * startup process between WAL source retries, in which PostgreSQL 15 can hold a promote request it already noticed
     * for up to wal_retrieve_retry_interval (PromotionWhileTheStreamReconnectsTest shows it on a real server).
     */
    @Test
    void whileCloudNativePgPromotesTheAgentWakesTheStartupProcessOnMockApiServerCrud() {
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        awsDb.standby(SYSTEM_ID, 1, "0/7000000", "0/7000010", false);
        assertThat(aws.promote(Optional.empty())).isInstanceOf(StepResult.Retry.class);
        assertThat(awsDb.wakes()).as("not before the Cluster is asked to promote").isZero();

        assertThat(aws.promote(Optional.empty())).as("still in recovery").isInstanceOf(StepResult.Retry.class);
        assertThat(aws.promote(Optional.empty())).as("still in recovery").isInstanceOf(StepResult.Retry.class);
        assertThat(awsDb.wakes()).isEqualTo(2);

        awsDb.primary(SYSTEM_ID, 2, "0/7000100");
        assertThat(aws.promote(Optional.empty())).isInstanceOf(StepResult.Done.class);
        assertThat(awsDb.wakes()).as("none once promoted").isEqualTo(2);
    }

    @Test
    void fencingSetsCloudNativePgsAnnotationAndReportsDownOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        gcpDb.primary(SYSTEM_ID, 1, "0/9000000");

        assertThat(gcp.stopNow()).isInstanceOf(StepResult.Retry.class);
        assertThat(annotations("gcp", "twincloud-db-gcp")).containsEntry(CnpgDriver.FENCING_ANNOTATION, "[\"*\"]");
        assertThat(gcp.observe().role()).as("a fenced Cluster takes no writes").isEqualTo(DbRole.DOWN);
        assertThat(gcp.stopNow()).as("instances still answer").isInstanceOf(StepResult.Retry.class);

        gcpDb.down();
        assertThat(gcp.stopNow()).isInstanceOf(StepResult.Done.class);
    }

    /**
     * Under CloudNativePG the agent neither restarts a writer's Cluster it finds down (the operator
     * restarts crashed instances; one fenced by hand stays fenced) nor claims the fast path's proof.
     */
    @Test
    void anAgentLeavesADownWritersClusterAloneAndNeverClaimsRefusedWritesOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        gcpDb.primary(SYSTEM_ID, 1, "0/9000000");
        java.util.List<dev.twincloud.core.protocol.AgentReport> sent = new java.util.ArrayList<>();
        var writer = new dev.twincloud.core.protocol.Assignment(1, dev.twincloud.core.fsm.SiteState.PRIMARY_ASYNC, GCP,
                Optional.empty(), Optional.empty(), "writer", Optional.empty());
        var agent = new dev.twincloud.agent.core.Agent(GCP, gcp, r -> { sent.add(r); return writer; }, java.util.List.of(),
                System::nanoTime, new dev.twincloud.agent.core.AgentListener() { });
        agent.tick();
        assertThat(agent.state()).isEqualTo(dev.twincloud.core.fsm.SiteState.PRIMARY_ASYNC);

        assertThat(gcp.stopNow()).isInstanceOf(StepResult.Retry.class); // an operator fences the Cluster by hand
        gcpDb.down();
        for (int i = 0; i < 5; i++) {
            agent.tick();
            try {
                Thread.sleep(150);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        assertThat(annotations("gcp", "twincloud-db-gcp")).containsEntry(CnpgDriver.FENCING_ANNOTATION, "[\"*\"]");
        assertThat(sent).noneMatch(dev.twincloud.core.protocol.AgentReport::writesRefused);
    }

    @Test
    void rejoinMakesTheFencedOldPrimaryFollowTheNewOneOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        gcpDb.primary(SYSTEM_ID, 1, "0/9000000");
        gcp.stopNow();
        gcpDb.down();
        assertThat(gcp.stopNow()).isInstanceOf(StepResult.Done.class);

        // meanwhile aws was promoted (unplanned): gcp re-joins as a replica cluster of aws
        assertThat(gcp.followWriter(AWS)).isInstanceOf(StepResult.Retry.class);
        assertThat(spec("gcp", "twincloud-db-gcp", "replica", "primary")).isEqualTo("twincloud-db-aws");
        // merge patch null = delete (the mock server keeps the key with a null value; a real API server drops it)
        assertThat(annotations("gcp", "twincloud-db-gcp").get(CnpgDriver.FENCING_ANNOTATION)).isNull();

        gcpDb.standby(SYSTEM_ID, 2, "0/9000200", "0/9000200", false);
        assertThat(gcp.followWriter(AWS)).as("not streaming yet").isInstanceOf(StepResult.Retry.class);
        gcpDb.standby(SYSTEM_ID, 2, "0/9000300", "0/9000300", true);
        assertThat(gcp.followWriter(AWS)).isInstanceOf(StepResult.Done.class);
        assertThat(gcp.observe().role()).isEqualTo(DbRole.STANDBY);
    }

    @Test
    void rejoinThatNeverStreamsFailsAskingForAReCloneOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        assertThat(gcp.followWriter(AWS)).isInstanceOf(StepResult.Retry.class);
        gcpDb.standby(SYSTEM_ID, 1, "0/9000000", "0/9000000", false);
        assertThat(gcp.followWriter(AWS)).isInstanceOf(StepResult.Retry.class);
        now.set(now.get().plus(Duration.ofMinutes(6)));
        assertThat(gcp.followWriter(AWS)).isInstanceOfSatisfying(StepResult.Failed.class,
                f -> assertThat(f.reason()).contains("re-clone"));
    }

    @Test
    void synchronousReplicationNamesOnlyTheOtherSiteOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        assertThat(gcp.setSynchronousStandby(Optional.of(AWS))).isInstanceOf(StepResult.Done.class);
        assertThat(spec("gcp", "twincloud-db-gcp", "postgresql", "synchronous")).isEqualTo(Map.of(
                "method", "first", "number", 1, "maxStandbyNamesFromCluster", 0, "standbyNamesPre", List.of("aws"),
                "failoverQuorum", true));

        assertThat(gcp.setSynchronousStandby(Optional.empty())).isInstanceOf(StepResult.Done.class);
        assertThat(spec("gcp", "twincloud-db-gcp", "postgresql", "synchronous")).isNull();
        assertThat(spec("gcp", "twincloud-db-gcp", "postgresql", "parameters")).isEqualTo(Map.of("twincloud.site", "gcp"));
    }

    @Test
    void observeReportsRoleLsnTimelineAndTheOtherSitesStandbyOnMockApiServerCrud() {
        CnpgDriver gcp = driver(GCP, AWS, gcpDb);
        setStatus("gcp", "twincloud-db-gcp", Map.of("instanceNames", List.of("twincloud-db-gcp-1", "twincloud-db-gcp-2"),
                "timelineID", 3));
        gcpDb.primary(SYSTEM_ID, 3, "0/A000000",
                new SqlProbe.Replica("twincloud-db-gcp-2", "streaming", "async", Lsn.parse("0/A000000"), Lsn.parse("0/A000000")),
                new SqlProbe.Replica("aws", "streaming", "sync", Lsn.parse("0/9FFFF00"), Lsn.parse("0/9FFFE00"), 7L));
        Observation o = gcp.observe();
        assertThat(o.role()).isEqualTo(DbRole.PRIMARY);
        assertThat(o.systemId()).isEqualTo(SYSTEM_ID);
        assertThat(o.timeline()).isEqualTo(3);
        assertThat(o.writeLsn()).isEqualTo(Lsn.parse("0/A000000"));
        assertThat(o.replicas()).as("in-site HA replicas are not the other site").containsExactly(
                new ReplicaInfo("aws", "streaming", "sync", Lsn.parse("0/9FFFF00"), Lsn.parse("0/9FFFE00"), Optional.of(7L)));

        gcpDb.down();
        assertThat(gcp.observe().role()).isEqualTo(DbRole.DOWN);
    }

    @Test
    void missingClusterIsAFailureAndObservesDownOnMockApiServerCrud() {
        CnpgDriver nowhere = new CnpgDriver(client, new CnpgTarget("gcp", "no-such-cluster", GCP, AWS), gcpDb);
        assertThat(nowhere.observe().role()).isEqualTo(DbRole.DOWN);
        assertThat(nowhere.promote(Optional.empty())).isInstanceOfSatisfying(StepResult.Failed.class,
                f -> assertThat(f.reason()).contains("does not exist"));
    }

    @Test
    void conflictingPatchIsRetriedOnMockApiServerCrud() {
        server.expect().patch().withPath("/apis/postgresql.cnpg.io/v1/namespaces/aws/clusters/twincloud-db-aws")
                .andReturn(409, new StatusBuilder().withCode(409).withReason("Conflict")
                        .withMessage("the object has been modified").build()).once();
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        assertThat(aws.promote(Optional.empty())).isInstanceOfSatisfying(StepResult.Retry.class,
                r -> assertThat(r.waitingFor()).contains("conflict"));
        assertThat(spec("aws", "twincloud-db-aws", "replica", "primary")).isEqualTo("twincloud-db-gcp");
        assertThat(aws.promote(Optional.empty())).as("next attempt, fresh state").isInstanceOf(StepResult.Retry.class);
        assertThat(spec("aws", "twincloud-db-aws", "replica", "primary")).isEqualTo("twincloud-db-aws");
    }

    @Test
    void staleResourceVersionIsAConflictOnMockApiServerCrud() {
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        GenericKubernetesResource stale = clusters("aws").withName("twincloud-db-aws").get();
        // someone else changes the Cluster after the agent read it ...
        clusters("aws").withName("twincloud-db-aws").edit(c -> {
            c.getMetadata().setLabels(Map.of("touched", "yes"));
            return c;
        });
        // ... a patch computed from the old version must not apply
        String json = "{\"metadata\":{\"resourceVersion\":\"" + stale.getMetadata().getResourceVersion()
                + "\"},\"spec\":{\"replica\":{\"primary\":\"twincloud-db-aws\"}}}";
        var error = org.assertj.core.api.Assertions.catchThrowableOfType(
                io.fabric8.kubernetes.client.KubernetesClientException.class,
                () -> clusters("aws").withName("twincloud-db-aws").patch(
                        io.fabric8.kubernetes.client.dsl.base.PatchContext.of(io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE), json));
        assertThat(error.getCode()).isEqualTo(409);
        assertThat(aws.promote(Optional.empty())).isInstanceOf(StepResult.Retry.class);
    }

    @Test
    void forbiddenFailsNamingTheMissingPermissionOnMockApiServerCrud() {
        server.expect().get().withPath("/apis/postgresql.cnpg.io/v1/namespaces/aws/clusters/twincloud-db-aws")
                .andReturn(403, new StatusBuilder().withCode(403).withReason("Forbidden")
                        .withMessage("clusters.postgresql.cnpg.io is forbidden").build()).always();
        CnpgDriver aws = driver(AWS, GCP, awsDb);
        assertThat(aws.promote(Optional.empty())).isInstanceOfSatisfying(StepResult.Failed.class,
                f -> assertThat(f.reason()).contains("forbidden").contains("get and patch"));
        assertThat(aws.observe().role()).isEqualTo(DbRole.DOWN);
    }

    @Test
    void apiTimeoutIsRetriedOnMockApiServerCrud() {
        server.expect().get().withPath("/apis/postgresql.cnpg.io/v1/namespaces/aws/clusters/twincloud-db-aws")
                .andReply(200, req -> {
                    try {
                        Thread.sleep(1_500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Map.of();
                }).always();
        try (KubernetesClient impatient = new KubernetesClientBuilder()
                .withConfig(new ConfigBuilder(client.getConfiguration()).withRequestTimeout(200).withRequestRetryBackoffLimit(0).build())
                .build()) {
            CnpgDriver aws = new CnpgDriver(impatient, new CnpgTarget("aws", "twincloud-db-aws", AWS, GCP), awsDb);
            assertThat(aws.promote(Optional.empty())).isInstanceOfSatisfying(StepResult.Retry.class,
                    r -> assertThat(r.waitingFor()).contains("Kubernetes API unavailable"));
        }
    }

    // ------------------------------------------------------------------ helpers ---

    private CnpgDriver driver(SiteId site, SiteId peer, FakeDatabase db) {
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        return new CnpgDriver(client, new CnpgTarget(site.name(), "twincloud-db-" + site.name(), site, peer), db,
                clock, Duration.ofMinutes(5));
    }

    private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<GenericKubernetesResource,
            io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
            io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>> clusters(String ns) {
        return client.genericKubernetesResources(CnpgDriver.CLUSTERS).inNamespace(ns);
    }

    private void create(String ns, String name, String source, String primary) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("instances", 3);
        spec.put("postgresql", new LinkedHashMap<>(Map.of("parameters", Map.of("twincloud.site", ns))));
        spec.put("replica", new LinkedHashMap<>(Map.of("self", name, "primary", primary, "source", source)));
        GenericKubernetesResource c = new GenericKubernetesResourceBuilder()
                .withApiVersion("postgresql.cnpg.io/v1").withKind("Cluster")
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withAdditionalProperties(Map.of("spec", spec))
                .build();
        clusters(ns).resource(c).create();
    }

    /** CloudNativePG's part: it writes the status. */
    private void setStatus(String ns, String name, Map<String, Object> fields) {
        clusters(ns).withName(name).edit(c -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> status = new LinkedHashMap<>((Map<String, Object>) c.getAdditionalProperties().getOrDefault("status", Map.of()));
            status.putAll(fields);
            c.getAdditionalProperties().put("status", status);
            return c;
        });
    }

    private Object spec(String ns, String name, String... path) {
        List<Object> p = new ArrayList<>();
        p.add("spec");
        p.addAll(List.of(path));
        return clusters(ns).withName(name).get().get(p.toArray());
    }

    private Map<String, String> annotations(String ns, String name) {
        Map<String, String> a = clusters(ns).withName(name).get().getMetadata().getAnnotations();
        return a == null ? Map.of() : a;
    }
}
