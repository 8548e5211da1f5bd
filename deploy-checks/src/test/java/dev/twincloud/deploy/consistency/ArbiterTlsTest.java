package dev.twincloud.deploy.consistency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.twincloud.deploy.helm.Charts;
import dev.twincloud.deploy.terraform.TerraformTree;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
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
        Path jar = execJar();
        Map<String, String> env = chartEnvironment(tmp);
        Path tls = Files.createDirectories(tmp.resolve("tls"));
        makeCertificate(tls);
        Path truststore = tmp.resolve("truststore.p12");
        keytool("-importcert", "-noprompt", "-alias", "arbiter-ca", "-file", tls.resolve("tls.crt").toString(),
                "-keystore", truststore.toString(), "-storetype", "PKCS12", "-storepass", STOREPASS);

        ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx256m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("arbiter.log").toFile());
        pb.environment().putAll(env);
        Process arbiter = pb.start();
        try {
            awaitPort(arbiter, tmp.resolve("arbiter.log"));
            String url = "https://127.0.0.1:" + PORT + "/actuator/health/liveness";

            HttpClient untrusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            assertThatThrownBy(() -> untrusting.send(get(url), HttpResponse.BodyHandlers.ofString()))
                    .as("a client without the arbiter's CA is refused").isInstanceOf(SSLHandshakeException.class);

            HttpClient trusting = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).sslContext(trusting(truststore)).build();
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
        } finally {
            arbiter.destroy();
            if (!arbiter.waitFor(20, TimeUnit.SECONDS)) {
                arbiter.destroyForcibly();
            }
        }
    }

    /** The arbiter container's environment as the chart renders it, paths mapped into {@code tmp}. */
    @SuppressWarnings("unchecked")
    static Map<String, String> chartEnvironment(Path tmp) {
        Map<String, Object> c = CrossReferencesTest.containers(
                Charts.render(Charts.ARBITER, Charts.values("values-arbiter.yaml")), "twincloud-arbiter").getFirst();
        Map<String, String> env = new LinkedHashMap<>();
        for (Map<String, Object> e : (List<Map<String, Object>>) c.get("env")) {
            if (e.get("value") != null) {
                env.put((String) e.get("name"), ((String) e.get("value"))
                        .replace("/etc/twincloud/tls/", tmp.resolve("tls") + "/")
                        .replace("/var/lib/twincloud/arbiter", tmp.resolve("state").toString()));
            }
        }
        assertThat(env).containsEntry("SERVER_SSL_ENABLED", "true").containsKeys("SERVER_SSL_CERTIFICATE", "SERVER_SSL_CERTIFICATEPRIVATEKEY");
        // What the chart takes from Secrets, and a loopback address and a port of this test's range.
        env.put("TWINCLOUD_AGENT_TOKEN", "agent-token-for-the-tls-test");
        env.put("TWINCLOUD_OPERATOR_TOKEN", "operator-token-for-the-tls-test");
        env.put("SERVER_ADDRESS", "127.0.0.1");
        env.put("PORT", String.valueOf(PORT));
        return env;
    }

    /** A self-signed certificate for 127.0.0.1 (keytool), written as the PEM tls.crt and tls.key the chart mounts. */
    private static void makeCertificate(Path dir) throws Exception {
        Path p12 = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "arbiter", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=arbiter",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", STOREPASS, "-keypass", STOREPASS);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, STOREPASS.toCharArray());
        }
        Certificate cert = ks.getCertificate("arbiter");
        PrivateKey key = (PrivateKey) ks.getKey("arbiter", STOREPASS.toCharArray());
        Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(dir.resolve("tls.key"), pem("PRIVATE KEY", key.getEncoded()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static SSLContext trusting(Path truststore) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(truststore)) {
            ts.load(in, STOREPASS.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
    }

    private static void awaitPort(Process p, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120); // a shared, busy machine
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError("the arbiter exited (" + p.exitValue() + "):\n" + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", PORT), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(300);
            }
        }
        throw new AssertionError("the arbiter did not listen on " + PORT + " within 120 s:\n" + Files.readString(log));
    }

    /** The arbiter's runnable jar, built by the package phase (./mvnw verify builds it before these tests). */
    private static Path execJar() throws IOException {
        Path target = TerraformTree.ROOT.resolve("arbiter/target");
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (Stream<Path> s = Files.list(target)) {
                s.filter(f -> f.getFileName().toString().matches("twincloud-arbiter-.*-exec\\.jar")).forEach(jars::add);
            }
        }
        assumeTrue(!jars.isEmpty(), "arbiter/target has no runnable jar: run ./mvnw package (verify does) before this test");
        return jars.getFirst();
    }

    private static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool %s: %s", String.join(" ", args), out).isZero();
    }
}
