package dev.twincloud.api.ecg;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import dev.twincloud.api.SharedPostgres;
import org.junit.jupiter.api.Test;

/**
 * A new recording, its leads and the answer stored with its Idempotency-Key are written by one statement (one round
 * trip, docs/benchmarks.md) and still all or nothing, through the lease guard on every table it writes; its
 * {@code createdAt} is the time the database stores; a COMMIT refused at commit time (sent together with the read of
 * the answer's LSN) is a 503 that stores nothing. Watched from inside PostgreSQL: row triggers of the test's own
 * note which statement ({@code current_query()}) and which transaction wrote each row.
 */
class SmallWriteOneStatementTest extends ApiTest {

    @Test
    void theRecordingItsLeadsAndItsStoredAnswerAreOneStatementOfTheClaimsTransaction() throws Exception {
        List<String[]> writes = new ArrayList<>();
        Http.Response created;
        try (Connection su = SharedPostgres.superuser(); Statement s = su.createStatement()) {
            s.execute("create table if not exists test_write_log (tbl text, ref text, op text, query text, xact text)");
            s.execute("""
                    create or replace function test_write_log() returns trigger language plpgsql security definer as $$
                    begin
                      insert into test_write_log values (tg_table_name,
                          coalesce(to_jsonb(new) ->> 'recording_id', to_jsonb(new) ->> 'key', to_jsonb(new) ->> 'id'),
                          tg_op, current_query(), pg_current_xact_id()::text);
                      return null;
                    end $$""");
            for (String table : List.of("ecg_recording", "ecg_lead", "idempotency_key")) {
                s.execute("create trigger test_write_log after insert or update on " + table
                        + " for each row execute function test_write_log()");
            }
            String key = newKey();
            try {
                created = api.post("/v1/ecgs", key, recording(newPatient(), "2026-01-01T10:00:00Z", 500, 3, 100));
            } finally {
                for (String table : List.of("ecg_recording", "ecg_lead", "idempotency_key")) {
                    s.execute("drop trigger test_write_log on " + table);
                }
            }
            assertThat(created.status()).isEqualTo(201);
            String id = created.json().path("id").asString();
            try (ResultSet rs = s.executeQuery("select tbl, op, query, xact from test_write_log where ref in ('" + id + "', '"
                    + key + "') order by tbl, op")) {
                while (rs.next()) {
                    writes.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
                }
            }
            s.execute("drop table test_write_log");
            s.execute("drop function test_write_log()");
        }

        // the claim (insert of the key row), then ONE statement: the recording, its three leads, the stored answer
        assertThat(writes).extracting(w -> w[0] + " " + w[1]).containsExactly("ecg_lead INSERT", "ecg_lead INSERT",
                "ecg_lead INSERT", "ecg_recording INSERT", "idempotency_key INSERT", "idempotency_key UPDATE");
        String claim = writes.get(4)[2];
        String write = writes.get(0)[2];
        assertThat(writes).extracting(w -> w[3]).as("one transaction").containsOnly(writes.get(0)[3]);
        assertThat(claim).contains("insert into idempotency_key").doesNotContain("ecg_recording");
        assertThat(writes.stream().filter(w -> w != writes.get(4)).map(w -> w[2]).distinct().toList())
                .as("one statement for all but the claim").containsExactly(write);
        assertThat(write).contains("insert into ecg_recording", "insert into ecg_lead", "update idempotency_key");

        // the answer's createdAt is what both rows store (the transaction's time)
        Instant answered = Instant.parse(created.json().path("createdAt").asString());
        UUID id = UUID.fromString(created.json().path("id").asString());
        assertThat(jdbc.sql("select created_at from ecg_recording where id = ?").param(id)
                .query(OffsetDateTime.class).single().toInstant()).isEqualTo(answered);
        assertThat(api.get("/v1/ecgs/" + id).json().path("createdAt").asString()).isEqualTo(created.json().path("createdAt").asString());
        assertThat(jdbc.sql("select response_body from idempotency_key where location = ?").param("/v1/ecgs/" + id)
                .query(String.class).single()).contains("\"createdAt\":\"" + created.json().path("createdAt").asString() + "\"");
    }

    @Test
    void aGuardRefusingTheLeadsOrTheStoredAnswerRefusesTheWholeWrite() throws Exception {
        // the lease guard's statement trigger, as OperationsTest does it for ecg_recording, on the statement's other tables
        refusedWhile("create trigger test_refusal before insert on ecg_lead for each statement", "ecg_lead");
        refusedWhile("create trigger test_refusal before update on idempotency_key for each statement", "idempotency_key");
    }

    /**
     * The COMMIT (sent with the read of the answer's LSN in one round trip) refused as the lease guard's deferred
     * check refuses it when the lease ended during the transaction: 503, nothing stored, and the next write works.
     */
    @Test
    void aCommitTheGuardRefusesIs503AndStoresNothing() throws Exception {
        refusedWhile("create constraint trigger test_refusal after insert on ecg_recording deferrable initially deferred "
                + "for each row", "ecg_recording");
        Http.Response after = api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T10:00:00Z", 500, 1, 20));
        assertThat(after.status()).isEqualTo(201);
        assertThat(after.header("Twincloud-Lsn")).matches("[0-9A-Fa-f]+/[0-9A-Fa-f]+");
        assertThat(after.json().path("lsn").asString()).isEqualTo(after.header("Twincloud-Lsn"));
    }

    /** A write is 503 write-unavailable and stores nothing while trigger {@code create} (on {@code table}) refuses, TCL01. */
    private void refusedWhile(String create, String table) throws Exception {
        try (Connection su = SharedPostgres.superuser(); Statement s = su.createStatement()) {
            s.execute("""
                    create or replace function test_refusal() returns trigger language plpgsql as $$
                    begin raise exception 'no valid write lease' using errcode = 'TCL01'; end $$""");
            s.execute(create + " execute function test_refusal()");
            try {
                var before = rowCounts();
                Http.Response r = api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T10:00:00Z", 500, 2, 50));

                assertThat(r.status()).as(create).isEqualTo(503);
                assertThat(r.json().path("type").asString()).endsWith("/write-unavailable");
                assertThat(rowCounts()).as(create).isEqualTo(before);
            } finally {
                s.execute("drop trigger test_refusal on " + table);
                s.execute("drop function test_refusal()");
            }
        }
    }
}
