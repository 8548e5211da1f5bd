package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Predicate;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.core.log.RequestId;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The request id in the API (docs/logging.md): taken from {@code X-Request-Id} (or created), returned, in every
 * problem body, and in PostgreSQL's jsonlog lines of the request's statements — on real PostgreSQL, with the
 * production roles, logging as the lab does ({@link SharedPostgres}).
 */
class RequestIdTest extends ApiTest {

    private static String newId() {
        return "t-" + UUID.randomUUID();
    }

    @Test
    void theIdIsTakenFromTheHeaderOrCreatedAndReturned() {
        String id = newId();
        assertThat(api.withRequestId(id).get("/v1/ecgs?limit=1").header(RequestId.HEADER)).isEqualTo(id);

        String created = api.get("/v1/ecgs?limit=1").header(RequestId.HEADER);
        assertThat(UUID.fromString(created).toString()).isEqualTo(created);

        String replaced = api.withRequestId("x".repeat(RequestId.MAX_LENGTH + 1)).get("/v1/ecgs?limit=1").header(RequestId.HEADER);
        assertThat(UUID.fromString(replaced).toString()).isEqualTo(replaced);
    }

    @Test
    void everyProblemBodyCarriesTheId() {
        // Spring MVC's path (ProblemHandler): a validation problem and an unknown recording
        String id = newId();
        Http.Response invalid = api.withRequestId(id).get("/v1/ecgs?limit=0");
        assertThat(invalid.status()).isEqualTo(400);
        assertThat(invalid.json().path("requestId").asString()).isEqualTo(id);
        assertThat(invalid.header(RequestId.HEADER)).isEqualTo(id);

        String id2 = newId();
        Http.Response missing = api.withRequestId(id2).get("/v1/ecgs/" + UUID.randomUUID());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().path("requestId").asString()).isEqualTo(id2);

        // outside Spring MVC (ProblemWriter): security's 401
        String id3 = newId();
        Http.Response unauthorized = api.withToken(null).withRequestId(id3).get("/v1/ecgs");
        assertThat(unauthorized.status()).isEqualTo(401);
        assertThat(unauthorized.json().path("requestId").asString()).isEqualTo(id3);
        assertThat(unauthorized.header(RequestId.HEADER)).isEqualTo(id3);
    }

    @Test
    void postgresLogsTheRequestsStatementUnderItsIdWithoutTheValues() throws Exception {
        String id = newId();
        String patient = newPatient();
        Http.Response r = api.withRequestId(id).post("/v1/ecgs", newKey(), recording(patient));
        assertThat(r.status()).isEqualTo(201);

        JsonNode insert = awaitPgLine(l -> ("twincloud-api/" + id).equals(l.path("application_name").asString())
                && l.path("message").asString().toLowerCase().contains("insert into ecg_recording"));
        assertThat(RequestId.fromApplicationName(insert.path("application_name").asString())).contains(id);
        assertThat(insert.path("user").asString()).isEqualTo(dev.twincloud.api.ProductionDatabase.APP);
        assertThat(insert.toString()).as("no bind parameter values: no patient reference, no samples").doesNotContain(patient);
        assertThat(insert.path("detail").asString()).doesNotContain(patient);
    }

    @Test
    void aWriteTheGuardRefusesIsLoggedByPostgresUnderTheRequestsIdAndTheProblemCarriesIt() throws Exception {
        try (Connection su = SharedPostgres.superuser(); Statement s = su.createStatement()) {
            s.execute("""
                    create or replace function test_request_id_guard() returns trigger language plpgsql as $$
                    begin raise exception 'no valid write lease' using errcode = 'TCL01'; end $$""");
            s.execute("create trigger test_request_id_guard before insert on ecg_recording for each statement execute function test_request_id_guard()");
            try {
                String id = newId();
                Http.Response r = api.withRequestId(id).post("/v1/ecgs", newKey(), recording(newPatient()));
                assertThat(r.status()).isEqualTo(503);
                assertThat(r.json().path("requestId").asString()).isEqualTo(id);

                JsonNode error = awaitPgLine(l -> ("twincloud-api/" + id).equals(l.path("application_name").asString())
                        && "ERROR".equals(l.path("error_severity").asString()));
                assertThat(error.path("state_code").asString()).isEqualTo("TCL01");
                assertThat(error.path("message").asString()).contains("no valid write lease");
            } finally {
                s.execute("drop trigger test_request_id_guard on ecg_recording");
                s.execute("drop function test_request_id_guard()");
            }
        }
    }

    @Test
    void connectionsServingNoRequestGoBackToThePlainName() {
        // this test's JdbcClient runs outside any request: the pool's connection must not keep an earlier request's id
        api.withRequestId(newId()).get("/v1/ecgs?limit=1");
        assertThat(jdbc.sql("select current_setting('application_name')").query(String.class).single())
                .isEqualTo("twincloud-api");
    }

    /** The first line of the shared server's jsonlog that matches, waiting up to 10 s for the collector to write it. */
    private static JsonNode awaitPgLine(Predicate<JsonNode> match) throws Exception {
        Path file = SharedPostgres.server().server().jsonLog().orElseThrow();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                if (!line.isBlank()) {
                    lines.add(Http.JSON.readTree(line));
                }
            }
            for (JsonNode l : lines) {
                if (match.test(l)) {
                    return l;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no matching line in " + file + " among " + lines.size());
            }
            Thread.sleep(100);
        }
    }
}
