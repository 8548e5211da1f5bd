package dev.twincloud.api.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/**
 * Dev mode security, active only when no JWT configuration is given
 * ({@code spring.security.oauth2.resourceserver.jwt.jwk-set-uri}, {@code public-key-location} or
 * {@code issuer-uri}) AND dev mode is declared ({@value #DEV_AUTH}{@code =true}; embedded mode sets
 * it): generates an RSA key pair at start-up, writes the public key as PEM to the data directory,
 * accepts tokens signed by it, and prints a ready-to-use token. Without either the API refuses to
 * start, naming the properties to set: a deployment that forgot its JWT settings must not come up
 * trusting a key nobody manages.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(DevJwtConfig.NoJwtConfigured.class)
class DevJwtConfig {

    private static final Logger log = LoggerFactory.getLogger(DevJwtConfig.class);
    static final Duration TOKEN_TTL = Duration.ofHours(12);
    static final String DEV_AUTH = "twincloud.api.dev-auth";
    static final String REFUSAL = "No JWT configuration: set spring.security.oauth2.resourceserver.jwt.jwk-set-uri "
            + "(env SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_JWK_SET_URI), .issuer-uri or .public-key-location to the "
            + "issuer whose tokens the API accepts. Only on a laptop, in the lab or in tests: " + DEV_AUTH + "=true "
            + "(env TWINCLOUD_API_DEV_AUTH=true; embedded mode sets it) accepts tokens signed by a key generated at start-up.";

    private final KeyPair keys;
    private final Path publicKeyFile;

    DevJwtConfig(@Value("${twincloud.api.data-dir:./.twincloud/dev-api}") Path dataDir,
                 @Value("${" + DEV_AUTH + ":false}") boolean devAuth) throws IOException {
        if (!devAuth) {
            throw new NoJwtConfiguration();
        }
        this.keys = rsaKeyPair();
        Files.createDirectories(dataDir);
        this.publicKeyFile = dataDir.resolve("jwt-public.pem").toAbsolutePath().normalize();
        String pem = "-----BEGIN PUBLIC KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(keys.getPublic().getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
        Files.writeString(publicKeyFile, pem);
    }

    @Bean
    JwtDecoder devJwtDecoder() {
        return NimbusJwtDecoder.withPublicKey((RSAPublicKey) keys.getPublic()).build();
    }

    @EventListener(ApplicationReadyEvent.class)
    void printDevToken(ApplicationReadyEvent event) throws JOSEException {
        String token = sign(Instant.now());
        String port = event.getApplicationContext().getEnvironment().getProperty("local.server.port", "8080");
        log.warn("No JWT configuration given: dev mode. Tokens are checked against a key generated at start-up "
                + "(public key: {}; {}=true). Set spring.security.oauth2.resourceserver.jwt.jwk-set-uri in production.",
                publicKeyFile, DEV_AUTH);
        // stdout on purpose: one line to copy, whatever the log configuration.
        System.out.println("Dev token: " + token);
        System.out.println("  (scopes ecg:read ecg:write, valid " + TOKEN_TTL.toHours() + " h) try: curl -H 'Authorization: Bearer "
                + token + "' 'http://localhost:" + port + "/v1/ecgs?limit=5'");
    }

    String sign(Instant now) throws JOSEException {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer("twincloud-dev")
                .subject("dev")
                .claim("scope", "ecg:read ecg:write")
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(TOKEN_TTL)))
                .jwtID(UUID.randomUUID().toString())
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT).keyID("dev").build(), claims);
        jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
        return jwt.serialize();
    }

    private static KeyPair rsaKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static final class NoJwtConfigured implements Condition {
        private static final String PREFIX = "spring.security.oauth2.resourceserver.jwt.";

        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            var env = context.getEnvironment();
            return !env.containsProperty(PREFIX + "jwk-set-uri")
                    && !env.containsProperty(PREFIX + "public-key-location")
                    && !env.containsProperty(PREFIX + "issuer-uri");
        }
    }

    /** The start-up refusal; {@code NoJwtConfigurationAnalyzer} prints it without a stack trace. */
    static final class NoJwtConfiguration extends IllegalStateException {
        NoJwtConfiguration() {
            super(REFUSAL);
        }
    }
}
