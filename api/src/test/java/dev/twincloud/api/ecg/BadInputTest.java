package dev.twincloud.api.ecg;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.Flow;

import dev.twincloud.api.ApiTest;
import dev.twincloud.api.Http;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every class of bad input gets its 4xx problem+json, and the database is unchanged afterwards. */
class BadInputTest extends ApiTest {

    private Map<String, Long> before;

    @BeforeEach
    void countRows() {
        before = rowCounts();
    }

    private void assertProblem(Http.Response r, int status) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).isEqualTo("application/problem+json");
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.json().path("type").asString()).startsWith("https://twincloud.dev/problems/");
        assertThat(rowCounts()).as("database unchanged").isEqualTo(before);
    }

    @Test
    void malformedJsonIs400() {
        assertProblem(api.post("/v1/ecgs", newKey(), "{\"patientRef\": \"p\", "), 400);
        assertProblem(api.post("/v1/ecgs", newKey(), "not json at all"), 400);
        assertProblem(api.post("/v1/ecgs", newKey(), ""), 400);
    }

    @Test
    void wrongTypesAre400WithTheField() {
        Http.Response r = api.post("/v1/ecgs", newKey(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":\"fast\",\"leads\":{\"I\":[1]}}");
        assertProblem(r, 400);
        assertThat(r.errorFields()).containsExactly("samplingRateHz");

        Http.Response notInt16 = api.post("/v1/ecgs", newKey(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,\"leads\":{\"I\":[1,40000]}}");
        assertProblem(notInt16, 400);
        assertThat(notInt16.errorFields()).containsExactly("leads.I[1]");

        Http.Response fraction = api.post("/v1/ecgs", newKey(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,\"leads\":{\"I\":[1.5]}}");
        assertProblem(fraction, 400);

        Http.Response badDate = api.post("/v1/ecgs", newKey(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"yesterday\",\"samplingRateHz\":500,\"leads\":{\"I\":[1]}}");
        assertProblem(badDate, 400);
        assertThat(badDate.errorFields()).containsExactly("recordedAt");

        Http.Response unknownField = api.post("/v1/ecgs", newKey(),
                "{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,\"leads\":{\"I\":[1]},\"sampleRate\":5}");
        assertProblem(unknownField, 400);
        assertThat(unknownField.errorFields()).containsExactly("sampleRate");
    }

    @Test
    void missingFieldsAreAllListed() {
        Http.Response r = api.post("/v1/ecgs", newKey(), "{}");
        assertProblem(r, 400);
        assertThat(r.errorFields()).containsExactlyInAnyOrder("patientRef", "recordedAt", "samplingRateHz", "leads");
    }

    @Test
    void limitsOnLeadsSamplesRateAndNamesAreEnforced() {
        assertThat(rejected(recording("p-1", "2026-01-01T00:00:00Z", 500, 17, 10))).containsExactly("leads");
        assertThat(rejected(recording("p-1", "2026-01-01T00:00:00Z", 500, 1, 60_001))).containsExactly("leads.I");
        assertThat(rejected(recording("p-1", "2026-01-01T00:00:00Z", 49, 1, 10))).containsExactly("samplingRateHz");
        assertThat(rejected(recording("p-1", "2026-01-01T00:00:00Z", 20_001, 1, 10))).containsExactly("samplingRateHz");
        assertThat(rejected(recording("p 1/../x", "2026-01-01T00:00:00Z", 500, 1, 10))).containsExactly("patientRef");
        assertThat(rejected("{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[1,2],\"II\":[1]}}")).containsExactly("leads.II");
        assertThat(rejected("{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"lead with spaces\":[1]}}")).containsExactly("leads.lead with spaces");
        assertThat(rejected("{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{}}")).containsExactly("leads");
        assertThat(rejected("{\"patientRef\":\"p\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[]}}")).containsExactly("leads.I");
        assertThat(rejected("{\"patientRef\":\"p\",\"recordedAt\":\"2999-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[1]}}")).containsExactly("recordedAt");
    }

    private java.util.List<String> rejected(String body) {
        Http.Response r = api.post("/v1/ecgs", newKey(), body);
        assertProblem(r, 400);
        return r.errorFields();
    }

    /** A valid recording within every other limit, padded with whitespace beyond 8 MiB. */
    private static String oversize() {
        return recording("p-1", "2026-01-01T00:00:00Z", 500, 16, 60_000).replace(",", ",        ");
    }

    @Test
    void oversizeBodyIsRejectedWith413AndNothingIsStored() {
        String big = oversize();
        assertThat(big.length()).isGreaterThan(8 * 1024 * 1024);

        assertProblem(api.post("/v1/ecgs", newKey(), big), 413);
    }

    @Test
    void oversizeChunkedBodyIsRejectedWith413WhileReading() {
        String big = oversize();
        HttpRequest.BodyPublisher chunked = new HttpRequest.BodyPublisher() { // contentLength -1: chunked
            private final HttpRequest.BodyPublisher inner = HttpRequest.BodyPublishers.ofString(big);

            @Override
            public long contentLength() {
                return -1;
            }

            @Override
            public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
                inner.subscribe(subscriber);
            }
        };

        assertProblem(api.postRaw("/v1/ecgs", newKey(), "application/json", chunked), 413);
    }

    @Test
    void missingIdempotencyKeyIs400() {
        Http.Response r = api.post("/v1/ecgs", null, recording("p-1"));
        assertProblem(r, 400);
        assertThat(r.errorFields()).containsExactly("Idempotency-Key");
        assertProblem(api.post("/v1/ecgs", "has spaces in it", recording("p-1")), 400);
    }

    @Test
    void unsupportedMediaTypeIs415() {
        assertProblem(api.postRaw("/v1/ecgs", newKey(), "text/plain", HttpRequest.BodyPublishers.ofString(recording("p-1"))), 415);
        assertProblem(api.postRaw("/v1/ecgs", newKey(), null, HttpRequest.BodyPublishers.ofString(recording("p-1"))), 415);
    }

    @Test
    void badUuidsAre400AndUnknownPathsAre404() {
        Http.Response r = api.get("/v1/ecgs/not-a-uuid");
        assertProblem(r, 400);
        assertThat(r.errorFields()).containsExactly("id");
        assertProblem(api.get("/v1/ecgs/not-a-uuid/annotations"), 400);
        assertProblem(api.get("/v1/nothing-here"), 404);
    }
}
