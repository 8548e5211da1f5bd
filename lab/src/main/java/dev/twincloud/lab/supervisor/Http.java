package dev.twincloud.lab.supervisor;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The few HTTP calls the lab makes to its components. */
public final class Http {
    public static final JsonMapper JSON = JsonMapper.builder().build();

    /** Made on first use: a client sets up TLS, which the CLI's verbs (reading {@link #JSON} only) should not pay for. */
    private static final class Client {
        static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    private Http() {
    }

    public record Response(int status, String body) {
        public JsonNode json() {
            return JSON.readTree(body);
        }

        /** The body read into {@code type} (a record of the arbiter's contract, e.g. {@code ArbiterStatus}). */
        public <T> T as(Class<T> type) {
            return JSON.readValue(body, type);
        }
    }

    public static Response get(String url, String token) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), token);
    }

    /** As {@link #get(String, String)}, with an answer within {@code timeout} (a probe of a component that may be frozen). */
    public static Response get(String url, String token, Duration timeout) throws IOException {
        return send(HttpRequest.newBuilder(URI.create(url)).GET(), token, timeout);
    }

    /** A POST answered within {@code timeout}. */
    public static Response post(String url, String token, String jsonBody, java.util.Map<String, String> headers, Duration timeout)
            throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody == null ? "" : jsonBody));
        headers.forEach(b::header);
        return send(b, token, timeout);
    }

    public static Response post(String url, String token, String jsonBody) throws IOException {
        return post(url, token, jsonBody, java.util.Map.of());
    }

    public static Response post(String url, String token, String jsonBody, java.util.Map<String, String> headers) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(jsonBody == null ? "" : jsonBody));
        headers.forEach(b::header);
        return send(b, token);
    }

    private static Response send(HttpRequest.Builder b, String token) throws IOException {
        return send(b, token, Duration.ofSeconds(10));
    }

    private static Response send(HttpRequest.Builder b, String token, Duration timeout) throws IOException {
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            HttpResponse<String> r = Client.CLIENT.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /** Polls {@code url} until {@code ok} accepts the response, or fails after {@code timeout}. */
    public static Response await(String what, String url, String token, Duration timeout, Predicate<Response> ok) {
        Instant deadline = Instant.now().plus(timeout);
        String last = "no answer";
        while (Instant.now().isBefore(deadline)) {
            Response r;
            try {
                r = get(url, token);
            } catch (IOException e) {
                r = new Response(0, e.toString());
            }
            if (ok.test(r)) { // may throw: the caller gives up at once
                return r;
            }
            last = r.status() + " " + r.body();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("timed out after " + timeout.toSeconds() + " s waiting for " + what
                + " (" + url + "); last answer: " + abbreviate(last));
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
