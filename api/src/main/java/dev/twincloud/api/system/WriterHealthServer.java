package dev.twincloud.api.system;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The writer health on a port of its own ({@code twincloud.api.health.port}; off when negative, the
 * default): what the edge / global load balancer probes. A tiny JDK HTTP server with two platform
 * threads of its own — not Tomcat's, not the virtual-thread scheduler the requests share, not Spring
 * MVC, not security filters, not the request pool — answering {@code GET|HEAD} {@value #PATH} from
 * {@link WriterHealth}'s cached state, so request load can neither delay nor flap it (issue 11).
 *
 * <p>Chosen over Spring Boot's separate management port because that one is a second Tomcat whose
 * requests still run on the shared virtual-thread carriers and through the actuator's health machinery,
 * and would move every actuator endpoint (Prometheus, readiness) to the other port too; this listener
 * is one class and moves nothing else.
 *
 * <p>Answers: {@code 200} with {@code Twincloud-Writer: writer}; {@code 503} with
 * {@code Twincloud-Writer: not-writer} (definitive: the database answered that it is a standby or
 * has no valid lease) or {@code unknown} (no fresh answer from the database). The body is JSON:
 * {@code {"status":"UP"|"DOWN","verdict","role","lease","reason","ageMs","leaseLeftMs"}}.
 *
 * <p>The same listener answers {@code GET|HEAD} {@value ReaderHealth#PATH} from {@link ReaderHealth}
 * (200 UP while this site can serve reads itself, else 503 DOWN), with header
 * {@code Twincloud-Reader: writer|standby|not-reader} and body {@code {"status","role","reason","stalenessMs","ageMs"}}.
 */
@Component
public class WriterHealthServer implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(WriterHealthServer.class);

    public static final String PATH = "/actuator/health/writer";
    public static final String VERDICT_HEADER = "Twincloud-Writer";
    public static final String READER_HEADER = "Twincloud-Reader";

    private final WriterHealth health;
    private final ReaderHealth reader;
    private final String address;
    private final int configuredPort;
    private final JsonMapper json = JsonMapper.shared();
    private HttpServer server;
    private ExecutorService threads;

    WriterHealthServer(WriterHealth health, ReaderHealth reader,
                       @Value("${twincloud.api.health.address:${server.address:0.0.0.0}}") String address,
                       @Value("${twincloud.api.health.port:-1}") int port) {
        if (port > 65535) {
            throw new IllegalArgumentException("twincloud.api.health.port must be -1 (off), 0 (any) or 1..65535, got " + port);
        }
        this.health = health;
        this.reader = reader;
        this.address = address;
        this.configuredPort = port;
    }

    @Override
    public synchronized void start() {
        if (configuredPort < 0 || server != null) {
            return;
        }
        try {
            server = HttpServer.create(new InetSocketAddress(address, configuredPort), 64);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen for the writer health on " + address + ":" + configuredPort
                    + " (twincloud.api.health.port): " + e.getMessage(), e);
        }
        threads = Executors.newFixedThreadPool(2, Thread.ofPlatform().name("writer-health-http-", 0).daemon().factory());
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
        log.info("writer health listening on http://{}:{}{}", address, port(), PATH);
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            if (!PATH.equals(path) && !ReaderHealth.PATH.equals(path)) {
                send(exchange, 404, null, Map.of("title", "Not found", "status", 404,
                        "detail", "this port serves " + PATH + " and " + ReaderHealth.PATH));
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, null, Map.of("title", "Method not allowed", "status", 405));
                return;
            }
            if (ReaderHealth.PATH.equals(path)) {
                ReaderHealth.Answer r = reader.answer();
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("status", r.up() ? "UP" : "DOWN");
                body.put("role", r.role());
                body.put("reason", r.reason());
                body.put("stalenessMs", r.stalenessMs());
                body.put("ageMs", r.ageMs());
                exchange.getResponseHeaders().set(READER_HEADER, r.up() ? r.role() : "not-reader");
                send(exchange, r.up() ? 200 : 503, null, body);
                return;
            }
            WriterHealth.Answer a = health.answer();
            if (!a.up()) {
                health.probedNotWriter();
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", a.up() ? "UP" : "DOWN");
            body.put("verdict", a.verdict().header());
            body.put("role", a.role());
            body.put("lease", a.lease());
            body.put("reason", a.reason());
            body.put("ageMs", a.ageMs());
            body.put("leaseLeftMs", a.leaseLeftMs());
            send(exchange, a.up() ? 200 : 503, a.verdict().header(), body);
        }
    }

    private void send(HttpExchange exchange, int status, String verdict, Map<String, Object> body) throws IOException {
        byte[] bytes = json.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        var headers = exchange.getResponseHeaders();
        headers.set("Content-Type", status < 400 || verdict != null || headers.containsKey(READER_HEADER) ? "application/json" : "application/problem+json");
        headers.set("Cache-Control", "no-store");
        if (verdict != null) {
            headers.set(VERDICT_HEADER, verdict);
        }
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    /** The bound port, or -1 when the listener is off. */
    public synchronized int port() {
        return server == null ? -1 : server.getAddress().getPort();
    }

    @Override
    public synchronized void stop() {
        if (server != null) {
            server.stop(0);
            server = null;
            threads.shutdownNow();
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Starts after {@link WriterHealth} (it answers from its state), stops before it. */
    @Override
    public int getPhase() {
        return Integer.MIN_VALUE + 2000;
    }
}
