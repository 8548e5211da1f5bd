package dev.twincloud.deploy.consistency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.deploy.helm.Charts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failsafe link (docs/design.md rule 9) as the site chart configures it, with the agent started
 * as a real process (its runnable jar) and the environment the chart renders for the GCP site, the
 * certificate paths pointed at a certificate made here (keytool) and the addresses at loopback: the
 * agent's API port, which the other site reaches through agent.failsafeService, serves HTTPS only -
 * a client that does not trust the CA is refused at the handshake, one with the trust store gets
 * the promise endpoint (401 without the agent token) - and serves no actuator; health and metrics
 * answer in plain HTTP on the management port, which stays inside the cluster. The stand-in: no
 * Kubernetes API and no database here, so the agent's loop fails its observations meanwhile.
 */
class AgentFailsafeTlsTest {
    /** In this helper's port range. */
    private static final int API_PORT = 21090;
    private static final int MANAGEMENT_PORT = 21091;
    private static final String STOREPASS = "agent-test-store";

    @Test
    void theAgentsApiPortServesOnlyHttpsAndTheActuatorStaysOnTheManagementPort(@TempDir Path tmp) throws Exception {
        Path jar = TlsProcess.execJar("agent");
        Path tls = Files.createDirectories(tmp.resolve("agent-tls"));
        Path truststore = tmp.resolve("truststore.p12");
        TlsProcess.makeCertificate(tls, "twincloud-agent-gcp", "ip:127.0.0.1", truststore, STOREPASS);

        ProcessBuilder pb = new ProcessBuilder(TlsProcess.javaJar(jar))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("agent.log").toFile());
        pb.environment().putAll(chartEnvironment(tmp));
        Process agent = pb.start();
        try {
            TlsProcess.awaitPort(agent, API_PORT, tmp.resolve("agent.log"), "the agent");
            TlsProcess.awaitPort(agent, MANAGEMENT_PORT, tmp.resolve("agent.log"), "the agent");
            String promise = "https://127.0.0.1:" + API_PORT + "/v1/failsafe/promise";

            HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> untrusting.send(post(promise), HttpResponse.BodyHandlers.ofString()))
                    .as("a client without the agents' CA is refused").isInstanceOf(SSLHandshakeException.class);

            HttpClient trusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).sslContext(TlsProcess.trusting(truststore, STOREPASS)).build();
            HttpResponse<String> noToken = trusting.send(post(promise), HttpResponse.BodyHandlers.ofString());
            assertThat(noToken.statusCode()).as("the promise endpoint, over TLS, wants the agent token: %s", noToken.body()).isEqualTo(401);
            HttpResponse<String> actuator = trusting.send(get("https://127.0.0.1:" + API_PORT + "/actuator/prometheus"), HttpResponse.BodyHandlers.ofString());
            assertThat(actuator.statusCode()).as("no actuator on the port the other site reaches").isEqualTo(404);

            // Plain HTTP never reaches the endpoint: the connection fails, or Tomcat answers 400 ("This
            // combination of host and port requires TLS") before any application code runs.
            int plain;
            try {
                plain = untrusting.send(post("http://127.0.0.1:" + API_PORT + "/v1/failsafe/promise"),
                        HttpResponse.BodyHandlers.ofString()).statusCode();
            } catch (IOException e) {
                plain = -1;
            }
            assertThat(plain).as("no plain HTTP on the agent's API port").isIn(-1, 400);

            HttpResponse<String> liveness = untrusting.send(get("http://127.0.0.1:" + MANAGEMENT_PORT + "/actuator/health/liveness"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(liveness.statusCode()).as("probes: plain HTTP on the management port: %s", liveness.body()).isEqualTo(200);
            HttpResponse<String> metrics = untrusting.send(get("http://127.0.0.1:" + MANAGEMENT_PORT + "/actuator/prometheus"),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).as("metrics on the management port").isEqualTo(200);
            assertThat(metrics.body()).as("the API certificate's expiry (alert TwincloudCertificateExpiringSoon)")
                    .containsPattern("(?m)^ssl_chain_expiry_seconds\\{[^}]*bundle=\"server\"[^}]*} [0-9.E+]+$");
        } finally {
            agent.destroy();
            if (!agent.waitFor(20, TimeUnit.SECONDS)) {
                agent.destroyForcibly();
            }
        }
    }

    /** The agent container's environment as the GCP site's chart renders it, paths and ports mapped here. */
    static Map<String, String> chartEnvironment(Path tmp) {
        Map<String, String> env = CrossReferencesTest.plainEnvironment(
                Charts.render(Charts.SITE, Charts.values("values-gcp.yaml")), "twincloud-agent",
                v -> v.replace("/etc/twincloud/agent-tls/", tmp.resolve("agent-tls") + "/"));
        assertThat(env).containsEntry("SERVER_SSL_ENABLED", "true").containsEntry("MANAGEMENT_SERVER_SSL_ENABLED", "false")
                .containsEntry("SERVER_SSL_BUNDLE", "server")
                .containsKeys("SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_CERTIFICATE", "SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_PRIVATEKEY",
                        "MANAGEMENT_SERVER_PORT", "TWINCLOUD_AGENT_PORT");
        // What the chart takes from Secrets; loopback addresses and ports of this test's range; the
        // JVM trust store (for the agent's own outgoing calls) is not what this test looks at.
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("TWINCLOUD_PEER_AGENT_URL");
        env.put("TWINCLOUD_AGENT_TOKEN", "agent-token-for-the-failsafe-tls-test");
        env.put("TWINCLOUD_DB_USER", "postgres");
        env.put("TWINCLOUD_DB_PASSWORD", "not-used-here");
        env.put("TWINCLOUD_CNPG_NAMESPACE", "twincloud");
        env.put("TWINCLOUD_AGENT_ADDRESS", "127.0.0.1");
        env.put("TWINCLOUD_AGENT_PORT", String.valueOf(API_PORT));
        env.put("MANAGEMENT_SERVER_ADDRESS", "127.0.0.1");
        env.put("MANAGEMENT_SERVER_PORT", String.valueOf(MANAGEMENT_PORT));
        env.put("TWINCLOUD_ARBITER_URL", "https://127.0.0.1:9/"); // nothing there: heartbeats fail at once
        env.put("KUBECONFIG", tmp.resolve("no-kubeconfig").toString());
        return env;
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
    }

    private static HttpRequest post(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"writer\":\"aws\",\"epoch\":1,\"writeLsn\":\"0/0\"}")).build();
    }
}
