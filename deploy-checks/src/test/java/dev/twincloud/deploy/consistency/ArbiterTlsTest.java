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
 * The arbiter started as a real process (its runnable jar) with exactly the environment the arbiter
 * chart renders, its certificate paths pointed at a certificate made here (keytool): it serves HTTPS
 * only, a client that does not trust its CA is refused at the handshake, and a client with the
 * PKCS#12 trust store the site chart gives the agents (agent.arbiterTrust) gets through. This is the
 * agent-to-arbiter link of docs/adr/0005 (TLS plus the bearer token; not mutual TLS).
 */
class ArbiterTlsTest {
    /** In this project's test port range for deploy-checks. */
    private static final int PORT = 24443;
    private static final String STOREPASS = "arbiter-test-store";

    @Test
    void theArbiterServesOnlyHttpsAndRefusesClientsThatDoNotTrustItsCa(@TempDir Path tmp) throws Exception {
        Path jar = TlsProcess.execJar("arbiter");
        Map<String, String> env = chartEnvironment(tmp);
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        Path truststore = tmp.resolve("truststore.p12");
        TlsProcess.makeCertificate(tls, "arbiter", "ip:127.0.0.1,dns:localhost", truststore, STOREPASS);

        ProcessBuilder pb = new ProcessBuilder(TlsProcess.javaJar(jar))
                .redirectErrorStream(true).redirectOutput(tmp.resolve("arbiter.log").toFile());
        pb.environment().putAll(env);
        Process arbiter = pb.start();
        try {
            TlsProcess.awaitPort(arbiter, PORT, tmp.resolve("arbiter.log"), "the arbiter");
            String url = "https://127.0.0.1:" + PORT + "/actuator/health/liveness";

            HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> untrusting.send(get(url), HttpResponse.BodyHandlers.ofString()))
                    .as("a client without the arbiter's CA is refused").isInstanceOf(SSLHandshakeException.class);

            HttpClient trusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).sslContext(TlsProcess.trusting(truststore, STOREPASS)).build();
            HttpResponse<String> ok = trusting.send(get(url), HttpResponse.BodyHandlers.ofString());
            assertThat(ok.statusCode()).as("with the agents' trust store").isEqualTo(200);

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            boolean plainServed;
            try {
                plainServed = plain.send(get("http://127.0.0.1:" + PORT + "/actuator/health/liveness"),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
            } catch (IOException e) {
                plainServed = false;
            }
            assertThat(plainServed).as("no plain HTTP on the agents' port").isFalse();

            // the certificate's expiry for the alert TwincloudCertificateExpiringSoon (keytool: valid 2 days)
            String metrics = trusting.send(get("https://127.0.0.1:" + PORT + "/actuator/prometheus"),
                    HttpResponse.BodyHandlers.ofString()).body();
            java.util.regex.Matcher expiry = java.util.regex.Pattern.compile(
                    "(?m)^ssl_chain_expiry_seconds\\{[^}]*bundle=\"server\"[^}]*} ([0-9.E+]+)$").matcher(metrics);
            assertThat(expiry.find()).as("ssl_chain_expiry_seconds of the bundle 'server' in:\n%s", metrics).isTrue();
            assertThat(Double.parseDouble(expiry.group(1))).as("seconds left").isBetween(86_400.0, 2 * 86_400.0 + 60);
        } finally {
            arbiter.destroy();
            if (!arbiter.waitFor(20, TimeUnit.SECONDS)) {
                arbiter.destroyForcibly();
            }
        }
    }

    /** The arbiter container's environment as the chart renders it, paths mapped into {@code tmp}. */
    static Map<String, String> chartEnvironment(Path tmp) {
        Map<String, String> env = CrossReferencesTest.plainEnvironment(
                Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml")), "twincloud-arbiter",
                v -> v.replace("/etc/twincloud/tls/", tmp.resolve("tls") + "/")
                        .replace("/var/lib/twincloud/arbiter", tmp.resolve("state").toString()));
        assertThat(env).containsEntry("SERVER_SSL_ENABLED", "true").containsEntry("SERVER_SSL_BUNDLE", "server")
                .containsKeys("SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_CERTIFICATE", "SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_PRIVATEKEY");
        // What the chart takes from Secrets, and a loopback address and a port of this test's range.
        env.put("TWINCLOUD_AGENT_TOKEN", "agent-token-for-the-tls-test");
        env.put("TWINCLOUD_OPERATOR_TOKEN", "operator-token-for-the-tls-test");
        env.put("SERVER_ADDRESS", "127.0.0.1");
        env.put("PORT", String.valueOf(PORT));
        return env;
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
    }
}
