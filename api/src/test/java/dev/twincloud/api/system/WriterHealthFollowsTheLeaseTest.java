package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.lease.LeaseGuard;
import java.sql.Connection;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With {@code twincloud.api.require-lease} (the default outside dev mode) the writer health group —
 * what the edge routes on — is UP only while the real lease guard says this site may write, a write
 * refused by the guard is a 503, and reads follow the same fence (docs/design.md rule 8): a primary
 * without a valid lease answers GETs with 503. Its own database (production roles, guard installed,
 * no lease yet), so the guard does not touch other tests.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.embedded-postgres.enabled=false",
        "twincloud.api.data-dir=target/test-data-lease"})
class WriterHealthFollowsTheLeaseTest {
    static final String URL = database();

    @LocalServerPort
    int port;

    static String database() {
        String name = "lease_" + UUID.randomUUID().toString().substring(0, 8);
        String url = SharedPostgres.server().createDatabase(name);
        ProductionDatabase.prepare(url, SharedPostgres.server().username(), SharedPostgres.server().password(), "gcp", false);
        return url;
    }

    @DynamicPropertySource
    static void db(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> URL);
        registry.add("spring.datasource.username", () -> ProductionDatabase.APP);
        registry.add("spring.datasource.password", () -> "");
        registry.add("twincloud.api.migrations.user", () -> ProductionDatabase.OWNER);
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens::publicKeyLocation);
    }

    @Test
    void writerIsUpOnlyWhileTheLeaseIsValidAndFencedWritesAndReadsAre503() throws Exception {
        Http api = new Http(port, TestTokens.readWrite());
        Http anonymous = api.withToken(null);
        try (Connection agent = ProductionDatabase.superuser(URL, SharedPostgres.server().username(), SharedPostgres.server().password())) {
            var writer = anonymous.get("/actuator/health/writer");
            assertThat(writer.status()).isEqualTo(503);
            assertThat(writer.body()).contains("no write lease");
            var refused = api.post("/v1/ecgs", UUID.randomUUID().toString(), ApiTestBodies.small());
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");
            assertNotServed(api.get("/v1/ecgs"));

            LeaseGuard.writeLease(agent, 1, "gcp", Duration.ZERO, Duration.ofSeconds(60));
            // the writer health answers from state refreshed every 100 ms: it follows within a refresh
            assertThat(awaitWriterHealth(anonymous, 200).status()).isEqualTo(200);
            String key = UUID.randomUUID().toString();
            var created = api.post("/v1/ecgs", key, ApiTestBodies.small());
            assertThat(created.status()).isEqualTo(201);
            String location = created.header("Location");
            for (String path : new String[] {location, "/v1/ecgs", location + "/leads/I", location + "/annotations",
                    "/v1/patients/p-lease/summary"}) {
                var read = api.get(path);
                assertThat(read.status()).as(path).isEqualTo(200);
                assertThat(read.header("Twincloud-Site")).as(path).isEqualTo("gcp");
                assertThat(read.header("Twincloud-Role")).as(path).isEqualTo("writer");
                assertThat(read.header("Twincloud-Staleness-Ms")).as(path).isEqualTo("0");
            }
            var missing = api.get("/v1/ecgs/" + UUID.randomUUID());
            assertThat(missing.status()).isEqualTo(404);
            assertThat(missing.header("Twincloud-Role")).as("a served 404 says who served it").isEqualTo("writer");

            LeaseGuard.fence(agent, 2);
            var fenced = awaitWriterHealth(anonymous, 503);
            assertThat(fenced.status()).isEqualTo(503);
            assertThat(fenced.json().path("components").path("writerState").path("details").path("verdict").asString())
                    .isEqualTo("not-writer");
            assertThat(api.post("/v1/ecgs", UUID.randomUUID().toString(), ApiTestBodies.small()).status()).isEqualTo(503);
            var replay = api.post("/v1/ecgs", key, ApiTestBodies.small());
            assertThat(replay.status()).as("a replay on a deposed writer is no answer either").isEqualTo(503);
            assertNotServed(api.get(location));
            assertNotServed(api.get("/v1/ecgs"));
            assertNotServed(api.get("/v1/patients/p-lease/summary"));
            assertThat(anonymous.get("/actuator/health/readiness").status()).as("the database still answers").isEqualTo(200);

            var paths = anonymous.get("/v3/api-docs").json().path("paths");
            for (String path : new String[] {"/v1/ecgs", "/v1/ecgs/{id}", "/v1/patients/{patientRef}/summary"}) {
                var responses = paths.path(path).path("get").path("responses");
                assertThat(responses.path("503").path("description").asString()).as(path).contains("not-leased-writer");
                assertThat(responses.path("503").path("headers").has("Retry-After")).as(path).isTrue();
                assertThat(responses.path("200").path("headers").has("Twincloud-Role")).as(path).isTrue();
                assertThat(responses.path("200").path("headers").has("Twincloud-Staleness-Ms")).as(path).isTrue();
            }
        }
    }

    private static Http.Response awaitWriterHealth(Http anonymous, int status) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Http.Response r = anonymous.get("/actuator/health/writer");
        while (r.status() != status && System.nanoTime() < deadline) {
            Thread.sleep(20);
            r = anonymous.get("/actuator/health/writer");
        }
        return r;
    }

    private static void assertNotServed(Http.Response r) {
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("1");
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().path("type").asString()).endsWith("/not-leased-writer");
        assertThat(r.header("Twincloud-Role")).isNull();
    }
}
