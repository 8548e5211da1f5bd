package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

import dev.twincloud.api.ApiApplication;
import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.junit.ReplicatedPostgresExtension;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Read-local active-active on real PostgreSQL: a primary and its streaming standby, and two real API
 * instances in this JVM — "aws", the leased writer, on the primary (started here), and "gcp" on the
 * standby (this class's Spring context) with {@code twincloud.api.forward.peer-url} pointing at the
 * writer's API. Over real HTTP: writes answer their LSN; the standby serves a read that asks for that
 * LSN once replay reaches it, forwards it to the writer while replay is paused, forwards a POST that
 * its database refuses (applied once, whichever site the client's retries reach), never forwards a
 * forwarded request or an unauthenticated one, and answers 503 forward-unavailable once the writer's
 * API is gone. Last, the read lease (docs/design.md rule 10): with the pair synchronous and a stand-in
 * for the standby's agent (a real HTTP server answering {@code /actuator/readlease} as the agent does)
 * granting one, the standby serves every acknowledged write after the primary is killed, and refuses
 * once the lease is withdrawn. Not a lab: no edge, no real agents, no cross-site link (docs/adr/0016).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.embedded-postgres.enabled=false",
        "twincloud.api.site=gcp",
        "twincloud.api.reads.max-staleness=" + ReadLocalTwoApisOnPrimaryAndStandbyTest.BOUND_MS + "ms",
        "twincloud.api.reads.min-lsn-wait=500ms",
        "twincloud.api.forward.timeout=2s",
        "spring.datasource.hikari.connection-timeout=20000",
        "twincloud.api.data-dir=target/test-data"})
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReadLocalTwoApisOnPrimaryAndStandbyTest {

    static final long BOUND_MS = 3000;

    @RegisterExtension
    static ReplicatedPostgresExtension pair = ReplicatedPostgresExtension.create().sync(true);

    /** What the stand-in agent answers as remainingMs (0: no read lease). */
    static final java.util.concurrent.atomic.AtomicLong READ_LEASE_MS = new java.util.concurrent.atomic.AtomicLong();
    static final com.sun.net.httpserver.HttpServer AGENT = standInAgent();

    static com.sun.net.httpserver.HttpServer standInAgent() {
        try {
            var server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            server.createContext("/actuator/readlease", exchange -> {
                byte[] body = ("{\"site\":\"gcp\",\"epoch\":1,\"remainingMs\":" + READ_LEASE_MS.get() + "}").getBytes();
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return server;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static ConfigurableApplicationContext writerApi;
    static int writerPort;

    @LocalServerPort
    int standbyPort;

    @org.springframework.beans.factory.annotation.Autowired
    ReadFence readFence;

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void writerApiOnThePrimary() {
        String url = pair.primary().createDatabase("api");
        ProductionDatabase.prepare(url, pair.primary().superuser(), "", "aws", true);
        Map<String, Object> p = new HashMap<>();
        p.put("server.port", "0");
        p.put("twincloud.embedded-postgres.enabled", "false");
        p.put("twincloud.api.site", "aws");
        p.put("twincloud.api.data-dir", "target/test-data");
        p.put("spring.datasource.url", url);
        p.put("spring.datasource.username", ProductionDatabase.APP);
        p.put("spring.datasource.password", "");
        p.put("twincloud.api.migrations.user", ProductionDatabase.OWNER);
        p.put("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens.publicKeyLocation());
        // as command-line arguments: they win over application.yml, as in the lab's launcher
        writerApi = new SpringApplicationBuilder(ApiApplication.class)
                .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        writerPort = ((WebServerApplicationContext) writerApi).getWebServer().getPort();
        heartbeat(); // the migrations, replayed
    }

    @AfterAll
    static void stopWriterApi() {
        if (writerApi != null) {
            writerApi.close();
        }
        AGENT.stop(0);
    }

    @DynamicPropertySource
    static void standbyDatabase(DynamicPropertyRegistry registry) {
        registry.add("spring.datasource.url", () -> pair.standby().jdbcUrl("api"));
        registry.add("spring.datasource.username", () -> ProductionDatabase.APP);
        registry.add("spring.datasource.password", () -> "");
        registry.add("twincloud.api.migrations.user", () -> ProductionDatabase.OWNER);
        registry.add("spring.security.oauth2.resourceserver.jwt.public-key-location", TestTokens::publicKeyLocation);
        registry.add("twincloud.api.forward.peer-url", () -> "http://127.0.0.1:" + writerPort);
        registry.add("twincloud.api.reads.read-lease-url",
                () -> "http://127.0.0.1:" + AGENT.getAddress().getPort() + "/actuator/readlease");
    }

    /** A commit on the primary, replayed here: what the writer's lease renewals do every heartbeat. */
    static void heartbeat() {
        pair.primary().execute("create table if not exists test_heartbeat (at timestamptz); "
                + "insert into test_heartbeat values (clock_timestamp())");
        pair.pair().awaitCaughtUp(Duration.ofSeconds(30));
    }

    static String recording(String patient) {
        return "{\"patientRef\":\"" + patient + "\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[1,2,3]}}";
    }

    @Test
    @Order(1)
    void aWriteAnswersItsLsnInTheHeaderTheBodyAndTheCookie() throws Exception {
        Http.Response r = send(writerPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording("lsn-patient"), Map.of());
        assertThat(r.status()).isEqualTo(201);
        Lsn header = Lsn.parse(r.header("Twincloud-Lsn"));
        assertThat(r.json().path("lsn").asString()).isEqualTo(header.toString());
        assertThat(r.json().path("id").asString()).isNotEmpty();
        assertThat(r.header("Set-Cookie")).contains("twincloud-lsn=" + header).contains("Path=/").contains("HttpOnly")
                .contains("SameSite=Lax");
        Lsn afterCommit = Lsn.parse(pair.primary().queryString("select pg_current_wal_flush_lsn()::text"));
        assertThat(afterCommit).as("the write's LSN is WAL this server has").isGreaterThanOrEqualTo(header);
    }

    @Test
    @Order(2)
    void aReadOnTheStandbyWithTheWritesLsnSeesTheWrite() throws Exception {
        heartbeat();
        String patient = "ryw-" + UUID.randomUUID().toString().substring(0, 8);
        Http.Response write = send(writerPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording(patient), Map.of());
        String lsn = write.header("Twincloud-Lsn");
        String id = write.json().path("id").asString();
        // at once, no catch-up wait: the standby waits for replay itself
        Http.Response read = send(standbyPort, "GET", "/v1/ecgs/" + id, null, null, Map.of("Twincloud-Min-Lsn", lsn));
        assertThat(read.status()).isEqualTo(200);
        assertThat(read.header("Twincloud-Role")).isEqualTo("standby");
        assertThat(read.header("Twincloud-Forwarded-By")).isNull();
        assertThat(Lsn.parse(read.header("Twincloud-Lsn"))).isGreaterThanOrEqualTo(Lsn.parse(lsn));
        assertThat(read.json().path("patientRef").asString()).isEqualTo(patient);

        // the cookie does the same, and comes back at least as large (monotonic reads)
        Http.Response list = send(standbyPort, "GET", "/v1/ecgs?patientRef=" + patient, null, null,
                Map.of("Cookie", "twincloud-lsn=" + lsn));
        assertThat(list.json().path("items").size()).isEqualTo(1);
        assertThat(Lsn.parse(list.header("Set-Cookie").replaceAll("^twincloud-lsn=([^;]+);.*$", "$1")))
                .isGreaterThanOrEqualTo(Lsn.parse(lsn));
    }

    @Test
    @Order(3)
    void withReplayPausedTheReadIsForwardedToTheWriterAndSaysSoButAForwardedReadIsNotForwardedAgain() throws Exception {
        heartbeat();
        pair.standby().execute("select pg_wal_replay_pause()");
        try {
            String patient = "paused-" + UUID.randomUUID().toString().substring(0, 8);
            Http.Response write = send(writerPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording(patient), Map.of());
            String lsn = write.header("Twincloud-Lsn");
            String id = write.json().path("id").asString();

            Http.Response read = send(standbyPort, "GET", "/v1/ecgs/" + id, null, null, Map.of("Twincloud-Min-Lsn", lsn));
            assertThat(read.status()).isEqualTo(200);
            assertThat(read.header("Twincloud-Forwarded-By")).isEqualTo("gcp");
            assertThat(read.header("Twincloud-Role")).as("the writer's answer, relayed").isEqualTo("writer");
            assertThat(read.header("Twincloud-Site")).isEqualTo("aws");
            assertThat(Lsn.parse(read.header("Twincloud-Lsn"))).isGreaterThanOrEqualTo(Lsn.parse(lsn));
            assertThat(read.json().path("patientRef").asString()).isEqualTo(patient);

            Http.Response again = send(standbyPort, "GET", "/v1/ecgs/" + id, null, null,
                    Map.of("Twincloud-Min-Lsn", lsn, "Twincloud-Forwarded-By", "aws"));
            assertThat(again.status()).isEqualTo(503);
            assertThat(again.header("Retry-After")).isEqualTo("1");
            assertThat(again.json().path("type").asString()).endsWith("/min-lsn-not-replayed");
            assertThat(again.header("Twincloud-Role")).isNull();
            assertThat(again.header("Twincloud-Forwarded-By")).isNull();

            // replay stays paused: the standby's data ages past its bound, and its reader health says so
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            Http.Response health = send(standbyPort, "GET", ReaderHealth.PATH, null, null, Map.of());
            while (health.status() == 200 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                health = send(standbyPort, "GET", ReaderHealth.PATH, null, null, Map.of());
            }
            assertThat(health.status()).isEqualTo(503);
            assertThat(health.json().path("status").asString()).isEqualTo("DOWN");
        } finally {
            pair.standby().execute("select pg_wal_replay_resume()");
        }
        heartbeat();
    }

    @Test
    @Order(4)
    void readerHealthIsUpOnTheWriterAndOnAStandbyWithinItsBound() throws Exception {
        heartbeat();
        Http.Response writer = send(writerPort, "GET", ReaderHealth.PATH, null, null, Map.of());
        assertThat(writer.status()).isEqualTo(200);
        assertThat(writer.json().path("components").path("readerState").path("details").path("role").asString())
                .isEqualTo("writer");
        Http.Response standby = send(standbyPort, "GET", ReaderHealth.PATH, null, null, Map.of());
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (standby.status() != 200 && System.nanoTime() < deadline) { // the next refresh after the heartbeat
            Thread.sleep(50);
            standby = send(standbyPort, "GET", ReaderHealth.PATH, null, null, Map.of());
        }
        assertThat(standby.status()).isEqualTo(200);
        JsonNode details = standby.json().path("components").path("readerState").path("details");
        assertThat(details.path("role").asString()).isEqualTo("standby");
        assertThat(details.path("stalenessMs").asLong()).isBetween(0L, BOUND_MS);
    }

    @Test
    @Order(5)
    void aPostToTheStandbyIsForwardedToTheWriterAndAppliedOnceWhicheverSiteTheRetriesReach() throws Exception {
        String patient = "fwd-" + UUID.randomUUID().toString().substring(0, 8);
        String key = UUID.randomUUID().toString();
        Http.Response first = send(standbyPort, "POST", "/v1/ecgs", key, recording(patient), Map.of("X-Request-Id", "fwd-test-1"));
        assertThat(first.status()).isEqualTo(201);
        assertThat(first.header("Twincloud-Forwarded-By")).isEqualTo("gcp");
        assertThat(first.header("X-Request-Id")).isEqualTo("fwd-test-1");
        Lsn lsn = Lsn.parse(first.header("Twincloud-Lsn"));
        assertThat(first.json().path("lsn").asString()).isEqualTo(lsn.toString());
        assertThat(first.header("Set-Cookie")).contains("twincloud-lsn=" + lsn);
        String id = first.json().path("id").asString();

        Http.Response onWriter = send(writerPort, "POST", "/v1/ecgs", key, recording(patient), Map.of());
        Http.Response onStandby = send(standbyPort, "POST", "/v1/ecgs", key, recording(patient), Map.of());
        for (Http.Response retry : new Http.Response[] {onWriter, onStandby}) {
            assertThat(retry.status()).isEqualTo(201);
            assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
            assertThat(retry.json().path("id").asString()).isEqualTo(id);
        }
        assertThat(onStandby.header("Twincloud-Forwarded-By")).isEqualTo("gcp");
        try (Connection c = DriverManager.getConnection(pair.primary().jdbcUrl("api"), pair.primary().superuser(), "")) {
            var rs = c.createStatement().executeQuery("select count(*) from ecg_recording where patient_ref = '" + patient + "'");
            rs.next();
            assertThat(rs.getLong(1)).as("applied once").isEqualTo(1);
        }
        // the same key with another body: the writer's 422, relayed
        Http.Response reused = send(standbyPort, "POST", "/v1/ecgs", key, recording(patient + "x"), Map.of());
        assertThat(reused.status()).isEqualTo(422);
        assertThat(reused.header("Twincloud-Forwarded-By")).isEqualTo("gcp");
    }

    @Test
    @Order(6)
    void unauthenticatedOrForwardedPostsAreNotForwarded() throws Exception {
        Http.Response anonymous = sendWithToken(standbyPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(),
                recording("anon"), Map.of(), null);
        assertThat(anonymous.status()).isEqualTo(401);
        assertThat(anonymous.header("Twincloud-Forwarded-By")).isNull();
        Http.Response readOnly = sendWithToken(standbyPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(),
                recording("ro"), Map.of(), TestTokens.withScope("ecg:read"));
        assertThat(readOnly.status()).isEqualTo(403);
        assertThat(readOnly.header("Twincloud-Forwarded-By")).isNull();

        Http.Response forwarded = send(standbyPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording("loop"),
                Map.of("Twincloud-Forwarded-By", "aws"));
        assertThat(forwarded.status()).isEqualTo(503);
        assertThat(forwarded.json().path("type").asString()).endsWith("/write-unavailable");
    }

    @Test
    @Order(7)
    void aMalformedMinLsnIs400OnBothSites() throws Exception {
        for (int port : new int[] {standbyPort, writerPort}) {
            Http.Response r = send(port, "GET", "/v1/ecgs?patientRef=x", null, null, Map.of("Twincloud-Min-Lsn", "12345"));
            assertThat(r.status()).isEqualTo(400);
            assertThat(r.contentType()).isEqualTo("application/problem+json");
            assertThat(r.errorFields()).containsExactly("Twincloud-Min-Lsn");
        }
        // a malformed cookie is ignored (a browser cannot repair it) and replaced
        Http.Response cookie = send(writerPort, "GET", "/v1/ecgs?patientRef=x", null, null, Map.of("Cookie", "twincloud-lsn=junk"));
        assertThat(cookie.status()).isEqualTo(200);
        assertThat(cookie.header("Set-Cookie")).startsWith("twincloud-lsn=" + cookie.header("Twincloud-Lsn") + ";");
    }

    /** Last: the writer's API is gone; what the standby would forward is 503 forward-unavailable. */
    @Test
    @Order(Integer.MAX_VALUE - 1)
    void withThePeerDownForwardingIs503ForwardUnavailable() throws Exception {
        writerApi.close();
        writerApi = null;
        Http.Response r = send(standbyPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording("down"), Map.of());
        assertThat(r.status()).isEqualTo(503);
        assertThat(r.header("Retry-After")).isEqualTo("1");
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().path("type").asString()).endsWith("/forward-unavailable");
        heartbeat();
        Http.Response read = send(standbyPort, "GET", "/v1/ecgs?patientRef=x", null, null, Map.of());
        assertThat(read.status()).as("reads within the bound are still served locally").isEqualTo(200);
        assertThat(read.header("Twincloud-Role")).isEqualTo("standby");
    }

    /**
     * This site's own database stops (as the old writer's does in a switchover, before it comes back as a
     * standby): a read is forwarded to the other site at once; a write is still answered 503 here at once.
     */
    @Test
    @Order(Integer.MAX_VALUE - 2)
    void withItsOwnDatabaseStoppedAReadIsForwardedToTheOtherSiteAtOnce() throws Exception {
        heartbeat();
        String patient = "own-stopped-" + UUID.randomUUID().toString().substring(0, 8);
        Http.Response write = send(writerPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording(patient), Map.of());
        String id = write.json().path("id").asString();
        pair.standby().stop();
        try {
            Thread.sleep(300); // the writer-health refresher (every 100 ms) sees the refusal
            Http.Response read = send(standbyPort, "GET", "/v1/ecgs/" + id, null, null, Map.of());
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.header("Twincloud-Forwarded-By")).isEqualTo("gcp");
            assertThat(read.header("Twincloud-Site")).isEqualTo("aws");
            assertThat(read.json().path("patientRef").asString()).isEqualTo(patient);
            Http.Response post = send(standbyPort, "POST", "/v1/ecgs", UUID.randomUUID().toString(), recording(patient), Map.of());
            assertThat(post.status()).isEqualTo(503);
            assertThat(post.json().path("type").asString()).endsWith("/database-unavailable");
        } finally {
            pair.standby().start();
        }
        heartbeat();
        awaitStatus(ReaderHealth.PATH, 200, Duration.ofSeconds(20));
    }

    /**
     * Last: rule 10. The writer acknowledges a write (synchronous: flushed on the standby first), then its
     * database is killed. A standby without a read lease refuses at once (its WAL receiver is gone: it
     * cannot bound its staleness); on a read lease it serves, and the write is there; withdrawn, refused.
     */
    @Test
    @Order(Integer.MAX_VALUE)
    void onItsReadLeaseTheStandbyServesEveryAcknowledgedWriteAfterTheWritersDatabaseIsKilled() throws Exception {
        heartbeat();
        // the stand-in writer: a commit on the primary, acknowledged only once the standby has flushed it
        String id = UUID.randomUUID().toString();
        try (Connection c = DriverManager.getConnection(pair.primary().jdbcUrl("api"), pair.primary().superuser(), "")) {
            c.createStatement().execute("insert into ecg_recording (id, patient_ref, recorded_at, sampling_rate_hz, sample_count, "
                    + "lead_names) values ('" + id + "', 'lease-patient', now(), 500, 3, array['I'])");
            c.createStatement().execute("insert into ecg_lead values ('" + id + "', 0, 'I', '\\x000100020003')");
        }
        READ_LEASE_MS.set(60_000);
        awaitStatus(ReaderHealth.PATH, 200, Duration.ofSeconds(5));
        pair.primary().kill();

        Http.Response r = awaitStatus("/v1/ecgs/" + id, 200, Duration.ofSeconds(5));
        assertThat(r.header("Twincloud-Role")).isEqualTo("standby");
        assertThat(r.header("Twincloud-Read-Basis")).isEqualTo("read-lease");
        assertThat(r.header("Twincloud-Staleness-Ms")).isEqualTo("0");
        Http.Response health = send(standbyPort, "GET", ReaderHealth.PATH, null, null, Map.of());
        assertThat(health.status()).as("reader health on the lease, the writer gone").isEqualTo(200);

        READ_LEASE_MS.set(0); // the next poll (100 ms) voids it
        Http.Response refused = awaitStatus("/v1/ecgs/" + id, 503, Duration.ofSeconds(5));
        assertThat(refused.contentType()).isEqualTo("application/problem+json");

        // The site is promoted while a read is under way: the fence looked at a standby, its snapshot is on the new
        // primary, which has no write lease yet. On the read lease (the agent's rule: its promotion, before its first
        // write lease) it is served: nobody else can have acknowledged a write, and this database has them all.
        READ_LEASE_MS.set(60_000);
        awaitStatus("/v1/ecgs/" + id, 200, Duration.ofSeconds(5));
        var promoted = new java.util.concurrent.atomic.AtomicBoolean();
        readFence.beforeSnapshot(() -> {
            if (promoted.compareAndSet(false, true)) {
                pair.standby().execute("select pg_promote(true, 30)");
            }
        });
        try {
            Http.Response straddling = send(standbyPort, "GET", "/v1/ecgs/" + id, null, null, Map.of());
            assertThat(promoted).as("promoted inside the read").isTrue();
            assertThat(straddling.status()).as(straddling.body()).isEqualTo(200);
            assertThat(straddling.header("Twincloud-Read-Basis")).isEqualTo("read-lease");
            assertThat(straddling.header("Twincloud-Staleness-Ms")).isEqualTo("0");
        } finally {
            readFence.beforeSnapshot(() -> { });
        }
        READ_LEASE_MS.set(0);
        Http.Response unleased = awaitStatus("/v1/ecgs/" + id, 503, Duration.ofSeconds(5));
        assertThat(unleased.contentType()).as("a primary without either lease").isEqualTo("application/problem+json");
    }

    private Http.Response awaitStatus(String path, int status, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        Http.Response r = send(standbyPort, "GET", path, null, null, Map.of());
        while (r.status() != status && System.nanoTime() < deadline) {
            Thread.sleep(50);
            r = send(standbyPort, "GET", path, null, null, Map.of());
        }
        assertThat(r.status()).as("GET %s: %s", path, r.body()).isEqualTo(status);
        return r;
    }

    private static Http.Response send(int port, String method, String path, String key, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        return sendWithToken(port, method, path, key, body, headers, TestTokens.readWrite());
    }

    private static Http.Response sendWithToken(int port, String method, String path, String key, String body,
                                               Map<String, String> headers, String token) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        headers.forEach(b::header);
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Http.Response(r.statusCode(), r.headers(), r.body());
    }
}
