package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import javax.sql.DataSource;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.api.TestTokens;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.jdbc.datasource.DriverManagerDataSource;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Idempotency-Keys are kept per caller (token {@code sub}, V3): on the shared production-role database
 * over real HTTP, and (upgrade) on a database of its own taken from the schema before V3 to V3.
 */
class IdempotencyPerCallerTest extends ApiTest {

    @Autowired
    Idempotency idempotency;

    private Http as(String subject) {
        return api.withToken(TestTokens.readWriteAs(subject));
    }

    /** The stored response a write answered: its body without the per-answer {@code lsn} (docs/api.md). */
    private static String stored(ResponseEntity<String> answer) {
        return answer.getBody() == null ? null : answer.getBody().replaceFirst(",?\"lsn\":\"[^\"]*\"", "");
    }

    private long recordings(String patient) {
        return jdbc.sql("select count(*) from ecg_recording where patient_ref = ?").param(patient).query(Long.class).single();
    }

    @AfterEach
    void noCaller() {
        SecurityContextHolder.clearContext();
    }

    @Test
    void oneCallersKeyReusedByAnotherIsAnIndependentWrite_andEachReplaysItsOwn() {
        String key = newKey();
        String patient = newPatient();
        String body = recording(patient, "2026-01-01T00:00:00Z", 500, 2, 100);

        Http.Response alice = as("alice").post("/v1/ecgs", key, body);
        Http.Response bob = as("bob").post("/v1/ecgs", key, body);
        Http.Response bobOtherBody = as("bob").post("/v1/ecgs", key, recording(patient, "2026-01-02T00:00:00Z", 500, 2, 100));
        Http.Response carolOtherBody = as("carol").post("/v1/ecgs", key, recording(patient, "2026-01-03T00:00:00Z", 500, 2, 100));
        Http.Response aliceAgain = as("alice").post("/v1/ecgs", key, body);

        assertThat(alice.status()).isEqualTo(201);
        assertThat(bob.status()).as("not alice's stored response").isEqualTo(201);
        assertThat(bob.header("Idempotent-Replayed")).isNull();
        assertThat(bob.json().path("id").asString()).isNotEqualTo(alice.json().path("id").asString());
        assertThat(bobOtherBody.status()).as("same caller, same key, other body").isEqualTo(422);
        assertThat(carolOtherBody.status()).as("alice's key does not block carol").isEqualTo(201);
        assertThat(aliceAgain.status()).isEqualTo(201);
        assertThat(aliceAgain.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(aliceAgain.storedJson()).isEqualTo(alice.storedJson()); // each answer states its own commit's lsn
        assertThat(recordings(patient)).isEqualTo(3); // alice, bob, carol
        assertThat(jdbc.sql("select caller from idempotency_key where key = ? order by caller").param(key)
                .query(String.class).list()).containsExactly("alice", "bob", "carol");
    }

    @Test
    void concurrentRequestsOfTwoCallersWithOneKey_writeExactlyOncePerCaller() throws Exception {
        String key = newKey();
        String patient = newPatient();
        String body = recording(patient, "2026-01-01T00:00:00Z", 500, 2, 100);
        int perCaller = 6;
        CyclicBarrier start = new CyclicBarrier(2 * perCaller);
        Map<String, List<Future<Http.Response>>> responses = Map.of("alice", new ArrayList<>(), "bob", new ArrayList<>());
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < perCaller; i++) {
                for (var caller : responses.entrySet()) {
                    Http client = as(caller.getKey());
                    caller.getValue().add(threads.submit(() -> {
                        start.await();
                        return client.post("/v1/ecgs", key, body);
                    }));
                }
            }
        }

