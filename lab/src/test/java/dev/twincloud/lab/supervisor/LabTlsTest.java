package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The lab's CA and certificates as lab up makes them: in Java, keys 0600, SANs and common names, reused on the next start. */
class LabTlsTest {
    @TempDir
    Path root;

    @Test
    void aCaAndOneCertificatePerComponentKeysReadableByTheOwnerAloneAndKeptOnTheNextStart() throws Exception {
        LabTls tls = LabTls.loadOrCreate(root.resolve("tls"));
        X509Certificate ca = tls.read(LabTls.CA);
        assertThat(ca.getBasicConstraints()).as("a CA").isGreaterThanOrEqualTo(0);
        assertThat(mode(tls.key(LabTls.CA))).isEqualTo("rw-------");

        Map<String, LabTls.Leaf> leaves = LabTls.leaves();
        assertThat(leaves.keySet()).contains("arbiter", "gcp-agent", "aws-agent", "gcp-postgres", "aws-postgres",
                "gcp-replication", "aws-replication", "gcp-pg-agent", "aws-pg-agent");
        for (var e : leaves.entrySet()) {
            X509Certificate cert = tls.read(e.getKey());
            cert.verify(ca.getPublicKey()); // issued by the lab's CA
            assertThat(cert.getBasicConstraints()).as(e.getKey() + " is no CA").isEqualTo(-1);
            assertThat(cert.getSubjectX500Principal().getName()).startsWith("CN=" + e.getValue().commonName() + ",");
            assertThat(mode(tls.key(e.getKey()))).as(e.getKey() + ".key").isEqualTo("rw-------");
            assertThat(Files.readString(tls.key(e.getKey()))).startsWith("-----BEGIN PRIVATE KEY-----");
            if (e.getValue().server()) {
                assertThat(cert.getSubjectAlternativeNames().stream().map(san -> String.valueOf(san.get(1))).toList())
                        .containsExactlyInAnyOrder("127.0.0.1", "localhost");
                assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1"); // serverAuth
            } else {
                assertThat(cert.getSubjectAlternativeNames()).isNull();
                assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2"); // clientAuth
            }
        }
        assertThat(tls.read("gcp-replication").getSubjectX500Principal().getName()).startsWith("CN=" + LabTls.REPLICATION_ROLE + ",");
        assertThat(tls.read("aws-pg-agent").getSubjectX500Principal().getName()).startsWith("CN=" + LabTls.PEER_ROLE + ",");

        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(tls.trustStore())) {
            trust.load(in, LabTls.TRUSTSTORE_PASSWORD.toCharArray());
        }
        assertThat(trust.getCertificate("twincloud-lab-ca")).isEqualTo(ca);

        byte[] caBefore = Files.readAllBytes(tls.caCertificate());
        byte[] keyBefore = Files.readAllBytes(tls.key("gcp-postgres"));
        LabTls again = LabTls.loadOrCreate(root.resolve("tls"));
        assertThat(Files.readAllBytes(again.caCertificate())).as("the CA is kept").isEqualTo(caBefore);
        assertThat(Files.readAllBytes(again.key("gcp-postgres"))).as("the certificates are kept").isEqualTo(keyBefore);

        Files.delete(tls.certificate("aws-agent"));
        LabTls.loadOrCreate(root.resolve("tls"));
        tls.read("aws-agent").verify(ca.getPublicKey()); // a missing one is issued again, by the same CA
        assertThat(Files.readAllBytes(again.caCertificate())).isEqualTo(caBefore);
    }

    @Test
    void aStrangersCertificatesAreNotTheLabs() throws Exception {
        LabTls tls = LabTls.loadOrCreate(root.resolve("tls"));
        LabTls.writeStrangerCa(root.resolve("other"), List.of(LabTls.REPLICATION_ROLE));
        X509Certificate stranger = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
                .generateCertificate(Files.newInputStream(root.resolve("other").resolve(LabTls.REPLICATION_ROLE + ".crt")));
        assertThat(stranger.getSubjectX500Principal().getName()).startsWith("CN=" + LabTls.REPLICATION_ROLE + ",");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> stranger.verify(tls.read(LabTls.CA).getPublicKey()))
                .isInstanceOf(java.security.SignatureException.class);
    }

    private static String mode(Path p) throws java.io.IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
