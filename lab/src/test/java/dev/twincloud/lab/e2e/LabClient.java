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
     * was sent with (X-Request-Id: what {@code lab logs --request} finds it by); read-local: the answer's
     * {@code Twincloud-Lsn} and {@code Twincloud-Forwarded-By} (the site whose API forwarded it to the writer's), empty when absent.
     */
    record Write(int status, String site, String id, long sentNanos, long ackNanos, String requestId, String lsn, String forwardedBy) {
        Write(int status, String site, String id, long sentNanos, long ackNanos, String requestId) {
            this(status, site, id, sentNanos, ackNanos, requestId, "", "");
        }

        boolean ok() {
            return status == 201 || status == 200;
        }
    }

    /**
     * One read ({@code GET /v1/ecgs/{id}}): status (0 = no answer), {@code Twincloud-Site}, {@code Twincloud-Role},
     * {@code Twincloud-Staleness-Ms} (-1 absent), {@code Twincloud-Lsn}, {@code Twincloud-Forwarded-By}, the
     * {@code twincloud-lsn} cookie it set (empty when absent or none), {@code Twincloud-Read-Basis} (a standby's).
     */
    record Read(int status, String site, String role, long stalenessMs, String lsn, String forwardedBy, String cookieLsn,
                String basis) {
        boolean ok() {
            return status == 200;
        }

        boolean forwarded() {
            return !forwardedBy.isEmpty();
        }
    }

    /** Reads recording {@code id}, sending {@code minLsn} as {@code Twincloud-Min-Lsn} unless null. */
    Read read(String id, String minLsn) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/v1/ecgs/" + id)).timeout(Duration.ofSeconds(5))
                .header("X-Request-Id", "r-" + UUID.randomUUID()).header("Authorization", "Bearer " + token).GET();
        if (minLsn != null) {
            b.header("Twincloud-Min-Lsn", minLsn);
        }
        try {
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            String cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("twincloud-lsn="))
                    .map(c -> c.substring("twincloud-lsn=".length()).split(";", 2)[0]).findFirst().orElse("");
            return new Read(r.statusCode(), header(r, "Twincloud-Site"), header(r, "Twincloud-Role"),
                    r.headers().firstValue("Twincloud-Staleness-Ms").map(v -> Long.parseLong(v.trim())).orElse(-1L),
                    header(r, "Twincloud-Lsn"), header(r, "Twincloud-Forwarded-By"), cookie, header(r, "Twincloud-Read-Basis"));
        } catch (IOException e) {
            return new Read(0, "", "", -1, "", "", "", "");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Read(0, "", "", -1, "", "", "", "");
        }
    }

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).map(String::trim).orElse("");
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
            return new Write(r.statusCode(), r.headers().firstValue("X-Twincloud-Site").orElse(""), id, t0, System.nanoTime(), requestId,
                    header(r, "Twincloud-Lsn"), header(r, "Twincloud-Forwarded-By"));
        } catch (IOException e) {
            return new Write(0, "", null, t0, System.nanoTime(), requestId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Write(0, "", null, t0, System.nanoTime(), requestId);
        }
    }
}