        Map<String, String> idByCaller = new java.util.HashMap<>();
        for (var caller : responses.entrySet()) {
            List<Http.Response> answers = new ArrayList<>();
            for (Future<Http.Response> f : caller.getValue()) {
                answers.add(f.get());
            }
            assertThat(answers).extracting(Http.Response::status).containsOnly(201);
            assertThat(answers.stream().map(r -> r.storedJson().toString()).collect(Collectors.toSet()))
                    .as("every request of %s got the same answer", caller.getKey()).hasSize(1);
            idByCaller.put(caller.getKey(), answers.getFirst().json().path("id").asString());
        }
        assertThat(idByCaller.get("alice")).isNotEqualTo(idByCaller.get("bob"));
        assertThat(recordings(patient)).isEqualTo(2);
    }

    @Test
    void aTokenWithoutSubjectCannotWrite_butCanRead() {
        var before = rowCounts();

        Http.Response write = as(null).post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T00:00:00Z", 500, 1, 10));
        Http.Response read = as(null).get("/v1/ecgs?limit=1");

        assertThat(write.status()).isEqualTo(403);
        assertThat(write.contentType()).isEqualTo("application/problem+json");
        assertThat(write.json().path("type").asString()).endsWith("/no-subject");
        assertThat(rowCounts()).isEqualTo(before);
        assertThat(read.status()).isEqualTo(200);
    }

    @Test
    void aKeyRowFromBeforeV3AnswersOnlyTheRetryOfItsOwnWrite() {
        String key = newKey();
        byte[] legacyHash = new Idempotency.RequestHash("POST", "/v1/test").add("same body").finish();
        // as the API before V3 left it: caller unknown (''), the caller-free hash
        jdbc.sql("insert into idempotency_key (caller, key, request_hash, response_status, location, response_body) "
                        + "values ('', ?, ?, 201, '/v1/test/legacy', '{\"legacy\":true}')")
                .params(key, legacyHash).update();
        AtomicInteger writes = new AtomicInteger();

        ResponseEntity<String> retry = execute("alice", key, legacyHash, writes);
        ResponseEntity<String> otherRequest = execute("bob", key,
                new Idempotency.RequestHash("POST", "/v1/test").add("other body").finish(), writes);

        assertThat(stored(retry)).isEqualTo("{\"legacy\":true}");
        assertThat(retry.getHeaders().getFirst("Idempotent-Replayed")).isEqualTo("true");
        assertThat(stored(otherRequest)).isEqualTo("{\"n\":1}");
        assertThat(writes).hasValue(1);
        assertThat(jdbc.sql("select caller from idempotency_key where key = ? order by caller").param(key)
                .query(String.class).list()).containsExactly("", "bob");
    }

    /**
     * The upgrade: keys claimed on the schema before V3 (by this API, which keeps global keys while
     * the caller column is missing, exactly as the API before V3 did), then V3 applied by the owner
     * role: the retry of an old write is still a replay, nothing is applied twice, and an old key no
     * longer blocks another caller.
     */
    @Test
    void upgradeToV3_keepsOldKeysReplayingTheirOwnWrites() throws Exception {
        String url = SharedPostgres.server().createDatabase("idem_upgrade");
        var server = SharedPostgres.server();
        ProductionDatabase.prepare(url, server.username(), server.password(), "upgrade-site", true);
        Flyway owner = Flyway.configure().dataSource(url, ProductionDatabase.OWNER, "")
                .locations("classpath:db/migration").load();
        Flyway.configure().configuration(owner.getConfiguration()).target("2").load().migrate();
        DataSource app = new DriverManagerDataSource(url, ProductionDatabase.APP, "");
        byte[] hash = new Idempotency.RequestHash("POST", "/v1/test").add("body").finish();
        AtomicInteger writes = new AtomicInteger();

        Idempotency beforeV3 = idempotencyOn(app);
        ResponseEntity<String> first = execute(beforeV3, "alice", "k1", hash, writes);
        assertThatThrownBy(() -> execute(beforeV3, "bob", "k1",
                new Idempotency.RequestHash("POST", "/v1/test").add("other").finish(), writes))
                .as("before V3 keys are global, as they were").isInstanceOf(ApiProblem.class);

        assertThat(owner.migrate().targetSchemaVersion).isEqualTo("3");
        Idempotency afterV3 = idempotencyOn(app);
        ResponseEntity<String> retry = execute(afterV3, "alice", "k1", hash, writes);
        ResponseEntity<String> bob = execute(afterV3, "bob", "k1",
                new Idempotency.RequestHash("POST", "/v1/test").add("other").finish(), writes);
        ResponseEntity<String> bobRetry = execute(afterV3, "bob", "k1",
                new Idempotency.RequestHash("POST", "/v1/test").add("other").finish(), writes);

        assertThat(stored(first)).isEqualTo("{\"n\":1}");
        assertThat(stored(retry)).isEqualTo(stored(first));
        assertThat(retry.getHeaders().getFirst("Idempotent-Replayed")).isEqualTo("true");
        assertThat(stored(bob)).isEqualTo("{\"n\":2}");
        assertThat(stored(bobRetry)).isEqualTo("{\"n\":2}");
        assertThat(writes).hasValue(2);
        // an API older than V3 still writing against this schema fails its claim instead of claiming globally
        assertThatThrownBy(() -> JdbcClient.create(app)
                .sql("insert into idempotency_key (key, request_hash) values ('k2', '\\x00'::bytea) on conflict do nothing")
                .update()).hasMessageContaining("caller");
    }

    private static Idempotency idempotencyOn(DataSource dataSource) {
        return new Idempotency(JdbcClient.create(dataSource),
                new TransactionTemplate(new DataSourceTransactionManager(dataSource)), dataSource);
    }

    private ResponseEntity<String> execute(String caller, String key, byte[] hash, AtomicInteger writes) {
        return execute(idempotency, caller, key, hash, writes);
    }

    /** One write through {@code on} as {@code caller}; the "write" only counts and answers its number. */
    private static ResponseEntity<String> execute(Idempotency on, String caller, String key, byte[] hash, AtomicInteger writes) {
        Jwt jwt = Jwt.withTokenValue("t").header("alg", "RS256").subject(caller).claim("scope", "ecg:write").build();
        SecurityContextHolder.getContext().setAuthentication(new JwtAuthenticationToken(jwt));
        try {
            return on.execute(key, hash, () -> new Idempotency.StoredResponse(201, "/v1/test/" + key,
                    "{\"n\":" + writes.incrementAndGet() + "}"));
        } finally {
            SecurityContextHolder.clearContext();
        }
    }
}
