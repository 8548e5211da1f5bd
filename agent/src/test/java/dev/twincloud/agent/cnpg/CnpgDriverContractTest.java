package dev.twincloud.agent.cnpg;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.agent.core.PostgresDriverContract;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/**
 * The driver contract for the CloudNativePG driver, on fabric8's mock API server (CRUD), with
 * {@link #settle()} playing CloudNativePG as its documentation describes the distributed topology
 * (https://cloudnative-pg.io/documentation/current/replica_cluster/, "Distributed topology", and
 * .../kubectl-plugin/#fencing):
 * <ul>
 *   <li>fencing ({@code cnpg.io/fencedInstances: ["*"]}) stops every instance; no server answers;</li>
 *   <li>a primary Cluster whose {@code replica.primary} names the other Cluster is demoted: PostgreSQL
 *       shuts down cleanly, the shutdown checkpoint is published as {@code status.demotionToken}
 *       (base64 JSON of pg_controldata: system identifier, timeline, REDO location), and the instance
 *       restarts as a replica streaming from the source;</li>
 *   <li>a replica Cluster whose {@code replica.primary} names itself is promoted on a new timeline;
 *       with a {@code promotionToken} only if the token is of the same system and it has replayed up
 *       to the token's REDO location;</li>
 *   <li>CloudNativePG keeps the last demotion token in the status until the next demotion.</li>
 * </ul>
 */
@EnableKubernetesMockClient(crud = true)
class CnpgDriverContractTest extends PostgresDriverContract {
    private static final long SYSTEM_ID = 7_412_345_678_901_234_567L;

    KubernetesMockServer server;
    KubernetesClient client;

    /** One site's simulated instance: what CloudNativePG and PostgreSQL would be doing. */
    private final class SimSite implements Site {
        final String ns;
        final String name;
        final FakeDatabase db = new FakeDatabase();
        final CnpgDriver driver;
        long lsn = 0x5000000L;
        int timeline = 1;
        boolean primary;
        SimSite peer;

        SimSite(SiteId site, SiteId other, boolean primary) {
            this.ns = site.name();
            this.name = "twincloud-db-" + site.name();
            this.primary = primary;
            this.driver = new CnpgDriver(client, new CnpgTarget(ns, name, site, other), db, Clock.systemUTC(), Duration.ofMinutes(5));
        }

        @Override
        public PostgresDriver driver() {
            return driver;
        }

        @Override
        public Lsn write() {
            assertThat(primary).as("writes go to the primary").isTrue();
            lsn += 0x100;
            peer.lsn = lsn; // synchronous: the standby has it
            show();
            peer.show();
            return new Lsn(lsn);
        }

        void show() {
            if (primary) {
                db.primary(SYSTEM_ID, timeline, new Lsn(lsn).toString());
            } else {
                db.standby(SYSTEM_ID, timeline, new Lsn(lsn).toString(), new Lsn(lsn).toString(), true);
            }
            status(Map.of("systemID", String.valueOf(SYSTEM_ID), "timelineID", timeline));
        }

        GenericKubernetesResource get() {
            return client.genericKubernetesResources(CnpgDriver.CLUSTERS).inNamespace(ns).withName(name).get();
        }

        void status(Map<String, Object> fields) {
            client.genericKubernetesResources(CnpgDriver.CLUSTERS).inNamespace(ns).withName(name).edit(c -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> status = new LinkedHashMap<>((Map<String, Object>) c.getAdditionalProperties().getOrDefault("status", Map.of()));
                status.putAll(fields);
                c.getAdditionalProperties().put("status", status);
                return c;
            });
        }

        /** CloudNativePG reconciles this Cluster once. */
        void reconcile() {
            GenericKubernetesResource c = get();
            Map<String, String> annotations = c.getMetadata().getAnnotations();
            String fencing = annotations == null ? null : annotations.get(CnpgDriver.FENCING_ANNOTATION);
            if (fencing != null && fencing.replace(" ", "").equals("[\"*\"]")) {
                db.down();
                return;
            }
            String wantedPrimary = (String) c.get("spec", "replica", "primary");
            String token = (String) c.get("spec", "replica", "promotionToken");
            if (name.equals(wantedPrimary) && !primary) {
                if (token != null) {
                    DemotionToken t = DemotionToken.parse(token).orElseThrow();
                    assertThat(t.systemId()).as("CloudNativePG refuses another system's token").isEqualTo(String.valueOf(SYSTEM_ID));
                    if (lsn < t.redo().value()) {
                        return; // keeps replaying until it reaches the token's checkpoint
                    }
                }
                primary = true;
                timeline = Math.max(timeline, peer.timeline) + 1;
            } else if (!name.equals(wantedPrimary) && primary) {
                primary = false;
                // the shutdown checkpoint record: its REDO location (the token's) is where it begins, as in
                // PostgreSQL's pg_controldata after a clean shutdown; the server's WAL ends after it
                long checkpoint = lsn;
                lsn += 0x78;
                peer.lsn = Math.max(peer.lsn, lsn); // streamed to the other site before the shutdown ends
                status(Map.of("demotionToken", DemotionToken.encode(String.valueOf(SYSTEM_ID), timeline, new Lsn(checkpoint),
                        "%08X%016X".formatted(timeline, checkpoint >> 24))));
            } else if (!primary && peer.primary) {
                timeline = peer.timeline; // following the new primary's history
                lsn = Math.max(lsn, peer.lsn);
            }
            show();
        }
    }

    private SimSite gcp;
    private SimSite aws;

    @BeforeEach
    void twoSites() {
        create("gcp", "twincloud-db-gcp", "twincloud-db-aws", "twincloud-db-gcp");
        create("aws", "twincloud-db-aws", "twincloud-db-gcp", "twincloud-db-gcp");
        gcp = new SimSite(GCP, AWS, true);
        aws = new SimSite(AWS, GCP, false);
        gcp.peer = aws;
        aws.peer = gcp;
        gcp.show();
        aws.show();
    }

    private void create(String ns, String name, String source, String primary) {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("instances", 3);
        spec.put("replica", new LinkedHashMap<>(Map.of("self", name, "primary", primary, "source", source)));
        GenericKubernetesResource c = new GenericKubernetesResourceBuilder()
                .withApiVersion("postgresql.cnpg.io/v1").withKind("Cluster")
                .withNewMetadata().withName(name).withNamespace(ns).endMetadata()
                .withAdditionalProperties(Map.of("spec", spec, "status", Map.of("instanceNames", List.of(name + "-1"))))
                .build();
        client.genericKubernetesResources(CnpgDriver.CLUSTERS).inNamespace(ns).resource(c).create();
    }

    @Override
    protected Site writer() {
        return gcp;
    }

    @Override
    protected Site standby() {
        return aws;
    }

    @Override
    protected void settle() {
        gcp.reconcile();
        aws.reconcile();
    }
}
