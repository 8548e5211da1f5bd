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

    /**
     * The tenancy model as it is (docs/security.md, API1): recordings belong to the deployment, not to the
     * caller who wrote them; a scope, not ownership, decides who reads. Should recordings become owned per
     * caller, this test fails and the threat model must change with it.
     */
    @Test
    void recordingsAreNotOwnedPerCaller_anyTokenWithReadScopeReadsAnotherCallersRecording() {
        String patient = newPatient();
        String id = api.withToken(TestTokens.readWriteAs("alice")).post("/v1/ecgs", newKey(),
                recording(patient, "2026-01-01T00:00:00Z", 500, 1, 10)).json().path("id").asString();

        Http bob = api.withToken(TestTokens.readWriteAs("bob"));

        assertThat(bob.get("/v1/ecgs/" + id).status()).isEqualTo(200);
        assertThat(bob.get("/v1/ecgs?patientRef=" + patient).json().path("items").size()).isEqualTo(1);
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
