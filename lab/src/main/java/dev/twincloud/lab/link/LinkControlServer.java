package dev.twincloud.lab.link;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * HTTP control surface of the links, on loopback only, so a separate CLI process can drive the
 * links of a running lab. All answers are JSON.
 *
 * <pre>
 * GET  /links                          {"links":[...]}
 * GET  /links/{name}                   one link
 * POST /links/{name}/cut|heal|blackhole
 * POST /partition?a=gcp&amp;b=arbiter[&amp;mode=cut|blackhole]   every link between a and b
 * POST /isolate?endpoint=gcp[&amp;mode=cut|blackhole]         every link touching gcp
 * POST /delay?a=gcp&amp;b=arbiter&amp;ms=800                      hold every byte between a and b 800 ms (0 clears)
 * POST /latency?from=gcp&amp;to=aws&amp;ms=10                  steady one-way latency gcp to aws (0 clears; heal keeps it)
 * POST /heal-all                                                 every link UP, no delay (latencies stay)
 * </pre>
 *
 * Link names contain {@code >}, which must be percent-encoded in a URL ({@code gcp-%3Earbiter});
 * {@link LinkControlClient} does that.
 */
public final class LinkControlServer implements AutoCloseable {

    private final Links links;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

    private LinkControlServer(Links links, int port) throws IOException {
        this.links = links;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts serving on 127.0.0.1:{@code port} (0 = a free port). */
    public static LinkControlServer start(Links links, int port) throws IOException {
        return new LinkControlServer(links, port);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public URI uri() {
        return URI.create("http://127.0.0.1:" + port());
    }

    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            ex.getRequestBody().readAllBytes();
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath(); // decoded: %3E is '>' again
            Map<String, String> query = query(ex.getRequestURI().getRawQuery());
            try {
                route(ex, method, path, query);
            } catch (UnknownLinkException e) {
                send(ex, 404, Json.error(404, e.getMessage()));
            } catch (IllegalArgumentException e) {
                send(ex, 400, Json.error(400, e.getMessage()));
            } catch (RuntimeException e) {
                send(ex, 500, Json.error(500, e.toString()));
            }
        }
    }

    private void route(HttpExchange ex, String method, String path, Map<String, String> q) throws IOException {
        if (path.equals("/links")) {
            if (requireMethod(ex, method, "GET")) {
                send(ex, 200, Json.links(links.status()));
            }
            return;
        }
        if (path.startsWith("/links/")) {
            String rest = path.substring("/links/".length());
            int slash = rest.lastIndexOf('/');
            String action = slash < 0 ? "" : rest.substring(slash + 1);
            switch (action) {
                case "cut", "heal", "blackhole" -> {
                    if (!requireMethod(ex, method, "POST")) {
                        return;
                    }
                    String name = rest.substring(0, slash);
                    LinkStatus s = switch (action) {
                        case "cut" -> links.cut(name);
                        case "heal" -> links.heal(name);
                        default -> links.blackhole(name);
                    };
                    send(ex, 200, s.toJson());
                }
                default -> {
                    if (requireMethod(ex, method, "GET")) {
                        send(ex, 200, links.get(rest).status().toJson());
                    }
                }
            }
            return;
        }
        switch (path) {
            case "/partition" -> {
                if (requireMethod(ex, method, "POST")) {
                    send(ex, 200, Json.links(links.partition(required(q, "a"), required(q, "b"), mode(q))));
                }
            }
            case "/isolate" -> {
                if (requireMethod(ex, method, "POST")) {
                    send(ex, 200, Json.links(links.isolate(required(q, "endpoint"), mode(q))));
                }
            }
            case "/delay" -> {
                if (requireMethod(ex, method, "POST")) {
                    send(ex, 200, Json.links(links.delay(required(q, "a"), required(q, "b"), java.time.Duration.ofMillis(millis(q)))));
                }
            }
            case "/latency" -> {
                if (requireMethod(ex, method, "POST")) {
                    send(ex, 200, Json.links(links.latency(required(q, "from"), required(q, "to"),
                            java.time.Duration.ofMillis(millis(q)))));
                }
            }
            case "/heal-all" -> {
                if (requireMethod(ex, method, "POST")) {
                    send(ex, 200, Json.links(links.healAll()));
                }
            }
            default -> send(ex, 404, Json.error(404, "no such endpoint: " + path));
        }
    }

    private static LinkState mode(Map<String, String> q) {
        String m = q.getOrDefault("mode", "cut").toLowerCase(Locale.ROOT);
        return switch (m) {
            case "cut" -> LinkState.CUT;
            case "blackhole" -> LinkState.BLACKHOLE;
            default -> throw new IllegalArgumentException("mode must be cut or blackhole, got: " + m);
        };
    }

    private static long millis(Map<String, String> q) {
        String v = required(q, "ms");
        long ms;
        try {
            ms = Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("ms must be a whole number of milliseconds, got: " + v);
        }
        if (ms < 0 || ms > 600_000) {
            throw new IllegalArgumentException("ms must be between 0 and 600000, got: " + ms);
        }
        return ms;
    }

    private static String required(Map<String, String> q, String key) {
        String v = q.get(key);
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("query parameter '" + key + "' is required");
        }
        return v;
    }

    private static boolean requireMethod(HttpExchange ex, String method, String allowed) throws IOException {
        if (method.equals(allowed)) {
            return true;
        }
        ex.getResponseHeaders().add("Allow", allowed);
        send(ex, 405, Json.error(405, "use " + allowed));
        return false;
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            out.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void send(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }
}
