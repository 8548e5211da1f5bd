package dev.twincloud.arbiter.election;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.SiteId;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Two real arbiter processes (this module's classes, launched as separate JVMs) share one state
 * directory and compete for a Lease on fabric8's mock Kubernetes API server in CRUD mode, the best
 * stand-in for a Kubernetes API server here. Simulated agents heartbeat through "the Service": the
 * replica that answers. Proves: one replica acts and the other answers 503 not-leader; killing the
 * acting one with SIGKILL hands over to the other, which loads the stored state (same epoch, writer
 * and mode, no failover); a replica whose Lease is taken stops acting and stores nothing more; a
 * free Lease is taken again.
 */
class LeaderElectionOnMockApiServerCrudTest {

    private static final Logger log = LoggerFactory.getLogger(LeaderElectionOnMockApiServerCrudTest.class);
    static final String AGENT_TOKEN = "agent-token-0123456789";
    static final String OPERATOR_TOKEN = "operator-token-0123456789";
    static final String NAMESPACE = "twincloud";
    static final String LEASE = "twincloud-arbiter";
    static final JsonMapper JSON = JsonMapper.shared();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    KubernetesMockServer server;
    KubernetesClient client;
    final Map<String, Replica> replicas = new HashMap<>();
    final SimAgent gcp = new SimAgent(SiteId.of("gcp"), DbRole.PRIMARY);
    final SimAgent aws = new SimAgent(SiteId.of("aws"), DbRole.STANDBY);
    final List<String> history = new ArrayList<>();

    record Replica(String id, int port, Process process, Path log) {
        String url(String path) {
            return "http://127.0.0.1:" + port + path;
        }
    }

    record Response(int status, String contentType, String body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    @BeforeEach
    void apiServer() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        for (Replica r : replicas.values()) {
            r.process.destroyForcibly();
        }
        for (Replica r : replicas.values()) {
            try {
                r.process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Replica r : replicas.values()) {
            try { // kept for reading after a failure: target/leader-election-<id>.log
                Files.copy(r.log, Path.of("target", "leader-election-" + r.id + ".log"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException e) {
                log.warn("could not keep {}: {}", r.log, e.toString());
            }
        }
        client.close();
        server.destroy();
    }

    @Test
    void oneReplicaActsAndTheOtherTakesOverWhenItIsKilledOnMockApiServerCrud() throws Exception {
        start("arbiter-a");
        start("arbiter-b");
        Replica leader = awaitSoleLeader(Duration.ofSeconds(120));
        Replica follower = other(leader);

        // The other replica answers nothing but "not the leader", naming it; it is not ready.
        awaitTrue(Duration.ofSeconds(10), () -> get(follower, "/v1/status", OPERATOR_TOKEN).body.contains(leader.id));
        Response refused = get(follower, "/v1/status", OPERATOR_TOKEN);
        assertThat(refused.status).isEqualTo(503);
        assertThat(refused.contentType).startsWith("application/problem+json");
        assertThat(refused.json().path("type").asString()).endsWith("not-leader");
        assertThat(post(follower, "/v1/heartbeat", AGENT_TOKEN, gcp.report(aws)).status).isEqualTo(503);
        assertThat(ready(follower)).isFalse();
        assertThat(lease().getSpec().getHolderIdentity()).isEqualTo(leader.id);

        // The agents reach a steady state through the leader; an operator changes the mode (stored).
        awaitTrue(Duration.ofSeconds(30), () -> round() && gcp.last.lease().isPresent() && aws.last != null);
        long epoch = gcp.last.epoch();
        assertThat(post(leader, "/v1/mode", OPERATOR_TOKEN, Map.of("mode", "ASYNC")).status).isEqualTo(200);

        // SIGKILL the acting replica: no release of the Lease, no clean shutdown.
        long killedAt = System.nanoTime();
        leader.process.destroyForcibly();
        leader.process.waitFor();
        awaitTrue(Duration.ofSeconds(30), () -> ready(follower));
        long takeoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
        awaitTrue(Duration.ofSeconds(15), () -> round() && gcp.last.lease().isPresent() && gcp.last.epoch() == epoch);
        long leaseAgainMillis = (System.nanoTime() - killedAt) / 1_000_000;
        log.info("takeover after SIGKILL: {} ms until the other replica was ready, {} ms until the writer had a lease again",
                takeoverMillis, leaseAgainMillis);
        // lease 3 s: the Lease can be taken 3 s after the last renewal, plus retries and a state load
        assertThat(takeoverMillis).as("takeover time").isLessThan(15_000);

        JsonNode status = get(follower, "/v1/status", OPERATOR_TOKEN).json();
        assertThat(status.toString()).contains("\"mode\":\"ASYNC\"");
        assertThat(gcp.last.writer()).isEqualTo(gcp.site);
        assertThat(gcp.last.epoch()).as("same epoch: no failover").isEqualTo(epoch);
        assertThat(history).as("no lease to the standby, ever").noneMatch(h -> h.startsWith("aws") && h.contains("lease=Optional[LeaseGrant"));
        JsonNode events = get(follower, "/v1/events?limit=1000", OPERATOR_TOKEN).json();
        assertThat(events.toString()).contains("elected replica " + follower.id);

        // Someone else takes the Lease (another holder, freshly renewed): the replica stops acting within
        // its renew deadline and stores nothing more, though heartbeats keep coming.
        takeLease("intruder");
        awaitTrue(Duration.ofSeconds(5), () -> !ready(follower));
        byte[] stored = Files.readAllBytes(dir.resolve("state").resolve("state.json"));
        for (int i = 0; i < 10; i++) {
            assertThat(post(follower, "/v1/heartbeat", AGENT_TOKEN, aws.report(gcp)).status).isEqualTo(503);
            assertThat(post(follower, "/v1/mode", OPERATOR_TOKEN, Map.of("mode", "SYNC")).status).isEqualTo(503);
            Thread.sleep(100);
        }
        assertThat(Files.readAllBytes(dir.resolve("state").resolve("state.json"))).isEqualTo(stored);
        assertThat(follower.process.isAlive()).as("still running, as a candidate").isTrue();

        // The Lease is free again: the candidate takes it and acts, with the same state.
        client.leases().inNamespace(NAMESPACE).withName(LEASE).delete();
        awaitTrue(Duration.ofSeconds(20), () -> ready(follower));
        awaitTrue(Duration.ofSeconds(15), () -> round() && gcp.last.lease().isPresent());
        assertThat(gcp.last.epoch()).isEqualTo(epoch);
    }

    // ---- the replicas

    void start(String id) throws IOException {
        int port = freePort();
        Path logFile = dir.resolve(id + ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        var pb = new ProcessBuilder(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), "dev.twincloud.arbiter.ArbiterApplication")
                .redirectErrorStream(true).redirectOutput(logFile.toFile());
        Map<String, String> env = pb.environment();
        env.put("PORT", String.valueOf(port));
        env.put("SERVER_ADDRESS", "127.0.0.1");
        env.put("TWINCLOUD_STATE_DIR", dir.resolve("state").toString());
        env.put("TWINCLOUD_AGENT_TOKEN", AGENT_TOKEN);
        env.put("TWINCLOUD_OPERATOR_TOKEN", OPERATOR_TOKEN);
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_ENABLED", "true");
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_NAMESPACE", NAMESPACE);
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_LEASE_NAME", LEASE);
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_IDENTITY", id);
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_LEASE_DURATION", "3s");
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_RENEW_DEADLINE", "2s");
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_RETRY_PERIOD", "500ms");
        // fabric8's client: the mock API server, nothing from this machine's kubeconfig or service account
        env.put("KUBERNETES_MASTER", "http://127.0.0.1:" + server.getPort());
        env.put("KUBERNETES_NAMESPACE", NAMESPACE);
        env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
        env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
        env.remove("JAVA_TOOL_OPTIONS");
        replicas.put(id, new Replica(id, port, pb.start(), logFile));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    Replica other(Replica r) {
        return replicas.values().stream().filter(x -> x != r).findFirst().orElseThrow();
    }

    Replica awaitSoleLeader(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            List<Replica> ready = replicas.values().stream().filter(this::ready).toList();
            boolean allUp = replicas.values().stream().allMatch(r -> get(r, "/actuator/health/liveness", null).status == 200);
            if (ready.size() == 1 && allUp) {
                return ready.getFirst();
            }
            assertThat(ready).as("at most one replica is ready").hasSizeLessThanOrEqualTo(1);
            for (Replica r : replicas.values()) {
                assertThat(r.process.isAlive()).as("%s is running; its log:%n%s", r.id, tail(r)).isTrue();
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no single leader within " + timeout + "; logs:\n" + replicas.values().stream()
                .map(r -> r.id + ":\n" + tail(r)).reduce("", String::concat));
    }

    static String tail(Replica r) {
        try {
            List<String> lines = Files.readAllLines(r.log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return e.toString();
        }
    }

    boolean ready(Replica r) {
        return get(r, "/actuator/health/readiness", null).status == 200;
    }

    void takeLease(String holder) {
        String now = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
        Lease current = lease();
        client.leases().inNamespace(NAMESPACE).resource(new LeaseBuilder(current).editSpec()
                .withHolderIdentity(holder).withLeaseDurationSeconds(600)
                .withAcquireTime(java.time.ZonedDateTime.parse(now)).withRenewTime(java.time.ZonedDateTime.parse(now))
                .endSpec().build()).update();
    }

    Lease lease() {
        return client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
    }

    // ---- the agents: one heartbeat each through "the Service" (whichever replica answers 200)

    boolean round() {
        for (SimAgent a : List.of(gcp, aws)) {
            SimAgent peer = a == gcp ? aws : gcp;
            if (a.role == DbRole.STANDBY && peer.role == DbRole.PRIMARY) {
                a.lsn = peer.lsn;
            }
            for (Replica r : replicas.values()) {
                if (!r.process.isAlive()) {
                    continue;
                }
                Response resp = post(r, "/v1/heartbeat", AGENT_TOKEN, a.report(peer));
                if (resp.status == 200) {
                    Assignment answer = JSON.readValue(resp.body, Assignment.class);
                    a.apply(answer);
                    history.add(a.site + " from " + r.id + ": " + answer);
                    break;
                }
            }
        }
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return gcp.last != null;
    }

    // ---- HTTP

    static Response get(Replica r, String path, String token) {
        return send(request(r, path, token).GET());
    }

    static Response post(Replica r, String path, String token, Object body) {
        return send(request(r, path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    static HttpRequest.Builder request(Replica r, String path, String token) {
        var b = HttpRequest.newBuilder(URI.create(r.url(path))).timeout(Duration.ofSeconds(5));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    static Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> resp = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(resp.statusCode(), resp.headers().firstValue("Content-Type").orElse(""), resp.body());
        } catch (IOException e) {
            return new Response(-1, "", e.toString()); // not listening (yet, or any more)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException(e));
        }
    }

    static void awaitTrue(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + timeout);
            }
            Thread.sleep(100);
        }
    }
}
