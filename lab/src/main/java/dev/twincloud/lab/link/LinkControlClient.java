package dev.twincloud.lab.link;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Client of {@link LinkControlServer} for the lab CLI. Methods return the server's JSON body;
 * a non-2xx answer becomes an {@link IOException} carrying that body.
 */
public final class LinkControlClient implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    public LinkControlClient(URI base) {
        this.base = base;
    }

    public String links() throws IOException, InterruptedException {
        return call("GET", "/links");
    }

    public String cut(String link) throws IOException, InterruptedException {
        return call("POST", "/links/" + enc(link) + "/cut");
    }

    public String heal(String link) throws IOException, InterruptedException {
        return call("POST", "/links/" + enc(link) + "/heal");
    }

    public String blackhole(String link) throws IOException, InterruptedException {
        return call("POST", "/links/" + enc(link) + "/blackhole");
    }

    public String partition(String a, String b, LinkState mode) throws IOException, InterruptedException {
        return call("POST", "/partition?a=" + enc(a) + "&b=" + enc(b) + "&mode=" + mode.name().toLowerCase());
    }

    public String isolate(String endpoint, LinkState mode) throws IOException, InterruptedException {
        return call("POST", "/isolate?endpoint=" + enc(endpoint) + "&mode=" + mode.name().toLowerCase());
    }

    /** Holds every byte between {@code a} and {@code b} for {@code ms} milliseconds; 0 clears the delay. */
    public String delay(String a, String b, long ms) throws IOException, InterruptedException {
        return call("POST", "/delay?a=" + enc(a) + "&b=" + enc(b) + "&ms=" + ms);
    }

    public String healAll() throws IOException, InterruptedException {
        return call("POST", "/heal-all");
    }

    private String call(String method, String pathAndQuery) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + pathAndQuery))
                .timeout(TIMEOUT)
                .method(method, HttpRequest.BodyPublishers.noBody())
                .build();
        HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IOException("link control " + method + " " + pathAndQuery + " -> " + r.statusCode() + " "
                    + r.body());
        }
        return r.body();
    }

    /** Percent-encodes a path segment or query value ({@code >} and {@code :} included). */
    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    public void close() {
        http.close();
    }
}
