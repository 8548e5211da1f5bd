package dev.twincloud.lab.supervisor;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.twincloud.lab.backup.LabBackups;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * The running lab's control surface on loopback, used by the {@code lab} CLI verbs from other
 * terminals: {@code POST /lab/kill|freeze|thaw|start?target=}, {@code /lab/kill-component|freeze-component|thaw-component?name=},
 * {@code /lab/partition?a=&b=}, {@code /lab/delay?a=&b=&ms=}, {@code /lab/latency?from=&to=&ms=}, {@code /lab/heal},
 * {@code /lab/rolling-restart} (the arbiter replicas, one at a time), {@code /lab/down}; {@code GET /lab/status},
 * {@code GET /lab/token}; and {@code GET /metrics}, the restore drills' metrics for the lab's Prometheus.
 */
public final class LabControlServer implements AutoCloseable {
    private final HttpServer server;
    private final Lab lab;
    private final CountDownLatch down = new CountDownLatch(1);

    private LabControlServer(Lab lab, HttpServer server) {
        this.lab = lab;
        this.server = server;
    }

    public static LabControlServer start(Lab lab) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", lab.layout().labControlPort()), 16);
        var c = new LabControlServer(lab, s);
        s.createContext("/lab/", c::handle);
        s.createContext("/metrics", ex -> c.metrics(ex));
        s.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        s.start();
        return c;
    }

    /**
     * {@code GET /metrics}, scraped by the lab's Prometheus when backups are on (job {@code lab-restore-drill},
     * {@link LabMonitoring}): what the last restore drills wrote ({@link #metricsText}).
     */
    private void metrics(HttpExchange ex) throws IOException {
        if (!ex.getRequestMethod().equals("GET")) {
            respond(ex, 405, Map.of("error", "use GET for /metrics"));
            return;
        }
        byte[] bytes = metricsText(lab.layout()).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(200, bytes.length == 0 ? -1 : bytes.length);
        try (var out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /**
     * The restore drills' metrics file ({@code lab restore-drill} and the drill's restore scenario write it, in
     * Prometheus's text format: docs/backups.md), served as it is; empty before the first drill.
     */
    public static String metricsText(LabLayout layout) throws IOException {
        Path f = LabBackups.restoreDrillMetrics(layout);
        try {
            return Files.readString(f);
        } catch (NoSuchFileException e) {
            return "";
        }
    }

    /** Blocks until {@code POST /lab/down}. */
    public void awaitDown() throws InterruptedException {
        down.await();
    }

    private void handle(HttpExchange ex) throws IOException {
        String verb = ex.getRequestURI().getPath().substring("/lab/".length());
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        boolean post = ex.getRequestMethod().equals("POST");
        try {
            Object result = switch (verb) {
                case "status" -> lab.status();
                case "token" -> Map.of("token", lab.secrets().devToken(Duration.ofHours(12)));
                case "kill" -> requirePost(post, () -> lab.kill(required(q, "target")));
                case "kill-component" -> requirePost(post, () -> {
                    lab.killComponent(required(q, "name"));
                    return Map.of("killed", q.get("name"));
                });
                case "freeze-component" -> requirePost(post, () -> lab.pauseComponent(required(q, "name"), true));
                case "thaw-component" -> requirePost(post, () -> lab.pauseComponent(required(q, "name"), false));
                case "freeze" -> requirePost(post, () -> lab.signal(required(q, "target"), true));
                case "thaw" -> requirePost(post, () -> lab.signal(required(q, "target"), false));
                case "start" -> requirePost(post, () -> lab.revive(required(q, "target")));
                case "rolling-restart" -> requirePost(post, lab::rollingRestartArbiter);
                case "partition" -> requirePost(post, () -> lab.partition(required(q, "a"), required(q, "b"))
                        .stream().map(l -> l.name() + "=" + l.state()).toList());
                case "delay" -> requirePost(post, () -> lab.delay(required(q, "a"), required(q, "b"), millis(required(q, "ms")))
                        .stream().map(l -> l.name() + "=" + l.state() + " delay " + l.delayMs() + " ms").toList());
                case "latency" -> requirePost(post, () -> lab.latency(required(q, "from"), required(q, "to"), millis(required(q, "ms")))
                        .stream().map(l -> l.name() + " latency " + l.from() + "->" + l.to() + " " + l.latencyForwardMs() + " ms, back "
                                + l.latencyBackwardMs() + " ms").toList());
                case "recover" -> requirePost(post, () -> lab.recover(required(q, "store"), q.getOrDefault("operator", "lab")));
                case "heal" -> requirePost(post, () -> lab.heal().stream().map(l -> l.name() + "=" + l.state()).toList());
                case "down" -> requirePost(post, () -> Map.of("stopping", true));
                default -> throw new NotFound("no lab verb '" + verb + "'");
            };
            respond(ex, 200, Map.of("result", result));
            if (verb.equals("down")) {
                down.countDown(); // only after the answer is out: stopping closes this server
            }
        } catch (NotFound | dev.twincloud.lab.link.UnknownLinkException e) {
            respond(ex, 404, Map.of("error", e.getMessage()));
        } catch (IllegalArgumentException | UnsupportedOperationException e) {
            respond(ex, 400, Map.of("error", e.getMessage()));
        } catch (IllegalStateException e) { // the lab is not in a state for it, e.g. no arbiter replica acts right now
            respond(ex, 409, Map.of("error", e.getMessage()));
        } catch (Exception e) {
            respond(ex, 500, Map.of("error", String.valueOf(e)));
        }
    }

    private interface Action {
        Object run() throws Exception;
    }

    private static Object requirePost(boolean post, Action a) throws Exception {
        if (!post) {
            throw new UnsupportedOperationException("use POST for this verb");
        }
        return a.run();
    }

    private static final class NotFound extends RuntimeException {
        NotFound(String m) {
            super(m);
        }
    }

    private static Duration millis(String v) {
        long ms;
        try {
            ms = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ms must be a whole number of milliseconds, got '" + v + "'");
        }
        if (ms < 0 || ms > 600_000) {
            throw new IllegalArgumentException("ms must be between 0 and 600000, got " + ms);
        }
        return Duration.ofMillis(ms);
    }

    private static String required(Map<String, String> q, String key) {
        String v = q.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("missing query parameter '" + key + "'");
        }
        return v;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> m = new HashMap<>();
        if (raw != null) {
            for (String kv : raw.split("&")) {
                int i = kv.indexOf('=');
                if (i > 0) {
                    m.put(URLDecoder.decode(kv.substring(0, i), StandardCharsets.UTF_8),
                            URLDecoder.decode(kv.substring(i + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return m;
    }

    private static void respond(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (var out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
