package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import dev.twincloud.api.TestTokens;
import org.junit.jupiter.api.Test;

class AuthTest extends ApiTest {

    private void assertProblem(Http.Response r, int status) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.header("WWW-Authenticate")).startsWith("Bearer");
    }

    @Test
    void requestWithoutTokenIs401() {
        var before = rowCounts();
        assertProblem(api.withToken(null).get("/v1/ecgs"), 401);
        assertProblem(api.withToken(null).post("/v1/ecgs", newKey(), recording(newPatient())), 401);
        assertThat(rowCounts()).isEqualTo(before);
    }

    @Test
    void tokenWithBadSignatureIs401() {
        assertProblem(api.withToken(TestTokens.signedByAnotherKey()).get("/v1/ecgs"), 401);
        assertProblem(api.withToken("not.a.jwt").get("/v1/ecgs"), 401);
    }

    @Test
    void expiredTokenIs401() {
        assertProblem(api.withToken(TestTokens.expired()).get("/v1/ecgs"), 401);
    }

    @Test
    void readScopeCanReadButNotWrite() {
        Http reader = api.withToken(TestTokens.withScope("ecg:read"));
        var before = rowCounts();

        assertThat(reader.get("/v1/ecgs").status()).isEqualTo(200);
        assertProblem(reader.post("/v1/ecgs", newKey(), recording(newPatient())), 403);
        assertThat(rowCounts()).isEqualTo(before);
    }

    @Test
    void writeScopeAloneCannotRead() {
        assertProblem(api.withToken(TestTokens.withScope("ecg:write")).get("/v1/ecgs"), 403);
        assertProblem(api.withToken(TestTokens.withScope("profile")).get("/v1/ecgs"), 403);
    }

    @Test
    void healthInfoMetricsAndOpenApiNeedNoToken() {
        Http anonymous = api.withToken(null);
        for (String path : new String[] {"/actuator/health/liveness", "/actuator/health/readiness",
                "/actuator/health/writer", "/actuator/info", "/actuator/prometheus", "/v3/api-docs"}) {
            assertThat(anonymous.get(path).status()).as(path).isEqualTo(200);
        }
        assertThat(anonymous.get("/actuator/env").status()).isIn(401, 404);
    }
}
