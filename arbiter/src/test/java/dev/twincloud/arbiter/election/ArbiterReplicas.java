package dev.twincloud.arbiter.election;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.SiteId;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Test fixture: arbiter replicas as real JVMs (this module's classes) sharing one state directory
 * and competing for a Lease on fabric8's mock Kubernetes API server in CRUD mode (the stand-in for
 * a Kubernetes API server here), plus two simulated agents that heartbeat through "the Service":
 * whichever replica answers 200. Each replica's log is kept in {@code target/} when closed.
 */
final class ArbiterReplicas implements AutoCloseable {

    static final String AGENT_TOKEN = "agent-token-0123456789";
    static final String OPERATOR_TOKEN = "operator-token-0123456789";
    static final String NAMESPACE = "twincloud";
    static final String LEASE = "twincloud-arbiter";
    static final JsonMapper JSON = JsonMapper.shared();
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    private final Path dir;
    private final KubernetesMockServer server;
    final KubernetesClient client;
    final Map<String, Replica> replicas = new LinkedHashMap<>();
    final SimAgent gcp = new SimAgent(SiteId.of("gcp"), DbRole.PRIMARY);
    final SimAgent aws = new SimAgent(SiteId.of("aws"), DbRole.STANDBY);
    /** Every answer the agents got: "site from replica: assignment". */
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

    ArbiterReplicas(Path dir) {
        this.dir = dir;
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new java.util.HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    Path stateFile() {
        return dir.resolve("state").resolve("state.json");
    }

    /** Starts replica {@code id} (a pod of that name is created first, as the replica labels it). */
    Replica start(String id) throws IOException {
        if (client.pods().inNamespace(NAMESPACE).withName(id).get() == null) {
            client.pods().inNamespace(NAMESPACE).resource(new PodBuilder().withNewMetadata().withName(id)
                    .withNamespace(NAMESPACE).addToLabels(PodLabel.KEY, "leader").endMetadata().build()).create();
        }
        int port = freePort();
        Path logFile = dir.resolve(id + "-" + System.nanoTime() + ".log");
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
        env.put("TWINCLOUD_ARBITER_LEADER_ELECTION_LABEL_POD", "true");
        // fabric8's client: the mock API server, nothing from this machine's kubeconfig or service account
        env.put("KUBERNETES_MASTER", "http://127.0.0.1:" + server.getPort());
        env.put("KUBERNETES_NAMESPACE", NAMESPACE);
        env.put("KUBERNETES_AUTH_TRYKUBECONFIG", "false");
        env.put("KUBERNETES_AUTH_TRYSERVICEACCOUNT", "false");
        env.remove("JAVA_TOOL_OPTIONS");
        Replica r = new Replica(id, port, pb.start(), logFile);
        replicas.put(id, r);
        return r;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    Replica other(Replica r) {
        return replicas.values().stream().filter(x -> x != r).findFirst().orElseThrow();
    }

    /** Waits until every replica is up and exactly one acts; fails on a second acting one or a dead replica. */
    Replica awaitSoleLeader(Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            List<Replica> acting = replicas.values().stream().filter(this::leads).toList();
            boolean allUp = replicas.values().stream().allMatch(r -> get(r, "/actuator/health/liveness", null).status == 200);
            if (acting.size() == 1 && allUp) {
                return acting.getFirst();
            }
            if (acting.size() > 1) {
                throw new AssertionError("two replicas act: " + acting);
            }
            for (Replica r : replicas.values()) {
                if (!r.process.isAlive()) {
                    throw new AssertionError(r.id + " exited; its log:\n" + tail(r));
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no single acting replica within " + timeout + "; logs:\n" + replicas.values().stream()
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

    /** {@code /actuator/health/leader}: 200 only on the replica that acts. */
    boolean leads(Replica r) {
        return r.process.isAlive() && get(r, "/actuator/health/leader", null).status == 200;
    }

    String role(Replica r) {
        return client.pods().inNamespace(NAMESPACE).withName(r.id).get().getMetadata().getLabels().get(PodLabel.KEY);
    }

    Lease lease() {
        return client.leases().inNamespace(NAMESPACE).withName(LEASE).get();
    }

    /** One heartbeat per agent through "the Service" (the first replica that answers 200), then 100 ms. */
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
        sleep(100);
        return gcp.last != null;
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Response get(Replica r, String path, String token) {
        return send(request(r, path, token).GET());
    }

    static Response post(Replica r, String path, String token, Object body) {
        return send(request(r, path, token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    private static HttpRequest.Builder request(Replica r, String path, String token) {
        var b = HttpRequest.newBuilder(URI.create(r.url(path))).timeout(Duration.ofSeconds(5));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    private static Response send(HttpRequest.Builder request) {
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

    @Override
    public void close() {
        for (Replica r : replicas.values()) {
            r.process.destroyForcibly();
        }
        for (Replica r : replicas.values()) {
            try {
                r.process.waitFor();
                // kept for reading after a failure
                Files.copy(r.log, Path.of("target", "leader-election-" + r.log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // the log is a convenience
            }
        }
        client.close();
        server.destroy();
    }
}
