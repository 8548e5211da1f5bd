package dev.twincloud.arbiter.election;

import static dev.twincloud.arbiter.election.ArbiterReplicas.AGENT_TOKEN;
import static dev.twincloud.arbiter.election.ArbiterReplicas.LEASE;
import static dev.twincloud.arbiter.election.ArbiterReplicas.NAMESPACE;
import static dev.twincloud.arbiter.election.ArbiterReplicas.OPERATOR_TOKEN;
import static dev.twincloud.arbiter.election.ArbiterReplicas.awaitTrue;
import static dev.twincloud.arbiter.election.ArbiterReplicas.get;
import static dev.twincloud.arbiter.election.ArbiterReplicas.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.election.ArbiterReplicas.Replica;
import dev.twincloud.arbiter.election.ArbiterReplicas.Response;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * Two real arbiter processes (this module's classes, launched as separate JVMs) share one state
 * directory and compete for a Lease on fabric8's mock Kubernetes API server in CRUD mode, the best
 * stand-in for a Kubernetes API server here ({@link ArbiterReplicas}). Simulated agents heartbeat
 * through "the Service": the replica that answers. Proves: one replica acts (its pod labelled
 * leader, the other follower, both ready) and the other answers 503 not-leader; killing the acting
 * one with SIGKILL hands over to the other, which loads the stored state (same epoch, writer and
 * mode, no failover); a replica whose Lease is taken stops acting and stores nothing more; a free
 * Lease is taken again.
 */
class LeaderElectionOnMockApiServerCrudTest {

    private static final Logger log = LoggerFactory.getLogger(LeaderElectionOnMockApiServerCrudTest.class);

    @TempDir
    Path dir;

    ArbiterReplicas replicas;

    @BeforeEach
    void apiServer() {
        replicas = new ArbiterReplicas(dir);
    }

    @AfterEach
    void stop() {
        replicas.close();
    }

    @Test
    void oneReplicaActsAndTheOtherTakesOverWhenItIsKilledOnMockApiServerCrud() throws Exception {
        replicas.start("arbiter-a"); // their pods start with a stale "leader" label: each clears its own
        replicas.start("arbiter-b");
        Replica leader = replicas.awaitSoleLeader(Duration.ofSeconds(120));
        Replica follower = replicas.other(leader);
        var gcp = replicas.gcp;
        var aws = replicas.aws;

        // The other replica answers nothing but "not the leader", naming it; it is ready all the same.
        awaitTrue(Duration.ofSeconds(10), () -> get(follower, "/v1/status", OPERATOR_TOKEN).body().contains(leader.id()));
        Response refused = get(follower, "/v1/status", OPERATOR_TOKEN);
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.contentType()).startsWith("application/problem+json");
        assertThat(refused.json().path("type").asString()).endsWith("not-leader");
        assertThat(post(follower, "/v1/heartbeat", AGENT_TOKEN, gcp.report(aws)).status()).isEqualTo(503);
        assertThat(replicas.leads(follower)).isFalse();
        assertThat(get(follower, "/actuator/health/readiness", null).status()).as("every replica is ready").isEqualTo(200);
        assertThat(replicas.lease().getSpec().getHolderIdentity()).isEqualTo(leader.id());
        awaitTrue(Duration.ofSeconds(5), () -> "leader".equals(replicas.role(leader)) && "follower".equals(replicas.role(follower)));

        // The agents reach a steady state through the leader; an operator changes the mode (stored).
        awaitTrue(Duration.ofSeconds(30), () -> replicas.round() && gcp.last.lease().isPresent() && aws.last != null);
        long epoch = gcp.last.epoch();
        assertThat(post(leader, "/v1/mode", OPERATOR_TOKEN, Map.of("mode", "ASYNC")).status()).isEqualTo(200);

        // SIGKILL the acting replica: no release of the Lease, no clean shutdown.
        long killedAt = System.nanoTime();
        leader.process().destroyForcibly();
        leader.process().waitFor();
        awaitTrue(Duration.ofSeconds(30), () -> replicas.leads(follower));
        long takeoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
        awaitTrue(Duration.ofSeconds(15), () -> replicas.round() && gcp.last.lease().isPresent() && gcp.last.epoch() == epoch);
        long leaseAgainMillis = (System.nanoTime() - killedAt) / 1_000_000;
        log.info("takeover after SIGKILL: {} ms until the other replica acted, {} ms until the writer had a lease again",
                takeoverMillis, leaseAgainMillis);
        // lease 3 s: the Lease can be taken 3 s after the last renewal, plus retries and a state load
        assertThat(takeoverMillis).as("takeover time").isLessThan(15_000);

        JsonNode status = get(follower, "/v1/status", OPERATOR_TOKEN).json();
        assertThat(status.toString()).contains("\"mode\":\"ASYNC\"");
        assertThat(gcp.last.writer()).isEqualTo(gcp.site);
        assertThat(gcp.last.epoch()).as("same epoch: no failover").isEqualTo(epoch);
        assertThat(replicas.history).as("no lease to the standby, ever").noneMatch(h -> h.startsWith("aws") && h.contains("lease=Optional[LeaseGrant"));
        JsonNode events = get(follower, "/v1/events?limit=1000", OPERATOR_TOKEN).json();
        assertThat(events.toString()).contains("elected replica " + follower.id());
        awaitTrue(Duration.ofSeconds(5), () -> "leader".equals(replicas.role(follower)));

        // Someone else takes the Lease (another holder, freshly renewed): the replica stops acting within
        // its renew deadline and stores nothing more, though heartbeats keep coming.
        takeLease("intruder");
        awaitTrue(Duration.ofSeconds(5), () -> !replicas.leads(follower));
        awaitTrue(Duration.ofSeconds(5), () -> "follower".equals(replicas.role(follower)));
        byte[] stored = Files.readAllBytes(replicas.stateFile());
        for (int i = 0; i < 10; i++) {
            assertThat(post(follower, "/v1/heartbeat", AGENT_TOKEN, aws.report(gcp)).status()).isEqualTo(503);
            assertThat(post(follower, "/v1/mode", OPERATOR_TOKEN, Map.of("mode", "SYNC")).status()).isEqualTo(503);
            Thread.sleep(100);
        }
        assertThat(Files.readAllBytes(replicas.stateFile())).isEqualTo(stored);
        assertThat(follower.process().isAlive()).as("still running, as a candidate").isTrue();

        // The Lease is free again: the candidate takes it and acts, with the same state.
        replicas.client.leases().inNamespace(NAMESPACE).withName(LEASE).delete();
        awaitTrue(Duration.ofSeconds(20), () -> replicas.leads(follower));
        awaitTrue(Duration.ofSeconds(15), () -> replicas.round() && gcp.last.lease().isPresent());
        assertThat(gcp.last.epoch()).isEqualTo(epoch);
    }

    void takeLease(String holder) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        replicas.client.leases().inNamespace(NAMESPACE).resource(new LeaseBuilder(replicas.lease()).editSpec()
                .withHolderIdentity(holder).withLeaseDurationSeconds(600).withAcquireTime(now).withRenewTime(now)
                .endSpec().build()).update();
    }
}
