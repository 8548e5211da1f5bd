package dev.twincloud.lab.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

/** A client of the ECG API, through the edge or straight at one site. */
final class LabClient {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    private final String base;
    private final String token;

    LabClient(String base, String token) {
        this.base = base;
        this.token = token;
    }

    /**
     * One write attempt: status (0 = no answer), the site that answered, the id when created, and the request id it
     * was sent with (X-Request-Id: what {@code lab logs --request} finds it by).
     */
    record Write(int status, String site, String id, long sentNanos, long ackNanos, String requestId) {
        boolean ok() {
            return status == 201 || status == 200;
        }
    }

    Write write(String patient) {
        return write(patient, UUID.randomUUID().toString());
    }

    Write write(String patient, String idempotencyKey) {
        String body = """
                {"patientRef":"%s","recordedAt":"2026-11-28T10:00:00Z","samplingRateHz":500,
                 "leads":{"I":[1,2,3,4,5,6,7,8],"II":[8,7,6,5,4,3,2,1]}}""".formatted(patient);
        long t0 = System.nanoTime();
        String requestId = "w-" + UUID.randomUUID();
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/ecgs"))
                    .timeout(Duration.ofSeconds(3))
                    .header("X-Request-Id", requestId)
                    .header("Authorization", "Bearer " + token)
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", idempotencyKey)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            String id = null;
            if (r.statusCode() == 201 || r.statusCode() == 200) {
                id = r.headers().firstValue("Location").map(l -> l.substring(l.lastIndexOf('/') + 1)).orElse(null);
            }
            return new Write(r.statusCode(), r.headers().firstValue("X-Twincloud-Site").orElse(""), id, t0, System.nanoTime(), requestId);
        } catch (IOException e) {
            return new Write(0, "", null, t0, System.nanoTime(), requestId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Write(0, "", null, t0, System.nanoTime(), requestId);
        }
    }
}
