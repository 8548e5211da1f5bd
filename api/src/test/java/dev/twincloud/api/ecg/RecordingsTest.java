package dev.twincloud.api.ecg;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import dev.twincloud.core.protocol.Lsn;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class RecordingsTest extends ApiTest {

    @Test
    void storedRecordingIsReturnedWithItsSamplesAndLocation() {
        String patient = newPatient();
        String body = recording(patient, "2026-03-01T08:30:00.123456789Z", 500, 12, 5000);

        Http.Response created = api.post("/v1/ecgs", newKey(), body);

        assertThat(created.status()).isEqualTo(201);
        String id = created.json().path("id").asString();
        assertThat(UUID.fromString(id).version()).isEqualTo(7);
        assertThat(created.header("Location")).isEqualTo("/v1/ecgs/" + id);
        assertThat(created.json().path("sampleCount").asInt()).isEqualTo(5000);
        assertThat(created.json().path("durationMs").asDouble()).isEqualTo(10_000.0);
        assertThat(created.json().path("recordedAt").asString()).isEqualTo("2026-03-01T08:30:00.123456Z");

        Http.Response read = api.get("/v1/ecgs/" + id);
        assertThat(read.status()).isEqualTo(200);
        JsonNode sent = Http.JSON.readTree(body);
        JsonNode got = read.json();
        assertThat(got.path("patientRef").asString()).isEqualTo(patient);
        assertThat(got.path("leadNames").size()).isEqualTo(12);
        assertThat(got.path("leads")).isEqualTo(sent.path("leads"));
        assertThat(got.path("leads").propertyNames()).containsExactlyElementsOf(sent.path("leads").propertyNames());
    }

    @Test
    void samplesAreStoredAsTwoBytesPerSample() {
        Http.Response created = api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T00:00:00Z", 250, 3, 1000));
        UUID id = UUID.fromString(created.json().path("id").asString());

        List<Integer> sizes = jdbc.sql("select length(samples) from ecg_lead where recording_id = ? order by position")
                .param(id).query(Integer.class).list();

        assertThat(sizes).containsExactly(2000, 2000, 2000);
    }

    @Test
    void oneLeadCanBeReadWhole_orAsASampleRange() {
        String body = recording(newPatient(), "2026-01-01T00:00:00Z", 500, 2, 100);
        String id = api.post("/v1/ecgs", newKey(), body).json().path("id").asString();
        JsonNode lead = Http.JSON.readTree(body).path("leads").path("II");

        Http.Response whole = api.get("/v1/ecgs/" + id + "/leads/II");
        Http.Response range = api.get("/v1/ecgs/" + id + "/leads/II?from=10&to=20");

        assertThat(whole.status()).isEqualTo(200);
        assertThat(whole.json().path("samples")).isEqualTo(lead);
        assertThat(range.json().path("samples").size()).isEqualTo(10);
        for (int i = 0; i < 10; i++) {
            assertThat(range.json().path("samples").get(i).asInt()).isEqualTo(lead.get(10 + i).asInt());
        }
        assertThat(api.get("/v1/ecgs/" + id + "/leads/II?from=100").json().path("samples").size()).isZero();
    }

    @Test
    void invalidSampleRangesAreRejectedWith400() {
        String id = api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T00:00:00Z", 500, 1, 100))
                .json().path("id").asString();

        assertThat(api.get("/v1/ecgs/" + id + "/leads/I?from=-1").errorFields()).containsExactly("from");
        assertThat(api.get("/v1/ecgs/" + id + "/leads/I?to=101").errorFields()).containsExactly("to");
        assertThat(api.get("/v1/ecgs/" + id + "/leads/I?from=50&to=10").errorFields()).containsExactly("to");
        Http.Response notANumber = api.get("/v1/ecgs/" + id + "/leads/I?from=abc");
        assertThat(notANumber.status()).isEqualTo(400);
        assertThat(notANumber.errorFields()).containsExactly("from");
    }

    @Test
    void unknownRecordingsAndLeadsAre404Problems() {
        String id = api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T00:00:00Z", 500, 1, 10))
                .json().path("id").asString();

        Http.Response noRecording = api.get("/v1/ecgs/" + UUID.randomUUID());
        Http.Response noLead = api.get("/v1/ecgs/" + id + "/leads/V9");

        assertThat(noRecording.status()).isEqualTo(404);
        assertThat(noRecording.contentType()).isEqualTo("application/problem+json");
        assertThat(noLead.status()).isEqualTo(404);
        assertThat(api.get("/v1/ecgs/" + UUID.randomUUID() + "/leads/I").status()).isEqualTo(404);
    }

    @Test
    void sameIdempotencyKeyWithSameBodyReturnsTheOriginalResponse() {
        String key = newKey();
        String body = recording(newPatient(), "2026-01-01T00:00:00Z", 500, 12, 5000);

        Http.Response first = api.post("/v1/ecgs", key, body);
        Http.Response retry = api.post("/v1/ecgs", key, body);

        assertThat(retry.status()).isEqualTo(first.status()).isEqualTo(201);
        assertThat(retry.storedJson()).isEqualTo(first.storedJson());
        assertThat(Lsn.parse(retry.header("Twincloud-Lsn"))).as("a replay commits again, later").isGreaterThanOrEqualTo(Lsn.parse(first.header("Twincloud-Lsn")));
        assertThat(retry.header("Location")).isEqualTo(first.header("Location"));
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(jdbc.sql("select count(*) from ecg_recording where id = ?")
                .param(UUID.fromString(first.json().path("id").asString())).query(Long.class).single()).isEqualTo(1);
    }

    @Test
    void sameIdempotencyKeyWithDifferentBodyIs422AndStoresNothing() {
        String key = newKey();
        api.post("/v1/ecgs", key, recording(newPatient()));
        var before = rowCounts();

        Http.Response reuse = api.post("/v1/ecgs", key, recording(newPatient()));

        assertThat(reuse.status()).isEqualTo(422);
        assertThat(reuse.contentType()).isEqualTo("application/problem+json");
        assertThat(reuse.json().path("type").asString()).endsWith("/idempotency-key-reused");
        assertThat(rowCounts()).isEqualTo(before);
    }

    @Test
    void concurrentDuplicatesWithOneKeyCreateExactlyOneRecording() throws Exception {
        String key = newKey();
        String patient = newPatient();
        String body = recording(patient, "2026-01-01T00:00:00Z", 500, 12, 5000);
        int clients = 8;
        CyclicBarrier start = new CyclicBarrier(clients);
        List<Future<Http.Response>> responses = new ArrayList<>();
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < clients; i++) {
                responses.add(threads.submit(() -> {
                    start.await();
                    return api.post("/v1/ecgs", key, body);
                }));
            }
        }

        Set<String> ids = new HashSet<>();
        Set<String> bodies = new HashSet<>();
        for (Future<Http.Response> f : responses) {
            Http.Response r = f.get();
            assertThat(r.status()).isEqualTo(201);
            ids.add(r.json().path("id").asString());
            bodies.add(r.storedJson().toString()); // each answer states its own commit's lsn
        }
        assertThat(ids).hasSize(1);
        assertThat(bodies).hasSize(1);
        assertThat(jdbc.sql("select count(*) from ecg_recording where patient_ref = ?").param(patient)
                .query(Long.class).single()).isEqualTo(1);
        assertThat(jdbc.sql("select count(*) from ecg_lead l join ecg_recording r on r.id = l.recording_id where r.patient_ref = ?")
                .param(patient).query(Long.class).single()).isEqualTo(12);
    }
}
