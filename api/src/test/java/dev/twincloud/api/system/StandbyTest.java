package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.UUID;
import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.junit.ReplicatedPostgresExtension;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The API pointed at a read-only streaming standby, as on the passive site, with the production
 * roles: 1. a primary is prepared like the agent does, migrated as the owner, and holds one
 * recording; 2. its standby has replayed it; 3. the API starts on the standby as the app role: it
 * skips the migrations, serves reads while its data is within the staleness bound (here
 * {@value #BOUND_MS} ms; each test first commits a heartbeat on the primary, as the writer's lease
 * renewals do in production), refuses writes with 503, and refuses reads (503) beyond its bound.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.embedded-postgres.enabled=false",
        "twincloud.api.reads.max-staleness=" + StandbyTest.BOUND_MS + "ms",
        "spring.datasource.hikari.connection-timeout=20000",
        "twincloud.api.data-dir=target/test-data"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandbyTest {

    static final long BOUND_MS = 5000;

    @RegisterExtension
    static ReplicatedPostgresExtension pair = ReplicatedPostgresExtension.create();

    static final UUID RECORDING = UUID.randomUUID();

    @LocalServerPort
    int port;

    @Autowired
    Migrations migrations;

    @Autowired
    DataSource dataSource;

    Http api;

    @BeforeAll
    static void primaryWithOneRecording() throws Exception {
        String url = pair.primary().createDatabase("api");
        ProductionDatabase.prepare(url, pair.primary().superuser(), "", "aws", true);
        Flyway.configure().dataSource(url, ProductionDatabase.OWNER, "").load().migrate();
        try (Connection c = DriverManager.getConnection(url, pair.primary().superuser(), "");
                PreparedStatement recording = c.prepareStatement("""
                        insert into ecg_recording (id, patient_ref, recorded_at, sampling_rate_hz, sample_count, lead_names)
                        values (?, 'standby-patient', ?, 500, 2, array['I'])""");
                PreparedStatement lead = c.prepareStatement(
                        "insert into ecg_lead (recording_id, position, name, samples) values (?, 0, 'I', ?)")) {
            recording.setObject(1, RECORDING);
            recording.setObject(2, OffsetDateTime.parse("2026-01-01T00:00:00Z"));
            recording.executeUpdate();
            lead.setObject(1, RECORDING);
            lead.setBytes(2, new byte[] {1, 0, -1, -1}); // samples 1, -1 (int16 little-endian)
            lead.executeUpdate();
        }
        pair.pair().awaitCaughtUp(Duration.ofSeconds(30));
    }

    @DynamicPropertySource
    static void standbyDatabase(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> pair.standby().jdbcUrl("api"));
        registry.add("spring.datasource.username", () -> ProductionDatabase.APP);
        registry.add("spring.datasource.password", () -> "");
        registry.add("twincloud.api.migrations.user", () -> ProductionDatabase.OWNER);
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens::publicKeyLocation);
    }

    @BeforeEach
    void client() {
        api = new Http(port, TestTokens.readWrite());
    }

    /** A commit on the primary, replayed here: what the writer's lease renewals do every heartbeat. */
    static void heartbeat() {
        // a row written, so the commit is flushed at once (an xid alone commits asynchronously)
        pair.primary().execute("create table if not exists test_heartbeat (at timestamptz); "
                + "insert into test_heartbeat values (clock_timestamp())");
        pair.pair().awaitCaughtUp(Duration.ofSeconds(30));
    }

    @Test
    void migrationsAreSkippedOnAStandby() {
        assertThat(migrations.outcome()).isEqualTo(Migrations.Outcome.SKIPPED_STANDBY);
        assertThat(api.get("/actuator/info").json().path("migrations").asString()).isEqualTo("skipped_standby");
    }

    @Test
    void readsWithinTheBoundAreServedAndSaySo() {
        heartbeat();
        Http.Response r = api.get("/v1/ecgs/" + RECORDING);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("leads").path("I").get(1).asInt()).isEqualTo(-1);
        assertThat(r.header("Twincloud-Role")).isEqualTo("standby");
        assertThat(r.header("Twincloud-Site")).isEqualTo("aws");
        long staleness = Long.parseLong(r.header("Twincloud-Staleness-Ms"));
        assertThat(staleness).isBetween(0L, BOUND_MS);
        Http.Response list = api.get("/v1/ecgs?patientRef=standby-patient");
        assertThat(list.json().path("items").size()).isEqualTo(1);
        assertThat(list.header("Twincloud-Role")).isEqualTo("standby");
        assertThat(api.get("/v1/patients/standby-patient/summary").header("Twincloud-Role")).isEqualTo("standby");
    }

    /**
     * With commits upstream every 100 ms — what the writer's agent does by renewing its lease every
     * heartbeat (default 100 ms) — the bound the standby states stays well under the default
     * max-staleness of 1 s. Prints the figures.
     */
    @Test
    void withLeaseRenewalsUpstreamTheStatedStalenessStaysNearTheHeartbeatInterval() throws Exception {
        heartbeat();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread renewals = Thread.ofVirtual().start(() -> {
            while (running.get()) {
                pair.primary().execute("insert into test_heartbeat values (clock_timestamp())");
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        java.util.List<Long> stated = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 40; i++) {
                Http.Response r = api.get("/v1/ecgs/" + RECORDING);
                assertThat(r.status()).isEqualTo(200);
                stated.add(Long.parseLong(r.header("Twincloud-Staleness-Ms")));
                Thread.sleep(50);
            }
        } finally {
            running.set(false);
            renewals.join();
        }
        java.util.Collections.sort(stated);
        System.out.println("Twincloud-Staleness-Ms with a commit upstream every 100 ms, 40 reads: min " + stated.getFirst()
                + ", median " + stated.get(stated.size() / 2) + ", p90 " + stated.get(stated.size() * 9 / 10)
                + ", max " + stated.getLast());
        assertThat(stated.get(stated.size() / 2)).as("median, ms (default bound 1000)").isLessThan(1000L);
    }

    @Test
    void writesAre503WithRetryAfter() {
        Http.Response r = api.post("/v1/ecgs", UUID.randomUUID().toString(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,\"leads\":{\"I\":[1,2]}}");
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("1");
        assertThat(r.contentType()).isEqualTo("application/problem+json");

        Http.Response annotation = api.post("/v1/ecgs/" + RECORDING + "/annotations", UUID.randomUUID().toString(),
                "{\"label\":\"NSR\",\"onsetMs\":0,\"offsetMs\":1}");
        assertThat(annotation.status()).isEqualTo(503);
        assertThat(api.get("/actuator/prometheus").body()).contains("twincloud_db_errors_total{sqlstate_class=\"25\"");
    }

    @Test
    void writerHealthIsDownWhileReadinessIsUp() {
        Http.Response writer = api.get("/actuator/health/writer");
        assertThat(writer.status()).isEqualTo(503);
        assertThat(writer.json().path("status").asString()).isEqualTo("DOWN");
        assertThat(writer.json().path("components").path("writerState").path("details").path("role").asString())
                .isEqualTo("standby");
        assertThat(api.get("/actuator/health/readiness").json().path("status").asString()).isEqualTo("UP");
        assertThat(api.get("/actuator/health/liveness").json().path("status").asString()).isEqualTo("UP");
    }

    /** Nothing committed upstream for longer than the bound: the standby cannot vouch for its data. */
    @Test
    @Order(100)
    void beyondItsBoundTheStandbyAnswers503() throws Exception {
        heartbeat();
        assertThat(api.get("/v1/ecgs/" + RECORDING).status()).isEqualTo(200);
        Thread.sleep(BOUND_MS + 1000);
        assertNotServed(api.get("/v1/ecgs/" + RECORDING), "standby-too-stale");
        heartbeat();
        assertThat(api.get("/v1/ecgs/" + RECORDING).status()).as("back within its bound").isEqualTo(200);
    }

    /** Next to last: the upstream is gone; the standby answers 503 at once (not streaming), not after the bound. */
    @Test
    @Order(Integer.MAX_VALUE - 1)
    void withItsUpstreamGoneTheStandbyAnswers503() throws Exception {
        heartbeat();
        assertThat(api.get("/v1/ecgs/" + RECORDING).status()).isEqualTo(200);
        pair.primary().stop();
        long deadline = System.nanoTime() + Duration.ofSeconds(BOUND_MS / 1000).toNanos();
        Http.Response r = api.get("/v1/ecgs/" + RECORDING);
        while (r.status() == 200 && System.nanoTime() < deadline) {
            Thread.sleep(100);
            r = api.get("/v1/ecgs/" + RECORDING);
        }
        assertNotServed(r, "standby-not-streaming");
        assertNotServed(api.get("/v1/ecgs?patientRef=standby-patient"), "standby-not-streaming");
    }

    /**
     * Next to last: the API's own database restarts (as the old writer's does during a switchover, coming
     * back as a standby). Every connection the pool held died with the old server; the pool must not keep
     * them until requests find them dead one by one — on the new writer that was the first write's
     * 100 ms after a switchover (docs/benchmarks.md). Once the writer-health refresher reconnects, the
     * pool is renewed in the background, before any request.
     */
    @Test
    @Order(Integer.MAX_VALUE - 1)
    void afterItsDatabaseRestartsThePoolReconnectsBeforeAnyRequest() throws Exception {
        HikariDataSource hikari = dataSource.unwrap(HikariDataSource.class);
        int minimumIdle = hikari.getMinimumIdle();
        assertThat(minimumIdle).as("the pool keeps some connections open").isPositive();
        assertThat(poolBackends()).as("the pool's connections before the restart").isPositive();

        pair.standby().stop();
        pair.standby().start();

        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (poolBackends() < minimumIdle && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(poolBackends()).as("the pool's connections on the restarted server, with no request made")
                .isGreaterThanOrEqualTo(minimumIdle);
        // each warmed for a write before any request (application.yml: connection-init-sql), on a standby too
        assertThat(poolBackends("and query like 'DO $warm$%'")).as("pooled connections whose last statement is the warm-up")
                .isGreaterThanOrEqualTo(minimumIdle);
    }

    /** Backends of the API's request pool on the standby's server. */
    private static long poolBackends() {
        return poolBackends("");
    }

    private static long poolBackends(String andWhere) {
        try (Connection c = DriverManager.getConnection(pair.standby().jdbcUrl("postgres"), pair.standby().superuser(), "");
                var rs = c.createStatement().executeQuery(
                        "select count(*) from pg_stat_activity where application_name = 'twincloud-api' " + andWhere)) {
            rs.next();
            return rs.getLong(1);
        } catch (java.sql.SQLException e) {
            return 0; // not up yet
        }
    }

    /**
     * Last: the API's own database stops (as the old writer's does during a switchover, before it comes
     * back as a standby). Requests are answered 503 at once, not after the pool's connection timeout
     * (20 s in this test): DatabaseRefusalGate.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void withItsOwnDatabaseStoppedRequestsAre503AtOnceNotAfterThePoolTimeout() throws Exception {
        pair.standby().stop();
        Thread.sleep(300); // the writer-health refresher (every 100 ms) sees the refusal
        long t0 = System.nanoTime();
        Http.Response write = api.post("/v1/ecgs", UUID.randomUUID().toString(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,\"leads\":{\"I\":[1,2]}}");
        Http.Response read = api.get("/v1/ecgs/" + RECORDING);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        for (Http.Response r : List.of(write, read)) {
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.header("Retry-After")).isEqualTo("1");
            assertThat(r.json().path("type").asString()).endsWith("/database-unavailable");
            assertThat(r.json().path("detail").asString()).as("no host or port in the answer").doesNotContain("127.0.0.1");
        }
        assertThat(ms).as("both answered well before the pool's 20 s connection timeout").isLessThan(5000);
        assertThat(api.withToken(null).get("/v1/ecgs/" + RECORDING).status()).as("authentication still comes first").isEqualTo(401);
    }

    private static void assertNotServed(Http.Response r, String type) {
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("1");
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().path("type").asString()).endsWith("/" + type);
        assertThat(r.header("Twincloud-Role")).isNull();
    }
}
