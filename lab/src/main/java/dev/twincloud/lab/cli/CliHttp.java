package dev.twincloud.lab.cli;

import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The CLI's HTTP calls, on {@link HttpURLConnection}: unlike {@code java.net.http.HttpClient}, it sets
 * up no TLS context for a plain {@code http://} call, which is most of what a short-lived CLI process
 * would spend starting one (measured in docs/adr/0004). {@code https://} works as well.
 */
final class CliHttp {
    static final int CONNECT_TIMEOUT_MS = 2_000;
    static final int READ_TIMEOUT_MS = 10_000;

    private CliHttp() {
    }

    static Http.Response get(String url, String token) throws IOException {
        return send("GET", url, token, null, Map.of());
    }

    static Http.Response post(String url, String token, String jsonBody) throws IOException {
        return post(url, token, jsonBody, READ_TIMEOUT_MS);
    }

    /** A POST whose answer may take up to {@code readTimeoutMs} (a verb that waits, e.g. a rolling restart). */
    static Http.Response post(String url, String token, String jsonBody, int readTimeoutMs) throws IOException {
        return send("POST", url, token, jsonBody == null ? "" : jsonBody, Map.of("Content-Type", "application/json"), readTimeoutMs);
    }

    private static Http.Response send(String method, String url, String token, String body, Map<String, String> headers)
            throws IOException {
        return send(method, url, token, body, headers, READ_TIMEOUT_MS);
    }

    private static Http.Response send(String method, String url, String token, String body, Map<String, String> headers,
                                      int readTimeoutMs) throws IOException {
        HttpURLConnection c;
        try {
            c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        } catch (IllegalArgumentException e) {
            throw new IOException("not a URL: " + url, e);
        }
        try {
            c.setRequestMethod(method);
            c.setConnectTimeout(CONNECT_TIMEOUT_MS);
            c.setReadTimeout(readTimeoutMs);
            c.setRequestProperty("Accept", "application/json");
            if (token != null) {
                c.setRequestProperty("Authorization", "Bearer " + token);
            }
            headers.forEach(c::setRequestProperty);
            if (body != null) {
                c.setDoOutput(true);
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                c.setFixedLengthStreamingMode(bytes.length);
                try (OutputStream out = c.getOutputStream()) {
                    out.write(bytes);
                }
            }
            int status = c.getResponseCode();
            InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream();
            String text = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
            if (in != null) {
                in.close();
            }
            return new Http.Response(status, text);
        } finally {
            c.disconnect();
        }
    }
}
