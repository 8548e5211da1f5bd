package dev.twincloud.edge;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * The edge's TLS, from PEM files as the lab's CA writes them ({@code LabTls}): a certificate chain and its PKCS#8 key
 * to serve HTTPS ({@code --tls-port}), and the CA certificates that the {@code https://} backends' certificates must
 * chain to ({@code --backend-ca}; without it the JVM's default trust, {@code javax.net.ssl.trustStore}). Jetty's client
 * checks the backend's host name against the certificate's SANs (endpoint identification {@code HTTPS}, its default).
 */
final class EdgeTls {
    /** Guards an in-memory key store only; never written anywhere. */
    private static final char[] IN_MEMORY = "edge".toCharArray();

    private EdgeTls() {
    }

    /** Jetty's server side for {@code tls}: its certificate and key. */
    static SslContextFactory.Server server(EdgeConfig.ServerTls tls) {
        SslContextFactory.Server f = new SslContextFactory.Server();
        f.setKeyStore(keyStore(tls.certificate(), tls.key()));
        f.setKeyStorePassword(new String(IN_MEMORY));
        f.setKeyManagerPassword(new String(IN_MEMORY));
        return f;
    }

    /** Jetty's client side for the backends: trusting {@code ca}'s certificates alone, or the JVM's default trust when null. */
    static SslContextFactory.Client client(Path ca) {
        SslContextFactory.Client f = new SslContextFactory.Client();
        f.setEndpointIdentificationAlgorithm("HTTPS"); // Jetty's default, said out loud: the backend's SANs must name its host
        if (ca != null) {
            try {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                int i = 0;
                for (Certificate c : certificates(ca)) {
                    ks.setCertificateEntry("ca-" + i++, c);
                }
                f.setTrustStore(ks);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalArgumentException("--backend-ca " + ca + ": " + e.getMessage(), e);
            }
        }
        return f;
    }

    /** A key store holding the PKCS#8 PEM key in {@code key} with the PEM chain in {@code certificate}. */
    static KeyStore keyStore(Path certificate, Path key) {
        try {
            List<Certificate> chain = certificates(certificate);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("edge", privateKey(key), IN_MEMORY, chain.toArray(Certificate[]::new));
            return ks;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException("--tls-certificate " + certificate + " / --tls-key " + key + ": " + e.getMessage(), e);
        }
    }

    /** Every certificate of a PEM file; at least one. */
    static List<Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (all.isEmpty()) {
                throw new GeneralSecurityException("no certificate in " + pem);
            }
            return new ArrayList<>(all);
        }
    }

    /** A PKCS#8 PEM key ({@code BEGIN PRIVATE KEY}): EC, RSA or Ed25519. */
    static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
        String text = Files.readString(pem);
        int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = text.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new GeneralSecurityException("no PKCS#8 key (BEGIN PRIVATE KEY) in " + pem);
        }
        byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (GeneralSecurityException notThis) {
                // the next
            }
        }
        throw new GeneralSecurityException("the key in " + pem + " is neither EC, RSA nor Ed25519");
    }
}
