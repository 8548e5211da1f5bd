package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.TestTokens;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.web.context.support.ServletRequestHandledEvent;

/**
 * The per-request savings of docs/benchmarks.md ("Throughput of a small write") are wired in the real application:
 * Spring Security's observations are off while the HTTP ones stay, and the token decoder is the remembering one — and
 * still refuses what it must ({@link AuthTest} covers every refusal on the same context); Spring Security does not wrap
 * its filters in observations at all, and no request-handled event is published per request.
 */
class RequestCostTest extends ApiTest {

    @Autowired
    ObservationRegistry observations;

    @Autowired
    JwtDecoder decoder;

    @Autowired
    ConfigurableApplicationContext context;

    @Test
    void securityFiltersAreNotWrappedInObservationsAndNoRequestHandledEventIsPublished() {
        // Spring Security reads these settings when it builds its chain: no filter, authentication or authorization
        // wrapped in an observation (docs/benchmarks.md)
        SecurityObservationSettings settings = context.getBean(SecurityObservationSettings.class);
        assertThat(settings.shouldObserveRequests()).isFalse();
        assertThat(settings.shouldObserveAuthentications()).isFalse();
        assertThat(settings.shouldObserveAuthorizations()).isFalse();
        AtomicInteger events = new AtomicInteger();
        ApplicationListener<ServletRequestHandledEvent> listener = e -> events.incrementAndGet();
        context.addApplicationListener(listener);
        try {
            assertThat(api.post("/v1/ecgs", newKey(), recording(newPatient())).status()).isEqualTo(201);
            assertThat(api.get("/v1/ecgs").status()).isEqualTo(200);
        } finally {
            context.removeApplicationListener(listener);
        }
        assertThat(events).hasValue(0);
    }

    @Test
    void springSecurityObservationsAreOffAndHttpObservationsStay() {
        Observation security = Observation.start("spring.security.filterchains", observations);
        Observation http = Observation.start("http.server.requests", observations);
        try {
            assertThat(security.isNoop()).isTrue();
            assertThat(http.isNoop()).isFalse();
        } finally {
            security.stop();
            http.stop();
        }
        assertThat(api.post("/v1/ecgs", newKey(), recording(newPatient())).status()).isEqualTo(201);
        String metrics = api.withToken(null).get("/actuator/prometheus").body();
        assertThat(metrics).contains("http_server_requests_seconds_bucket").doesNotContain("spring_security_");
    }

    @Test
    void theDecoderRemembersAcceptedTokensAndStillRefusesExpiredOnes() {
        assertThat(decoder).isInstanceOf(CachingJwtDecoder.class);
        String token = TestTokens.readWrite();
        assertThat(api.withToken(token).get("/v1/ecgs").status()).isEqualTo(200);
        assertThat(api.withToken(token).get("/v1/ecgs").status()).isEqualTo(200);
        assertThat(api.withToken(TestTokens.expired()).get("/v1/ecgs").status()).isEqualTo(401);
        assertThat(api.withToken(TestTokens.signedByAnotherKey()).get("/v1/ecgs").status()).isEqualTo(401);
    }
}
