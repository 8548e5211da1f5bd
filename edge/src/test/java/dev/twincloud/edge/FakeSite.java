package dev.twincloud.edge;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A tiny real HTTP backend whose writer-health the test flips. */
final class FakeSite implements AutoCloseable {

    final String name;
    final AtomicBoolean healthy = new AtomicBoolean(false);
    /** What {@code /actuator/health/reader} answers (read-local: can the site serve reads itself). */
    final AtomicBoolean readerHealthy = new AtomicBoolean(false);
    /** When set, the health endpoint answers only after this many ms (to provoke probe timeouts). */
    final AtomicInteger healthDelayMs = new AtomicInteger(0);
    final AtomicInteger appRequests = new AtomicInteger();
    /**
     * What a DOWN health answer says in {@code Twincloud-Writer}: {@code not-writer} (definitive),
     * {@code unknown}, or null for no header (like Spring's actuator path).
     */
    final java.util.concurrent.atomic.AtomicReference<String> downVerdict = new java.util.concurrent.atomic.AtomicReference<>();
    private final HttpServer server;
    private final HttpServer healthServer;

    FakeSite(String name) throws IOException {
        this(name, false);
    }

    /** With {@code ownHealthPort}, health is served on a second port, like the API's health listener. */
    FakeSite(String name, boolean ownHealthPort) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        if (ownHealthPort) {
            healthServer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            healthServer.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            healthServer.createContext("/actuator/health/writer", this::health);
            healthServer.createContext("/actuator/health/reader", this::readerHealth);
            healthServer.start();
            server.createContext("/actuator/health/writer", ex -> {
                ex.sendResponseHeaders(500, -1); // not here: the probe must go to the health port
                ex.close();
            });
        } else {
            healthServer = null;
            server.createContext("/actuator/health/writer", this::health);
            server.createContext("/actuator/health/reader", this::readerHealth);
        }
        server.createContext("/", this::echo);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    int healthPort() {
        return healthServer.getAddress().getPort();
    }

    private void health(HttpExchange ex) throws IOException {
        int delay = healthDelayMs.get();
        if (delay > 0) {
            sleep(delay);
        }
        boolean up = healthy.get();
        byte[] body = ("{\"status\":\"" + (up ? "UP" : "DOWN") + "\"}").getBytes();
        String verdict = up ? "writer" : downVerdict.get();
        if (verdict != null) {
            ex.getResponseHeaders().add("Twincloud-Writer", verdict);
        }
        ex.sendResponseHeaders(up ? 200 : 503, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    private void readerHealth(HttpExchange ex) throws IOException {
        boolean up = readerHealthy.get();
        byte[] body = ("{\"status\":\"" + (up ? "UP" : "DOWN") + "\"}").getBytes();
        ex.sendResponseHeaders(up ? 200 : 503, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    /**
     * Echoes the body; reports what it saw in headers. {@code /slow?ms=N} waits first; {@code /own503}
     * answers the site's own 503; {@code /hangup} closes the connection without an answer.
     */
    private void echo(HttpExchange ex) throws IOException {
        appRequests.incrementAndGet();
        if (ex.getRequestURI().getPath().equals("/own503")) {
            ex.getResponseHeaders().add("Retry-After", "1");
            ex.sendResponseHeaders(503, -1);
            ex.close();
            return;
        }
        if (ex.getRequestURI().getPath().equals("/hangup")) {
            throw new IOException("hang up"); // the JDK server closes the connection without an answer
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readAllBytes();
        }
        URI uri = ex.getRequestURI();
        if (uri.getPath().equals("/slow") && uri.getQuery() != null && uri.getQuery().startsWith("ms=")) {
            sleep(Integer.parseInt(uri.getQuery().substring(3)));
        }
        var h = ex.getResponseHeaders();
        h.add("X-Backend", name);
        h.add("X-Seen-Method", ex.getRequestMethod());
        h.add("X-Seen-Path", uri.getRawPath());
        h.add("X-Seen-Query", String.valueOf(uri.getRawQuery()));
        h.add("X-Seen-Authorization", String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
        h.add("X-Seen-Custom", String.valueOf(ex.getRequestHeaders().getFirst("X-Custom")));
        h.add("X-Seen-Request-Id", String.valueOf(ex.getRequestHeaders().getFirst("X-Request-Id")));
        h.add("X-Seen-Request-Id-Count", String.valueOf(ex.getRequestHeaders().getOrDefault("X-Request-Id", java.util.List.of()).size()));
        // as the API does: the id it served the request under goes back to the caller
        if (ex.getRequestHeaders().getFirst("X-Request-Id") != null) {
            h.add("X-Request-Id", ex.getRequestHeaders().getFirst("X-Request-Id"));
        }
        h.add("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(201, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            ex.getResponseBody().write(body);
        }
        ex.close();
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        if (healthServer != null) {
            healthServer.stop(0);
        }
    }
}
