package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.Http;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.lease.LeaseGuard;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * With {@code twincloud.api.require-lease} (the default outside dev mode) the writer health group —
 * what the edge routes on — is UP only while the real lease guard says this site may write, and a
 * write refused by the guard is a 503. Its own database, so the guard does not touch other tests.
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
        SharedPostgres.server().server().execute("ALTER DATABASE " + name + " SET twincloud.site = 'gcp'");
        return url;
    }

    @DynamicPropertySource
    static void db(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> URL);
        registry.add("spring.datasource.username", () -> SharedPostgres.server().username());
        registry.add("spring.datasource.password", () -> SharedPostgres.server().password());
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens::publicKeyLocation);
    }

    @Test
    void writerIsUpOnlyWhileTheLeaseIsValidAndFencedWritesAre503() throws Exception {
        Http api = new Http(port, TestTokens.readWrite());
        Http anonymous = api.withToken(null);
        try (Connection agent = DriverManager.getConnection(URL, SharedPostgres.server().username(), SharedPostgres.server().password())) {
            var writer = anonymous.get("/actuator/health/writer");
            assertThat(writer.status()).isEqualTo(503);
            assertThat(writer.body()).contains("lease guard is not installed");

            LeaseGuard.install(agent, List.of("public"));
            writer = anonymous.get("/actuator/health/writer");
            assertThat(writer.status()).isEqualTo(503);
            assertThat(writer.body()).contains("no write lease");
            var refused = api.post("/v1/ecgs", UUID.randomUUID().toString(), ApiTestBodies.small());
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isEqualTo("1");

            LeaseGuard.writeLease(agent, 1, "gcp", Duration.ZERO, Duration.ofSeconds(30));
            assertThat(anonymous.get("/actuator/health/writer").status()).isEqualTo(200);
            assertThat(api.post("/v1/ecgs", UUID.randomUUID().toString(), ApiTestBodies.small()).status()).isEqualTo(201);

            LeaseGuard.fence(agent, 2);
            assertThat(anonymous.get("/actuator/health/writer").status()).isEqualTo(503);
            assertThat(api.post("/v1/ecgs", UUID.randomUUID().toString(), ApiTestBodies.small()).status()).isEqualTo(503);
            assertThat(anonymous.get("/actuator/health/readiness").status()).as("reads still served").isEqualTo(200);
        }
    }
}
