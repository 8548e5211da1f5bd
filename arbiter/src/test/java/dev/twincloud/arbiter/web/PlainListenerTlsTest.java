package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The arbiter as the lab runs it with TLS: HTTPS on {@code server.port} with a PEM certificate (the SSL bundle a
 * deployment uses), for the agents; plain HTTP on {@code twincloud.arbiter.plain-port}, loopback, for the tools on its
 * own machine. A client that does not trust the certificate's CA, and plain HTTP to the TLS port, get nothing.
 * The certificate here is self-signed by keytool (the lab's own CA is LabTls', tested in the lab module).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.DEFINED_PORT, properties = {
        "server.port=" + PlainListenerTlsTest.TLS_PORT,
        "twincloud.arbiter.plain-port=" + PlainListenerTlsTest.PLAIN_PORT,
        "twincloud.arbiter.agent-token=" + PlainListenerTlsTest.AGENT_TOKEN,
        "twincloud.arbiter.operator-token=" + PlainListenerTlsTest.OPERATOR_TOKEN,
        "twincloud.arbiter.tick-interval=1h",
        "server.ssl.enabled=true", "server.ssl.bundle=server"})
class PlainListenerTlsTest {
    static final int TLS_PORT = 31060;
    static final int PLAIN_PORT = 31061;
    static final String AGENT_TOKEN = "agent-token-for-tls-tests-0123";
    static final String OPERATOR_TOKEN = "operator-token-for-tls-tests-01";
    private static final String PASS = "changeit";
    private static final Path DIR = certificate();

    @DynamicPropertySource
    static void tls(DynamicPropertyRegistry registry) {
        registry.add("twincloud.arbiter.state-dir", () -> DIR.resolve("state").toString());
        registry.add("spring.ssl.bundle.pem.server.keystore.certificate", () -> "file:" + DIR.resolve("tls.crt"));
        registry.add("spring.ssl.bundle.pem.server.keystore.private-key", () -> "file:" + DIR.resolve("tls.key"));
    }

    @Test
    void httpsForTheAgentsWithTheirTokenPlainHttpOnLoopbackForTheLocalTools() throws Exception {
        HttpClient trusting = HttpClient.newBuilder().sslContext(trusting()).connectTimeout(Duration.ofSeconds(5)).build();
        assertThat(get(trusting, "https://127.0.0.1:" + TLS_PORT + "/actuator/health", null).statusCode()).isEqualTo(200);
        assertThat(get(trusting, "https://127.0.0.1:" + TLS_PORT + "/v1/status", null).statusCode()).as("tokens still guard it").isEqualTo(401);
        assertThat(get(trusting, "https://127.0.0.1:" + TLS_PORT + "/v1/status", OPERATOR_TOKEN).statusCode()).isEqualTo(200);

        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThat(get(plain, "http://127.0.0.1:" + PLAIN_PORT + "/actuator/health", null).statusCode()).isEqualTo(200);
        assertThat(get(plain, "http://127.0.0.1:" + PLAIN_PORT + "/v1/status", null).statusCode()).isEqualTo(401);
    }

    @Test
    void aClientThatDoesNotTrustTheCaAndPlainHttpToTheTlsPortGetNothing() throws Exception {
        HttpClient jdkDefaults = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> get(jdkDefaults, "https://127.0.0.1:" + TLS_PORT + "/actuator/health", null))
                .isInstanceOf(SSLHandshakeException.class);
        // Tomcat answers plain HTTP on a TLS port with a bare 400 of its own: no request reaches the arbiter
        HttpResponse<String> r = get(jdkDefaults, "http://127.0.0.1:" + TLS_PORT + "/actuator/health", null);
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).doesNotContain("UP");
    }

    private static HttpResponse<String> get(HttpClient client, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static SSLContext trusting() throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(DIR.resolve("truststore.p12"))) {
            ts.load(in, PASS.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** A self-signed EC certificate for 127.0.0.1 (keytool), as PEM files, and a trust store holding it. */
    private static Path certificate() {
        try {
            Path target = Path.of("target").toAbsolutePath();
            Files.createDirectories(target);
            Path dir = Files.createTempDirectory(target, "arbiter-tls-");
            Path p12 = dir.resolve("server.p12");
            keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=arbiter",
                    "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", p12.toString(),
                    "-storepass", PASS, "-keypass", PASS);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(p12)) {
                ks.load(in, PASS.toCharArray());
            }
            Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", ks.getCertificate("server").getEncoded()));
            Files.writeString(dir.resolve("tls.key"), pem("PRIVATE KEY", ((PrivateKey) ks.getKey("server", PASS.toCharArray())).getEncoded()));
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("tls.crt").toString(),
                    "-keystore", dir.resolve("truststore.p12").toString(), "-storetype", "PKCS12", "-storepass", PASS);
            return dir;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool " + String.join(" ", args) + ": " + out);
        }
    }
}
