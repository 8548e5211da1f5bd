package dev.twincloud.lab.supervisor;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.Properties;
import java.util.UUID;

/**
 * The lab's secrets, made once per root dir (file mode 0600): the agent, operator and viewer tokens
 * of the arbiter (the viewer token opens the arbiter's read-only status page), and the RSA key that
 * signs API tokens (its public half is given to both APIs). A secrets file from before the viewer
 * token gets one added.
 */
public record LabSecrets(String agentToken, String operatorToken, String viewerToken, RSAPrivateKey jwtKey,
                         RSAPublicKey jwtPublicKey) {

    /** The key of the viewer token in the secrets file (docs/status-page.md tells users to look it up). */
    public static final String VIEWER_KEY = "viewer.token";

    public static LabSecrets loadOrCreate(LabLayout layout) throws IOException {
        Path file = layout.secretsFile();
        try {
            if (Files.exists(file)) {
                Properties p = new Properties();
                try (Reader r = Files.newBufferedReader(file)) {
                    p.load(r);
                }
                KeyFactory kf = KeyFactory.getInstance("RSA");
                var priv = (RSAPrivateKey) kf.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(p.getProperty("jwt.private"))));
                var pub = (RSAPublicKey) kf.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(p.getProperty("jwt.public"))));
                if (p.getProperty(VIEWER_KEY) == null) {
                    p.setProperty(VIEWER_KEY, randomToken());
                    try (Writer w = Files.newBufferedWriter(file)) {
                        p.store(w, "twincloud lab secrets: local use only");
                    }
                }
                return new LabSecrets(p.getProperty("agent.token"), p.getProperty("operator.token"), p.getProperty(VIEWER_KEY),
                        priv, pub);
            }
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            KeyPair kp = g.generateKeyPair();
            var s = new LabSecrets(randomToken(), randomToken(), randomToken(), (RSAPrivateKey) kp.getPrivate(),
                    (RSAPublicKey) kp.getPublic());
            Properties p = new Properties();
            p.setProperty("agent.token", s.agentToken);
            p.setProperty("operator.token", s.operatorToken);
            p.setProperty(VIEWER_KEY, s.viewerToken);
            p.setProperty("jwt.private", Base64.getEncoder().encodeToString(kp.getPrivate().getEncoded()));
            p.setProperty("jwt.public", Base64.getEncoder().encodeToString(kp.getPublic().getEncoded()));
            Files.createDirectories(file.getParent());
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (Writer w = Files.newBufferedWriter(file)) {
                p.store(w, "twincloud lab secrets: local use only");
            }
            return s;
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot read or create the lab's keys in " + file + ": " + e.getMessage(), e);
        }
    }

    /** The arbiter's operator token alone, read from the secrets file (no keys parsed): what the CLI needs. */
    public static String operatorToken(LabLayout layout) throws IOException {
        Path file = layout.secretsFile();
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file)) {
            p.load(r);
        }
        String token = p.getProperty("operator.token");
        if (token == null || token.isBlank()) {
            throw new IOException("no operator.token in " + file);
        }
        return token;
    }

    private static String randomToken() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** The public key as PEM, for the APIs' {@code public-key-location}. */
    public void writePublicKeyPem(Path pem) throws IOException {
        String body = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(jwtPublicKey.getEncoded());
        Files.writeString(pem, "-----BEGIN PUBLIC KEY-----\n" + body + "\n-----END PUBLIC KEY-----\n");
    }

    /** A bearer token for the API with scopes {@code ecg:read ecg:write}. */
    public String devToken(Duration validFor) {
        Instant now = Instant.now();
        var claims = new JWTClaimsSet.Builder()
                .subject("lab-user")
                .issuer("twincloud-lab")
                .jwtID(UUID.randomUUID().toString())
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(validFor)))
                .claim("scope", "ecg:read ecg:write")
                .build();
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
            jwt.sign(new RSASSASigner(jwtKey));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the dev token", e);
        }
    }
}
