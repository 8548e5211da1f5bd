package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.api.TestTokens;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** Health groups, metrics, migrations, the write-lease guard's SQLSTATE, and the OpenAPI document. */
class OperationsTest extends ApiTest {

    @Autowired
    Migrations migrations;

    @Test
    void onAPrimaryAllHealthGroupsAreUp() {
        Http anonymous = api.withToken(null);
        assertThat(anonymous.get("/actuator/health/liveness").json().path("status").asString()).isEqualTo("UP");
        // The readiness group checks the database through the request pool, which a test before this one may
        // still hold (WriterHealthUnderRequestLoadTest blocks it on purpose): UP once the pool is free again.
        JsonNode readiness = anonymous.get("/actuator/health/readiness").json();
        for (long deadline = System.nanoTime() + 15_000_000_000L;
             !readiness.path("status").asString().equals("UP") && System.nanoTime() - deadline < 0; ) {
            sleep(200);
            readiness = anonymous.get("/actuator/health/readiness").json();
        }
        assertThat(readiness.path("status").asString()).as(readiness.toString()).isEqualTo("UP");
        assertThat(readiness.path("components").path("database").path("status").asString()).isEqualTo("UP");
        JsonNode writer = anonymous.get("/actuator/health/writer").json();
        assertThat(writer.path("status").asString()).isEqualTo("UP");
        assertThat(writer.path("components").path("writerState").path("details").path("role").asString()).isEqualTo("primary");
    }

    @Test
    void migrationsApplyOnAnEmptyDatabase() {
        assertThat(migrations.outcome()).isEqualTo(Migrations.Outcome.APPLIED);
        assertThat(jdbc.sql("select count(*) from flyway_schema_history where success").query(Long.class).single())
                .isGreaterThanOrEqualTo(1);
        assertThat(api.withToken(null).get("/actuator/info").json().path("migrations").asString()).isEqualTo("applied");
    }

    @Test
    void writeRejectedByTheLeaseGuardIs503WithRetryAfterAndStoresNothing() throws Exception {
        // What the guard does when this site holds no valid write lease; a trigger of its own, so that
        // the shared database keeps its lease. DDL: the API's role may not, the superuser does it.
        try (Connection su = SharedPostgres.superuser(); Statement s = su.createStatement()) {
            s.execute("""
                    create or replace function test_lease_guard() returns trigger language plpgsql as $$
                    begin raise exception 'no valid write lease' using errcode = 'TCL01'; end $$""");
            s.execute("create trigger test_lease_guard before insert on ecg_recording for each statement execute function test_lease_guard()");
            try {
                var before = rowCounts();
                Http.Response r = api.post("/v1/ecgs", newKey(), recording(newPatient()));

                assertThat(r.status()).isEqualTo(503);
                assertThat(r.header("Retry-After")).isEqualTo("1");
                assertThat(r.contentType()).isEqualTo("application/problem+json");
                assertThat(r.json().path("type").asString()).endsWith("/write-unavailable");
                assertThat(rowCounts()).isEqualTo(before);
            } finally {
                s.execute("drop trigger test_lease_guard on ecg_recording");
                s.execute("drop function test_lease_guard()");
            }
        }
        assertThat(api.withToken(null).get("/actuator/prometheus").body())
                .contains("twincloud_db_errors_total{sqlstate_class=\"TC\"");
    }

    /** docs/design.md rule 1: the API's role owns nothing, so it cannot drop, disable or truncate past the guard. */
    @Test
    void migrationsRunAsTheOwnerAndTheApiRoleOwnsNothing() {
        assertThat(jdbc.sql("select current_user").query(String.class).single()).isEqualTo(ProductionDatabase.APP);
        assertThat(jdbc.sql("select distinct tableowner from pg_tables where schemaname = 'public'").query(String.class).list())
                .containsExactly(ProductionDatabase.OWNER);
        assertThat(jdbc.sql("select count(*) from pg_class where relowner = (select oid from pg_roles where rolname = current_user)")
                .query(Long.class).single()).isZero();
        assertThat(jdbc.sql("""
                        select count(*) from pg_tables t where schemaname = 'public' and tablename <> 'flyway_schema_history'
                           and not exists (select 1 from pg_trigger g where g.tgrelid = (quote_ident(t.tablename))::regclass
                                              and g.tgname = 'twincloud_guard')""")
                .query(Long.class).single()).as("every application table is guarded").isZero();
        var before = rowCounts();
        for (String forbidden : new String[] {"truncate ecg_annotation", "alter table ecg_recording disable trigger all",
                "drop trigger twincloud_guard on ecg_recording", "create table app_owned (x int)"}) {
            assertThatThrownBy(() -> jdbc.sql(forbidden).update()).as(forbidden)
                    .hasRootCauseInstanceOf(java.sql.SQLException.class)
                    .rootCause().satisfies(e -> assertThat(((java.sql.SQLException) e).getSQLState()).isEqualTo("42501"));
        }
        assertThat(rowCounts()).isEqualTo(before);
    }

