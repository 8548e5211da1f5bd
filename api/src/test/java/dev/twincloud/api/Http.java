package dev.twincloud.api;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A small real HTTP client for the API under test (JDK HttpClient, HTTP/1.1). */
public final class Http {

    public static final JsonMapper JSON = JsonMapper.shared();
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final String base;
    private final String token;
    private final String requestId;

    public Http(int port, String token) {
        this("http://127.0.0.1:" + port, token, null);
    }

    private Http(String base, String token, String requestId) {
        this.base = base;
        this.token = token;
        this.requestId = requestId;
    }

    public Http withToken(String other) {
        return new Http(base, other, requestId);
    }

    /** Sends this {@code X-Request-Id} with every request (as the edge does). */
    public Http withRequestId(String id) {
        return new Http(base, token, id);
    }

    public record Response(int status, java.net.http.HttpHeaders headers, String body) {
        public JsonNode json() {
            return JSON.readTree(body);
        }

        /**
         * The JSON body without member {@code lsn}: what a replay of a write repeats exactly (each answer
         * states the WAL position of its own commit, docs/api.md "Read-your-writes").
         */
        public JsonNode storedJson() {
            JsonNode node = json();
            if (node instanceof tools.jackson.databind.node.ObjectNode object) {
                object.remove("lsn");
            }
            return node;
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String contentType() {
            return header("Content-Type");
        }

        /** The {@code field}s of a problem's {@code errors} list. */
        public List<String> errorFields() {
            List<String> fields = new ArrayList<>();
            json().path("errors").forEach(e -> fields.add(e.path("field").asString()));
            return fields;
        }
    }

    public Response get(String path) {
        return send(request(path).GET());
    }

    public Response post(String path, String idempotencyKey, String json) {
        return postRaw(path, idempotencyKey, "application/json", HttpRequest.BodyPublishers.ofString(json));
    }

    public Response postRaw(String path, String idempotencyKey, String contentType, HttpRequest.BodyPublisher body) {
        HttpRequest.Builder b = request(path).POST(body);
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return send(b);
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return b;
    }

    private static Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
