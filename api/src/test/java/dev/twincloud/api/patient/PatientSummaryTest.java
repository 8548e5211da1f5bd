package dev.twincloud.api.patient;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class PatientSummaryTest extends ApiTest {

    @Test
    void summaryCountsRecordingsTimeSpanAndLabels() {
        String patient = newPatient();
        String a = api.post("/v1/ecgs", newKey(), recording(patient, "2026-01-01T00:00:00Z", 500, 1, 5000)).json().path("id").asString();
        api.post("/v1/ecgs", newKey(), recording(patient, "2026-01-03T00:00:00Z", 250, 1, 5000));
        api.post("/v1/ecgs", newKey(), recording(newPatient(), "2026-01-02T00:00:00Z", 500, 1, 10)); // someone else
        for (String label : new String[] {"AFIB", "AFIB", "NSR"}) {
            api.post("/v1/ecgs/" + a + "/annotations", newKey(), "{\"label\":\"" + label + "\",\"onsetMs\":0,\"offsetMs\":10}");
        }

        Http.Response r = api.get("/v1/patients/" + patient + "/summary");

        assertThat(r.status()).isEqualTo(200);
        JsonNode s = r.json();
        assertThat(s.path("recordings").asLong()).isEqualTo(2);
        assertThat(s.path("firstRecordedAt").asString()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(s.path("lastRecordedAt").asString()).isEqualTo("2026-01-03T00:00:00Z");
        assertThat(s.path("totalDurationMs").asDouble()).isEqualTo(30_000.0);
        assertThat(s.path("annotations").asLong()).isEqualTo(3);
        assertThat(s.path("labelCounts").path("AFIB").asLong()).isEqualTo(2);
        assertThat(s.path("labelCounts").path("NSR").asLong()).isEqualTo(1);
    }

    @Test
    void unknownPatientIs404() {
        assertThat(api.get("/v1/patients/" + newPatient() + "/summary").status()).isEqualTo(404);
    }
}
