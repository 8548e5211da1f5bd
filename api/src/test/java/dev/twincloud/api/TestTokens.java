package dev.twincloud.api;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/** The test issuer: an RSA key pair whose public key the API trusts (public-key-location), and a stranger's. */
public final class TestTokens {

    private static final KeyPair TRUSTED = rsa();
    private static final KeyPair STRANGER = rsa();
    private static final Path PUBLIC_KEY = writePem();

    private TestTokens() {
    }

    public static String publicKeyLocation() {
        return PUBLIC_KEY.toUri().toString();
    }

    public static String readWrite() {
        return token(TRUSTED, "ecg:read ecg:write", Duration.ofHours(1));
    }

    /** Read and write scopes for the caller {@code subject} ({@code null}: a token with no sub claim). */
    public static String readWriteAs(String subject) {
        return token(TRUSTED, subject, "ecg:read ecg:write", Duration.ofHours(1));
    }

    public static String withScope(String scope) {
        return token(TRUSTED, scope, Duration.ofHours(1));
    }

    public static String expired() {
        return token(TRUSTED, "ecg:read ecg:write", Duration.ofMinutes(-10));
    }

    public static String signedByAnotherKey() {
        return token(STRANGER, "ecg:read ecg:write", Duration.ofHours(1));
    }

    private static String token(KeyPair keys, String scope, Duration validFor) {
        return token(keys, "tester", scope, validFor);
    }

    private static String token(KeyPair keys, String subject, String scope, Duration validFor) {
        try {
            Instant now = Instant.now();
            JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer("twincloud-test").subject(subject)
                    .claim("scope", scope)
                    .issueTime(Date.from(now.minus(Duration.ofHours(1))))
                    .expirationTime(Date.from(now.plus(validFor)))
                    .build();
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
            return jwt.serialize();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair rsa() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(2048);
            return g.generateKeyPair();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path writePem() {
        try {
            Path file = Files.createTempFile("twincloud-test-jwt", ".pem");
            file.toFile().deleteOnExit();
            Files.writeString(file, "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(TRUSTED.getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n");
            return file;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
