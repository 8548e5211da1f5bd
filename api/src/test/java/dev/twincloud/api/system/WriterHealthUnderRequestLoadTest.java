package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.lease.LeaseGuard;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ExecutorService;
import java.util.function.Predicate;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The writer-health answer is isolated from request load (issue 11: under {@code wrk} the edge's
 * 80 ms probe waited for the request pool and flapped the writer). Every connection of a tiny request
 * pool (2) is held by a slow write (blocked on a table lock the "operator" holds) and more requests wait
 * for the pool; meanwhile the writer health — on its own port and on the old actuator path — still
 * answers at once, and stays correct: it turns DOWN ("not-writer", a definitive answer) when the lease
 * is fenced, with the pool still saturated. Real PostgreSQL, real HTTP; its own database.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.embedded-postgres.enabled=false",
        "twincloud.api.data-dir=target/test-data-health-load",
        "twincloud.api.health.port=0",
        "spring.datasource.hikari.maximum-pool-size=2",
        "spring.datasource.hikari.connection-timeout=60000",
        "spring.jdbc.template.query-timeout=60s"})
class WriterHealthUnderRequestLoadTest {
    static final String URL = database();

    /** Far above what the health answer needs, far below the pool wait (60 s): a wide margin on a busy machine. */
    static final Duration FAST = Duration.ofSeconds(2);

    @LocalServerPort
    int port;

    @Autowired
    WriterHealthServer healthServer;

    @Autowired
    javax.sql.DataSource dataSource;

    static String database() {
        String name = "health_load_" + UUID.randomUUID().toString().substring(0, 8);
        String url = SharedPostgres.server().createDatabase(name);
        ProductionDatabase.prepare(url, SharedPostgres.server().username(), SharedPostgres.server().password(), "gcp", true);
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

    record Probe(int status, String verdict, String body, Duration took) {
    }

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static Probe probe(int port, String path) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Probe(r.statusCode(), r.headers().firstValue(WriterHealthServer.VERDICT_HEADER).orElse(null), r.body(),
                Duration.ofNanos(System.nanoTime() - t0));
    }

    private Probe awaitProbe(int port, String path, Predicate<Probe> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        Probe p = probe(port, path);
        while (!until.test(p) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            p = probe(port, path);
        }
        return p;
    }

    @Test
    void theWriterHealthAnswersAtOnceAndCorrectlyWhileEveryPoolConnectionIsBusy() throws Exception {
        String healthPath = WriterHealthServer.PATH;
        int healthPort = healthServer.port();
        assertThat(healthPort).as("the dedicated listener is on its own port").isPositive().isNotEqualTo(port);
        Probe before = awaitProbe(healthPort, healthPath, p -> p.status() == 200);
        assertThat(before.status()).isEqualTo(200);
        assertThat(before.verdict()).isEqualTo("writer");
        assertThat(before.body()).contains("\"status\":\"UP\"").contains("\"role\":\"primary\"");

        Http api = new Http(port, TestTokens.readWrite());
        HikariDataSource hikari = dataSource.unwrap(HikariDataSource.class);
        List<Future<Http.Response>> writes = new ArrayList<>();
        try (Connection operator = ProductionDatabase.superuser(URL, SharedPostgres.server().username(), SharedPostgres.server().password());
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            operator.setAutoCommit(false);
            try (Statement s = operator.createStatement()) {
                s.execute("lock table idempotency_key, ecg_recording in access exclusive mode");
            }
            for (int i = 0; i < 6; i++) {
                writes.add(clients.submit(() -> api.post("/v1/ecgs", UUID.randomUUID().toString(), ApiTestBodies.small())));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            HikariPoolMXBean pool = hikari.getHikariPoolMXBean(); // null until the pool's first connection
            while ((pool == null || pool.getActiveConnections() < 2 || pool.getThreadsAwaitingConnection() < 1)
                    && System.nanoTime() < deadline) {
                Thread.sleep(20);
                pool = hikari.getHikariPoolMXBean();
            }
            assertThat(pool).as("the request pool started").isNotNull();
            assertThat(pool.getActiveConnections()).as("every request connection is busy").isEqualTo(2);
            assertThat(pool.getThreadsAwaitingConnection()).as("requests wait for the pool").isPositive();

            for (int i = 0; i < 5; i++) {
                Probe dedicated = probe(healthPort, healthPath);
                assertThat(dedicated.status()).as("dedicated port, pool saturated").isEqualTo(200);
                assertThat(dedicated.verdict()).isEqualTo("writer");
                assertThat(dedicated.took()).as("dedicated port answer time").isLessThan(FAST);
                Probe actuator = probe(port, "/actuator/health/writer");
                assertThat(actuator.status()).as("the actuator path answers from the same state: " + actuator.body()).isEqualTo(200);
                assertThat(actuator.took()).as("actuator path answer time").isLessThan(FAST);
                Probe readiness = probe(port, "/actuator/health/readiness");
                assertThat(readiness.status()).as("readiness: " + readiness.body()).isEqualTo(200);
            }

            // Still correct under load: the agent fences this site (its own connection, not the pool).
            try (Connection agent = ProductionDatabase.superuser(URL, SharedPostgres.server().username(), SharedPostgres.server().password())) {
                LeaseGuard.fence(agent, 2);
            }
            Probe fenced = awaitProbe(healthPort, healthPath, p -> p.status() != 200);
            assertThat(fenced.status()).isEqualTo(503);
            assertThat(fenced.verdict()).as("the database said so: a definitive answer").isEqualTo("not-writer");
            assertThat(fenced.body()).contains("\"status\":\"DOWN\"").contains("older than epoch 2");
            assertThat(pool.getActiveConnections()).as("the pool is still saturated").isEqualTo(2);
            assertThat(probe(port, "/actuator/health/writer").status()).isEqualTo(503);

            operator.rollback(); // release the lock: the waiting writes now meet the fence
        }
        for (Future<Http.Response> w : writes) {
            assertThat(w.get().status()).as("fenced writes are refused").isEqualTo(503);
        }
    }
}
