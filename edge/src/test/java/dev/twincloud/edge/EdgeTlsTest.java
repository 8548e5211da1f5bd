package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The edge with TLS on both sides, on real sockets: HTTPS on {@code --tls-port} from PEM files, and {@code https://}
 * backends whose certificates must chain to {@code --backend-ca} and name the backend's host in their SANs. Two
 * self-signed EC certificates made by keytool, both in the CA file: one for 127.0.0.1, one for another name.
 */
class EdgeTlsTest {
    private static final String PASS = "changeit";
    @TempDir
    Path dir;
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : open.reversed()) {
            c.close();
        }
    }

    @Test
    void probesAndForwardsOverHttpsOnlyToABackendWhoseCertificateChainsToTheCaAndNamesItsHost() throws Exception {
        Process rightKeytool = keytool("right", "SAN=ip:127.0.0.1");
        Process wrongKeytool = keytool("wrong-name", "SAN=dns:elsewhere.example"); // both at once: two JVMs
        Path right = certificate("right", rightKeytool);
        Path wrongName = certificate("wrong-name", wrongKeytool);
        Path ca = Files.writeString(dir.resolve("ca.crt"),
                Files.readString(right.resolveSibling("right.crt")) + Files.readString(wrongName.resolveSibling("wrong-name.crt")));
        HttpsServer a = backend(right, "a");
        HttpsServer b = backend(wrongName, "b");
        Backend backendA = Backend.parse("a=https://127.0.0.1:" + a.getAddress().getPort());
        Backend backendB = Backend.parse("b=https://127.0.0.1:" + b.getAddress().getPort());

        try (HttpProber withCa = new HttpProber("/h", Duration.ofSeconds(5), EdgeTls.client(ca));
             HttpProber jvmTrust = new HttpProber("/h", Duration.ofSeconds(5), EdgeTls.client(null))) {
            assertThat(withCa.probe(backendA).ok()).as("the CA's certificate for 127.0.0.1").isTrue();
            Prober.Result wrong = withCa.probe(backendB);
            assertThat(wrong.ok()).as("the CA's certificate, for another name").isFalse();
            assertThat(wrong.detail()).containsIgnoringCase("subject alternative");
            assertThat(jvmTrust.probe(backendA).ok()).as("without --backend-ca: the JVM's trust, which lacks this CA").isFalse();
        }

        EdgeServer edge = new EdgeServer(EdgeConfig.parse("--port", "0", "--tls-port", "0",
                "--tls-certificate", dir.resolve("right.crt").toString(), "--tls-key", dir.resolve("right.key").toString(),
                "--backend-ca", ca.toString(), "--backend", "b=" + backendB.url(), "--backend", "a=" + backendA.url(),
                "--health-path", "/h", "--interval-ms", "1000", "--timeout-ms", "1000", "--healthy-threshold", "1"));
        open.add(edge);
        edge.start();
        HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(dir.resolve("right.crt"))).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + edge.tlsPort() + "/v1/x")).build();
        Instant deadline = Instant.now().plusSeconds(30);
        HttpResponse<String> r = trusting.send(request, HttpResponse.BodyHandlers.ofString());
        while (r.statusCode() != 200 && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            r = trusting.send(request, HttpResponse.BodyHandlers.ofString());
        }
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).as("b, listed first, is never healthy: its certificate names another host").isEqualTo("a");
        assertThat(edge.pool().status()).filteredOn(s -> s.backend().name().equals("b")).singleElement()
                .satisfies(s -> assertThat(s.healthy()).isFalse());
        HttpResponse<String> plain = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/v1/x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.body()).as("--port stays plain HTTP").isEqualTo("a");
        assertThatThrownBy(() -> HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()))
                .as("a client that does not trust the edge's certificate").isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void aKeyOrCertificateFileItCannotReadIsACleanError() throws Exception {
        Path notAKey = Files.writeString(dir.resolve("not.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
        Path notACertificate = Files.writeString(dir.resolve("not.crt"), "hello");
        assertThatThrownBy(() -> new EdgeServer(EdgeConfig.parse("--port", "0", "--backend", "a=https://127.0.0.1:1",
                "--tls-port", "0", "--tls-certificate", notACertificate.toString(), "--tls-key", notAKey.toString())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--tls-certificate " + notACertificate);
        assertThatThrownBy(() -> EdgeTls.privateKey(notAKey)).hasMessageContaining("no PKCS#8 key (BEGIN PRIVATE KEY)");
        assertThatThrownBy(() -> new EdgeServer(EdgeConfig.parse("--port", "0", "--backend", "a=https://127.0.0.1:1",
                "--backend-ca", notACertificate.toString())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("--backend-ca " + notACertificate);
    }

    /** A backend serving HTTPS with the key store {@code p12}, answering every request 200 with {@code name}. */
    private HttpsServer backend(Path p12, String name) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASS.toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, PASS.toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/", exchange -> {
            byte[] body = name.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        open.add(() -> server.stop(0));
        return server;
    }

    private static SSLContext trusting(Path pem) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", EdgeTls.certificates(pem).get(0));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** keytool making a self-signed EC certificate with {@code san} in {@code <name>.p12}. */
    private Process keytool(String name, String san) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + name, "-ext", san,
                "-validity", "2", "-storetype", "PKCS12", "-keystore", dir.resolve(name + ".p12").toString(), "-storepass", PASS, "-keypass", PASS));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    /** Once {@code p} (keytool) is done: {@code <name>.p12}, and {@code <name>.crt}/{@code .key} in PEM. */
    private Path certificate(String name, Process p) throws Exception {
        Path p12 = dir.resolve(name + ".p12");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, PASS.toCharArray());
        }
        Files.writeString(dir.resolve(name + ".crt"), pem("CERTIFICATE", ks.getCertificate("server").getEncoded()));
        Files.writeString(dir.resolve(name + ".key"), pem("PRIVATE KEY", ((PrivateKey) ks.getKey("server", PASS.toCharArray())).getEncoded()));
        return p12;
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }
}
