package dev.twincloud.lab.supervisor;

import dev.twincloud.core.protocol.SiteId;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The lab's CA and one certificate per component (docs/lab.md, "What is encrypted"), made by {@code lab up}
 * in {@code <root>/tls} on its first start with TLS and reused after: PEM files, private keys PKCS#8 in
 * files of mode 0600 (the CA's key too: it never leaves the lab root), and {@code truststore.p12} holding
 * the CA for the JVMs ({@code javax.net.ssl.trustStore}, as the agents trust the arbiter in a deployment).
 *
 * <ul>
 *   <li>server certificates, SANs {@code 127.0.0.1} and {@code localhost}: {@code arbiter}, {@code <site>-agent}
 *       (the failsafe link), {@code <site>-postgres};</li>
 *   <li>client certificates, the common name a database role: {@code <site>-replication}
 *       ({@value #REPLICATION_ROLE}: streaming and copies), {@code <site>-pg-agent} ({@value #PEER_ROLE}: pg_rewind
 *       and the agent's checks of the other site's database).</li>
 * </ul>
 * Generated in Java (BouncyCastle's certificate builder, the JDK's keys): a newcomer needs no openssl.
 */
public final class LabTls {
    /** The database role the other site streams and copies as (LOGIN REPLICATION, certificate only). */
    public static final String REPLICATION_ROLE = "twincloud_replication";
    /** The database role the other site's agent rewinds and checks as (LOGIN SUPERUSER, certificate only). */
    public static final String PEER_ROLE = "twincloud_agent";
    /** Guards the integrity of a file of public certificates only (as the charts' trust store password). */
    public static final String TRUSTSTORE_PASSWORD = "twincloud-lab";
    static final String CA = "ca";
    private static final Duration CA_VALIDITY = Duration.ofDays(3650);
    private static final Duration LEAF_VALIDITY = Duration.ofDays(825);
    /** A leaf certificate that expires sooner than this is issued again at the next start. */
    private static final Duration RENEW_BEFORE = Duration.ofDays(30);

    private final Path dir;

    private LabTls(Path dir) {
        this.dir = dir;
    }

    /** The certificates of one lab, by file name (without extension): what each is for. */
    static Map<String, Leaf> leaves() {
        Map<String, Leaf> all = new LinkedHashMap<>();
        all.put("arbiter", Leaf.server("arbiter"));
        for (SiteId site : LabLayout.SITES) {
            all.put(site + "-agent", Leaf.server(site + "-agent"));
            all.put(site + "-postgres", Leaf.server(site + "-postgres"));
            all.put(site + "-replication", Leaf.client(REPLICATION_ROLE));
            all.put(site + "-pg-agent", Leaf.client(PEER_ROLE));
        }
        return all;
    }

    /** What one certificate says: its common name, and whether it serves (SANs 127.0.0.1, localhost) or is a client's. */
    record Leaf(String commonName, boolean server) {
        static Leaf server(String cn) {
            return new Leaf(cn, true);
        }

        static Leaf client(String role) {
            return new Leaf(role, false);
        }
    }

    /** The lab's TLS files in {@code dir}: made when missing (a CA, then every certificate), renewed when expiring. */
    public static LabTls loadOrCreate(Path dir) throws IOException {
        Files.createDirectories(dir);
        LabTls tls = new LabTls(dir);
        try {
            if (!Files.exists(tls.certificate(CA)) || !Files.exists(tls.key(CA))) {
                writeCa(dir, "twincloud lab CA");
            }
            X509Certificate ca = tls.read(CA);
            PrivateKey caKey = readKey(tls.key(CA));
            for (Map.Entry<String, Leaf> e : leaves().entrySet()) {
                String name = e.getKey();
                if (!Files.exists(tls.key(name)) || !Files.exists(tls.certificate(name)) || !issuedBy(tls.read(name), ca)
                        || tls.read(name).getNotAfter().toInstant().isBefore(Instant.now().plus(RENEW_BEFORE))) {
                    issue(dir, name, e.getValue(), ca, caKey);
                }
            }
            tls.writeTrustStore(ca);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot make the lab's certificates in " + dir + ": " + e.getMessage(), e);
        }
        return tls;
    }

    /**
     * A CA of its own in {@code dir} ({@code ca.crt}, {@code ca.key}) and one client certificate from it for each
     * of {@code roles} ({@code <role>.crt}, {@code .key}): what a stranger to the lab would present (tests).
     */
    public static void writeStrangerCa(Path dir, List<String> roles) throws IOException {
        writeStrangerCa(dir, roles, List.of());
    }

    /**
     * As {@link #writeStrangerCa(Path, List)}, and one server certificate for each of {@code servers} ({@code <name>.crt},
     * {@code .key}; SANs 127.0.0.1 and localhost, as the lab's own): what an impostor would serve (tests).
     */
    public static void writeStrangerCa(Path dir, List<String> roles, List<String> servers) throws IOException {
        try {
            Files.createDirectories(dir);
            writeCa(dir, "not the twincloud lab CA");
            LabTls other = new LabTls(dir);
            X509Certificate ca = other.read(CA);
            PrivateKey caKey = readKey(other.key(CA));
            for (String role : roles) {
                issue(dir, role, Leaf.client(role), ca, caKey);
            }
            for (String server : servers) {
                issue(dir, server, Leaf.server(server), ca, caKey);
            }
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The CA's certificate: what every client of the lab trusts. */
    public Path caCertificate() {
        return certificate(CA);
    }

    /** {@code <name>.crt}. */
    public Path certificate(String name) {
        return dir.resolve(name + ".crt");
    }

    /** {@code <name>.key}: PKCS#8 PEM, mode 0600. */
    public Path key(String name) {
        return dir.resolve(name + ".key");
    }

    /** The CA in a PKCS#12 trust store, password {@value #TRUSTSTORE_PASSWORD}. */
    public Path trustStore() {
        return dir.resolve("truststore.p12");
    }

    /** The JVM options that make a component trust the lab's CA (and nothing else) for its HTTPS calls. */
    public List<String> trustStoreOptions() {
        return List.of("-Djavax.net.ssl.trustStore=" + trustStore(), "-Djavax.net.ssl.trustStoreType=PKCS12",
                "-Djavax.net.ssl.trustStorePassword=" + TRUSTSTORE_PASSWORD);
    }

    /**
     * Spring Boot's {@code server.ssl} for a component serving HTTPS with certificate {@code name}: the PEM SSL bundle
     * {@code server}, as the charts configure the arbiter and the agents (docs/adr/0005, 0008).
     */
    public List<String> serverSslArgs(String name) {
        return List.of("--server.ssl.enabled=true", "--server.ssl.bundle=server",
                "--spring.ssl.bundle.pem.server.keystore.certificate=file:" + certificate(name),
                "--spring.ssl.bundle.pem.server.keystore.private-key=file:" + key(name));
    }

    /** A TLS context that trusts the lab's CA alone: for the lab's own calls to its HTTPS components. */
    public javax.net.ssl.SSLContext sslContext() throws IOException {
        try (InputStream in = Files.newInputStream(trustStore())) {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(in, TRUSTSTORE_PASSWORD.toCharArray());
            var tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            var ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read " + trustStore() + ": " + e.getMessage(), e);
        }
    }

    X509Certificate read(String name) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(certificate(name))) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
        try {
            cert.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    private static void writeCa(Path dir, String commonName) throws IOException, GeneralSecurityException, OperatorCreationException {
        KeyPair kp = ec();
        X500Name name = new X500Name("O=twincloud lab,CN=" + commonName);
        Instant now = Instant.now();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, serial(), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(CA_VALIDITY)), name, kp.getPublic())
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(0))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
        X509Certificate cert = sign(b, kp.getPrivate());
        writeKey(dir.resolve(CA + ".key"), kp.getPrivate());
        writePem(dir.resolve(CA + ".crt"), "CERTIFICATE", cert.getEncoded());
    }

    private static void issue(Path dir, String file, Leaf leaf, X509Certificate ca, PrivateKey caKey)
            throws IOException, GeneralSecurityException, OperatorCreationException {
        KeyPair kp = ec();
        Instant now = Instant.now();
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        PublicKey pub = kp.getPublic();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial(), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(LEAF_VALIDITY)), new X500Name("O=twincloud lab,CN=" + leaf.commonName()), pub)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(pub))
                .addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
        if (leaf.server()) {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth))
                    .addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                            new GeneralName(GeneralName.iPAddress, "127.0.0.1"), new GeneralName(GeneralName.dNSName, "localhost")}));
        } else {
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
        }
        X509Certificate cert = sign(b, caKey);
        writeKey(dir.resolve(file + ".key"), kp.getPrivate());
        writePem(dir.resolve(file + ".crt"), "CERTIFICATE", cert.getEncoded());
    }

    private void writeTrustStore(X509Certificate ca) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("twincloud-lab-ca", ca);
        Path tmp = dir.resolve("truststore.p12.tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            ks.store(out, TRUSTSTORE_PASSWORD.toCharArray());
        }
        Files.move(tmp, trustStore(), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer) throws GeneralSecurityException, OperatorCreationException {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    /** EC P-256: made in a millisecond (an RSA key takes hundreds), read by OpenSSL, the JDK and pgjdbc alike. */
    private static KeyPair ec() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new java.security.spec.ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static BigInteger serial() {
        return new BigInteger(127, new SecureRandom());
    }

    /** PKCS#8 PEM in a file created with mode 0600 (a key file is never readable by others, not even for a moment). */
    private static void writeKey(Path file, PrivateKey key) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, pem("PRIVATE KEY", key.getEncoded()));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void writePem(Path file, String type, byte[] der) throws IOException {
        Files.writeString(file, pem(type, der));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        List<String> body = new ArrayList<>(Files.readAllLines(file));
        body.removeIf(l -> l.startsWith("-----"));
        byte[] der = Base64.getMimeDecoder().decode(String.join("", body));
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }
}