    @Autowired
    ReadFence readFence;

    /** The read runs on the connection and in the snapshot the fence checked: one read-only REPEATABLE READ transaction. */
    @Test
    void readsRunInTheFencesTransaction() {
        String inside = readFence.serve(() -> jdbc.sql("""
                        select current_setting('transaction_isolation') || ' ' || current_setting('transaction_read_only')
                               || ' ' || pg_backend_pid()""").query(String.class).single());
        assertThat(inside).startsWith("repeatable read on ");
        String outside = jdbc.sql("select current_setting('transaction_isolation')").query(String.class).single();
        assertThat(outside).isEqualTo("read committed");
    }

    @Test
    void prometheusShowsLatencyHistogramsAndPoolMetrics() {
        api.get("/v1/ecgs?limit=1");
        String metrics = api.withToken(null).get("/actuator/prometheus").body();
        assertThat(metrics).contains("http_server_requests_seconds_bucket");
        assertThat(metrics).contains("hikaricp_connections_active");
    }

    /** Run with -Dopenapi.regenerate=true to rewrite docs/openapi.json after an intended API change. */
    @Test
    void servedOpenApiDocumentMatchesTheCheckedInOne() throws Exception {
        JsonMapper pretty = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();
        Http.Response served = api.withToken(null).get("/v3/api-docs");
        assertThat(served.status()).isEqualTo(200);
        String document = pretty.writeValueAsString(pretty.readValue(served.body(), java.util.Map.class)) + "\n";
        Path file = Path.of(System.getProperty("openapi.file", "../docs/openapi.json"));
        if (Boolean.getBoolean("openapi.regenerate")) {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, document);
        }
        assertThat(file).as("docs/openapi.json missing: run the api tests with -Dopenapi.regenerate=true").exists();
        assertThat(document).as("served OpenAPI differs from " + file + "; regenerate with -Dopenapi.regenerate=true")
                .isEqualTo(Files.readString(file));
    }

    /** The statuses the API really answers with a problem are the ones its OpenAPI document lists, as problem+json. */
    @Test
    void problemResponsesTheApiGivesAreInItsOpenApiDocument() {
        JsonNode paths = api.withToken(null).get("/v3/api-docs").json().path("paths");
        String big = "{\"x\":\"" + "x".repeat(9 * 1024 * 1024) + "\"}";
        String key = newKey();
        api.post("/v1/ecgs", key, recording(newPatient()));
        record Case(String path, String method, Http.Response answer) {
        }
        var cases = java.util.List.of(
                new Case("/v1/ecgs", "post", api.post("/v1/ecgs", newKey(), "{\"patientRef\":\"\"}")),
                new Case("/v1/ecgs", "post", api.withToken(null).post("/v1/ecgs", newKey(), recording(newPatient()))),
                new Case("/v1/ecgs", "post", api.withToken(TestTokens.withScope("ecg:read")).post("/v1/ecgs", newKey(),
                        recording(newPatient()))),
                new Case("/v1/ecgs", "post", api.post("/v1/ecgs", newKey(), big)),
                new Case("/v1/ecgs", "post", api.post("/v1/ecgs", key, recording(newPatient()))),
                new Case("/v1/ecgs", "get", api.get("/v1/ecgs?limit=0")),
                new Case("/v1/ecgs/{id}", "get", api.get("/v1/ecgs/" + java.util.UUID.randomUUID())),
                new Case("/v1/patients/{patientRef}/summary", "get", api.get("/v1/patients/" + newPatient() + "/summary")));
        assertThat(cases).extracting(c -> c.answer().status()).containsExactly(400, 401, 403, 413, 422, 400, 404, 404);
        for (Case c : cases) {
            JsonNode documented = paths.path(c.path()).path(c.method()).path("responses").path(String.valueOf(c.answer().status()));
            assertThat(documented.isMissingNode()).as("%s %s answers %s: documented", c.method(), c.path(), c.answer().status())
                    .isFalse();
            assertThat(documented.path("content").has("application/problem+json")).isTrue();
            assertThat(c.answer().contentType()).isEqualTo("application/problem+json");
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
