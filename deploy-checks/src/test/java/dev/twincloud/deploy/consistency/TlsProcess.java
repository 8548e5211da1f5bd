package dev.twincloud.deploy.consistency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.twincloud.deploy.terraform.TerraformTree;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * What the tests that start a module's runnable jar with a chart's TLS environment share
 * (ArbiterTlsTest, AgentFailsafeTlsTest): the jar, keytool, a self-signed PEM certificate, a client
 * trust store, waiting for a port.
 */
final class TlsProcess {
    private TlsProcess() {
    }

    /** A module's runnable jar, built by the package phase (./mvnw verify builds it before these tests). */
    static Path execJar(String module) throws IOException {
        Path target = TerraformTree.ROOT.resolve(module + "/target");
        List<Path> jars = new ArrayList<>();
        if (Files.isDirectory(target)) {
            try (Stream<Path> s = Files.list(target)) {
                s.filter(f -> f.getFileName().toString().matches("twincloud-" + module + "-.*-exec\\.jar")).forEach(jars::add);
            }
        }
        assumeTrue(!jars.isEmpty(), module + "/target has no runnable jar: run ./mvnw package (verify does) before this test");
        return jars.getFirst();
    }

    /** The command line that runs {@code jar} as the lab runs its apps: C1 only, the serial collector, a small heap. */
    static List<String> javaJar(Path jar) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-jar", jar.toString());
    }

    /**
     * A self-signed certificate (keytool) with the given SANs, written as the PEM tls.crt and tls.key a
     * chart mounts, and a PKCS#12 trust store holding it at {@code truststore}.
     */
    static void makeCertificate(Path dir, String cn, String san, Path truststore, String storepass) throws Exception {
        Path p12 = dir.resolve("server.p12");
        keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                "-ext", "SAN=" + san, "-validity", "2", "-storetype", "PKCS12",
                "-keystore", p12.toString(), "-storepass", storepass, "-keypass", storepass);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(p12)) {
            ks.load(in, storepass.toCharArray());
        }
        Certificate cert = ks.getCertificate("server");
        PrivateKey key = (PrivateKey) ks.getKey("server", storepass.toCharArray());
        Files.writeString(dir.resolve("tls.crt"), pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(dir.resolve("tls.key"), pem("PRIVATE KEY", key.getEncoded()));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", dir.resolve("tls.crt").toString(),
                "-keystore", truststore.toString(), "-storetype", "PKCS12", "-storepass", storepass);
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static SSLContext trusting(Path truststore, String storepass) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(truststore)) {
            ts.load(in, storepass.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** Waits (120 s: a shared, busy machine) until {@code port} on loopback accepts; fails with the log if the process exits. */
    static void awaitPort(Process p, int port, Path log, String who) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new AssertionError(who + " exited (" + p.exitValue() + "):\n" + Files.readString(log));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                Thread.sleep(300);
            }
        }
        throw new AssertionError(who + " did not listen on " + port + " within 120 s:\n" + Files.readString(log));
    }

    static void keytool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("keytool %s: %s", String.join(" ", args), out).isZero();
    }
}
