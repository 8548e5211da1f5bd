package dev.twincloud.api.system;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.JwtException;

/**
 * Remembers, for a short time, the bearer tokens the real decoder accepted, so that a client sending the same token
 * with every request costs one signature check per {@code ttl} instead of one per request (the RSA check, the
 * parsing and the claim conversion were a tenth of the API's CPU per small POST, docs/benchmarks.md).
 *
 * <p>It never accepts more than the real decoder: only the exact token string the decoder accepted (any other byte is
 * another key, verified in full), only for {@code ttl} counted from before that verification, and never past the
 * token's own {@code exp} (stricter than the decoder, which allows a clock skew). A token the decoder refused is not
 * remembered, so a bad token is checked in full every time. A key removed from the issuer's key set keeps being
 * honoured for at most {@code ttl} — within the time the decoder itself caches the key set (five minutes). At most
 * {@code maxEntries} tokens are kept; when full it starts over.
 */
public final class CachingJwtDecoder implements JwtDecoder {

    private record Accepted(Jwt jwt, Instant until) {
    }

    private final JwtDecoder delegate;
    private final Duration ttl;
    private final int maxEntries;
    private final Clock clock;
    private final ConcurrentHashMap<String, Accepted> accepted = new ConcurrentHashMap<>();

    public CachingJwtDecoder(JwtDecoder delegate, Duration ttl, int maxEntries, Clock clock) {
        if (ttl.isNegative() || ttl.isZero() || maxEntries < 1) {
            throw new IllegalArgumentException("ttl must be positive and maxEntries at least 1, got " + ttl + ", " + maxEntries);
        }
        this.delegate = delegate;
        this.ttl = ttl;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    @Override
    public Jwt decode(String token) throws JwtException {
        Instant now = clock.instant();
        if (token != null) {
            Accepted a = accepted.get(token);
            if (a != null) {
                if (now.isBefore(a.until())) {
                    return a.jwt();
                }
                accepted.remove(token, a);
            }
        }
        Jwt jwt = delegate.decode(token); // a refusal throws: nothing is remembered
        Instant until = now.plus(ttl);
        if (jwt.getExpiresAt() != null && jwt.getExpiresAt().isBefore(until)) {
            until = jwt.getExpiresAt();
        }
        if (token != null && now.isBefore(until)) {
            if (accepted.size() >= maxEntries) {
                accepted.clear();
            }
            accepted.put(token, new Accepted(jwt, until));
        }
        return jwt;
    }

    /** How many tokens are remembered now (for tests). */
    int size() {
        return accepted.size();
    }

    /**
     * Wraps the application's {@link JwtDecoder} (Spring Boot's from the resource-server settings, or dev mode's)
     * unless {@code twincloud.api.jwt-cache.ttl} is 0.
     */
    @Configuration(proxyBeanMethods = false)
    static class Wiring {
        @Bean
        static BeanPostProcessor cachingJwtDecoder(@Value("${twincloud.api.jwt-cache.ttl:30s}") Duration ttl,
                                                   @Value("${twincloud.api.jwt-cache.max-entries:1000}") int maxEntries) {
            return new BeanPostProcessor() {
                @Override
                public Object postProcessAfterInitialization(Object bean, String beanName) {
                    return bean instanceof JwtDecoder d && !(bean instanceof CachingJwtDecoder) && !ttl.isZero()
                            ? new CachingJwtDecoder(d, ttl, maxEntries, Clock.systemUTC()) : bean;
                }
            };
        }
    }
}
