package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.concurrent.atomic.AtomicInteger;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.springframework.security.oauth2.jwt.BadJwtException;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;

/** The remembered tokens never let through what the real decoder would refuse. Plain unit tests, no Spring context. */
class CachingJwtDecoderTest {

    private static final Instant T0 = Instant.parse("2026-11-30T12:00:00Z");

    /** A clock the test moves. */
    private static final class MovableClock extends Clock {
        Instant now = T0;

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    /** Accepts every token but "bad", expiring at {@code exp}; counts its calls. */
    private static final class CountingDecoder implements JwtDecoder {
        final AtomicInteger calls = new AtomicInteger();
        Instant exp = T0.plus(Duration.ofHours(1));

        @Override
        public Jwt decode(String token) {
            calls.incrementAndGet();
            if (token.startsWith("bad")) {
                throw new BadJwtException("refused");
            }
            return Jwt.withTokenValue(token).header("alg", "RS256").subject("s").issuedAt(T0.minusSeconds(60)).expiresAt(exp).build();
        }
    }

    private final MovableClock clock = new MovableClock();
    private final CountingDecoder real = new CountingDecoder();

    @Test
    void anAcceptedTokenIsVerifiedOncePerTtl() {
        var cached = new CachingJwtDecoder(real, Duration.ofSeconds(30), 100, clock);
        Jwt first = cached.decode("t1");
        clock.now = T0.plusSeconds(29);
        assertThat(cached.decode("t1")).isSameAs(first);
        assertThat(real.calls).hasValue(1);
        clock.now = T0.plusSeconds(30);
        cached.decode("t1");
        assertThat(real.calls).as("verified again once the ttl is over").hasValue(2);
    }

    @Test
    void neverAnsweredFromMemoryPastTheTokensExpiry() {
        real.exp = T0.plusSeconds(5);
        var cached = new CachingJwtDecoder(real, Duration.ofSeconds(30), 100, clock);
        cached.decode("t1");
        clock.now = T0.plusSeconds(5);
        cached.decode("t1");
        assertThat(real.calls).as("at exp the real decoder decides again").hasValue(2);
    }

    @Test
    void aRefusedTokenIsNotRememberedAndOtherStringsAreVerified() {
        var cached = new CachingJwtDecoder(real, Duration.ofSeconds(30), 100, clock);
        assertThatThrownBy(() -> cached.decode("bad")).isInstanceOf(BadJwtException.class);
        assertThatThrownBy(() -> cached.decode("bad")).isInstanceOf(BadJwtException.class);
        assertThat(real.calls).hasValue(2);
        cached.decode("t1");
        cached.decode("t2");
        assertThat(real.calls).hasValue(4);
        assertThat(cached.size()).isEqualTo(2);
    }

    @Test
    void keepsAtMostMaxEntries() {
        var cached = new CachingJwtDecoder(real, Duration.ofSeconds(30), 3, clock);
        for (int i = 0; i < 10; i++) {
            cached.decode("t" + i);
            assertThat(cached.size()).isBetween(1, 3);
        }
    }

    @Test
    void withTheRealNimbusDecoderATamperedCopyOfARememberedTokenIsRefused() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        KeyPair keys = g.generateKeyPair();
        var cached = new CachingJwtDecoder(NimbusJwtDecoder.withPublicKey((RSAPublicKey) keys.getPublic()).build(),
                Duration.ofSeconds(30), 100, Clock.systemUTC());
        Instant now = Instant.now();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), new JWTClaimsSet.Builder().subject("a")
                .claim("scope", "ecg:read").issueTime(Date.from(now)).expirationTime(Date.from(now.plusSeconds(600))).build());
        jwt.sign(new RSASSASigner((RSAPrivateKey) keys.getPrivate()));
        String token = jwt.serialize();
        assertThat(cached.decode(token).getSubject()).isEqualTo("a");
        assertThat(cached.decode(token).getSubject()).isEqualTo("a");

        // the same signature on other claims: another string, verified in full, refused
        String[] parts = token.split("\\.");
        String otherClaims = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                ("{\"sub\":\"a\",\"scope\":\"ecg:read ecg:write\",\"exp\":" + now.plusSeconds(600).getEpochSecond() + "}").getBytes());
        assertThatThrownBy(() -> cached.decode(parts[0] + "." + otherClaims + "." + parts[2])).isInstanceOf(BadJwtException.class);
    }

    @Test
    void aTtlOfZeroIsRefused() {
        assertThatThrownBy(() -> new CachingJwtDecoder(real, Duration.ZERO, 10, clock)).isInstanceOf(IllegalArgumentException.class);
    }
}
