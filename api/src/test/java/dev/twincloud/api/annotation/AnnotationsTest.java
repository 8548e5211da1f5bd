package dev.twincloud.api.annotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AnnotationsTest extends ApiTest {

    private String recordingId;

    @BeforeEach
    void tenSecondRecording() {
        recordingId = api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-01T00:00:00Z", 500, 1, 5000))
                .json().path("id").asString();
    }

    private Http.Response annotate(String json) {
        return api.post("/v1/ecgs/" + recordingId + "/annotations", newKey(), json);
    }

    @Test
    void annotationsAreStoredAndListedInOnsetOrder() {
        Http.Response afib = annotate("{\"label\":\"AFIB\",\"onsetMs\":4000,\"offsetMs\":9000,\"confidence\":0.92,\"author\":\"model-7\"}");
        Http.Response nsr = annotate("{\"label\":\"NSR\",\"onsetMs\":0,\"offsetMs\":4000,\"confidence\":1}");

        assertThat(afib.status()).isEqualTo(201);
        String id = afib.json().path("id").asString();
        assertThat(afib.header("Location")).isEqualTo("/v1/ecgs/" + recordingId + "/annotations/" + id);
        assertThat(api.get(afib.header("Location")).json().path("label").asString()).isEqualTo("AFIB");

        Http.Response list = api.get("/v1/ecgs/" + recordingId + "/annotations");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.json().path("items").get(0).path("label").asString()).isEqualTo("NSR");
        assertThat(list.json().path("items").get(1).path("id").asString()).isEqualTo(id);
        assertThat(list.json().path("items").get(1).path("confidence").asDouble()).isEqualTo(0.92);
        assertThat(nsr.status()).isEqualTo(201);
    }

    @Test
    void annotationMayEndExactlyAtTheEndOfTheRecording() {
        assertThat(annotate("{\"label\":\"NSR\",\"onsetMs\":0,\"offsetMs\":10000}").status()).isEqualTo(201);
    }

    @Test
    void onsetAfterOffsetOrBeyondTheRecordingIsRejected() {
        var before = rowCounts();

        assertThat(annotate("{\"label\":\"X\",\"onsetMs\":500,\"offsetMs\":100}").errorFields()).containsExactly("offsetMs");
        assertThat(annotate("{\"label\":\"X\",\"onsetMs\":0,\"offsetMs\":10001}").errorFields()).containsExactly("offsetMs");
        assertThat(annotate("{\"label\":\"X\",\"onsetMs\":-1,\"offsetMs\":10}").errorFields()).containsExactly("onsetMs");
        assertThat(annotate("{\"label\":\"X\",\"onsetMs\":0,\"offsetMs\":10,\"confidence\":1.5}").errorFields())
                .containsExactly("confidence");
        assertThat(annotate("{\"onsetMs\":0}").errorFields()).containsExactlyInAnyOrder("label", "offsetMs");
        assertThat(annotate("{\"label\":\"  \",\"onsetMs\":0,\"offsetMs\":1}").errorFields()).containsExactly("label");

        assertThat(rowCounts()).isEqualTo(before);
    }

    @Test
    void annotatingAnUnknownRecordingIs404() {
        Http.Response r = api.post("/v1/ecgs/" + UUID.randomUUID() + "/annotations", newKey(),
                "{\"label\":\"X\",\"onsetMs\":0,\"offsetMs\":1}");
        assertThat(r.status()).isEqualTo(404);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(api.get("/v1/ecgs/" + UUID.randomUUID() + "/annotations").status()).isEqualTo(404);
        assertThat(api.get("/v1/ecgs/" + recordingId + "/annotations/" + UUID.randomUUID()).status()).isEqualTo(404);
    }

    @Test
    void annotationRetriesWithOneKeyStoreOneAnnotation() {
        String key = newKey();
        String body = "{\"label\":\"PVC\",\"onsetMs\":100,\"offsetMs\":200}";
        Http.Response first = api.post("/v1/ecgs/" + recordingId + "/annotations", key, body);
        Http.Response retry = api.post("/v1/ecgs/" + recordingId + "/annotations", key, body);
        Http.Response other = api.post("/v1/ecgs/" + recordingId + "/annotations", key, body.replace("PVC", "PAC"));

        assertThat(retry.storedJson()).isEqualTo(first.storedJson());
        assertThat(other.status()).isEqualTo(422);
        assertThat(api.get("/v1/ecgs/" + recordingId + "/annotations").json().path("items").size()).isEqualTo(1);
    }
}
