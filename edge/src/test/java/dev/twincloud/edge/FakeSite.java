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
    /** When set, the health endpoint answers only after this many ms (to provoke probe timeouts). */
    final AtomicInteger healthDelayMs = new AtomicInteger(0);
    final AtomicInteger appRequests = new AtomicInteger();
    private final HttpServer server;

    FakeSite(String name) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/actuator/health/writer", this::health);
        server.createContext("/", this::echo);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void health(HttpExchange ex) throws IOException {
        int delay = healthDelayMs.get();
        if (delay > 0) {
            sleep(delay);
        }
        boolean up = healthy.get();
        byte[] body = ("{\"status\":\"" + (up ? "UP" : "DOWN") + "\"}").getBytes();
        ex.sendResponseHeaders(up ? 200 : 503, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }

    /** Echoes the body; reports what it saw in headers. {@code /slow?ms=N} waits first. */
    private void echo(HttpExchange ex) throws IOException {
        appRequests.incrementAndGet();
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
    }
}
