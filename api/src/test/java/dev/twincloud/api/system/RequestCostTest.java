package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.TestTokens;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.security.oauth2.jwt.JwtDecoder;

/**
 * The per-request savings of docs/benchmarks.md ("Throughput of a small write") are wired in the real application:
 * Spring Security's observations are off while the HTTP ones stay, and the token decoder is the remembering one — and
 * still refuses what it must ({@link AuthTest} covers every refusal on the same context).
 */
class RequestCostTest extends ApiTest {

    @Autowired
    ObservationRegistry observations;

    @Autowired
    JwtDecoder decoder;

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
