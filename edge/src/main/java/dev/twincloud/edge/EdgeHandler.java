package dev.twincloud.edge;

import dev.twincloud.core.log.LogSafe;
import dev.twincloud.core.log.RequestId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.stream.Collectors;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Front handler of the edge: serves the admin endpoints under {@value #ADMIN_PREFIX}, answers 503
 * when no site is healthy, and otherwise tags the response with the serving site and hands the
 * request to {@link SiteProxy}. Every request but the admin ones gets its {@link RequestId}: the client's when
 * acceptable, else a new one; it goes to the site, back to the client, into the edge's own problem bodies and into
 * one access line per request (method, path without query and with patient references hashed, site, status, time).
 */
final class EdgeHandler extends Handler.Wrapper {

    private static final Logger log = LoggerFactory.getLogger(EdgeHandler.class);
    static final String REQUEST_ID_ATTRIBUTE = EdgeHandler.class.getName() + ".requestId";

    static final String ADMIN_PREFIX = "/_edge/";
    static final String SITE_HEADER = "X-Twincloud-Site";
    /**
     * On every answer the edge makes itself rather than a site: {@code no-healthy-backend} (503),
     * {@code bad-gateway} (502), {@code gateway-timeout} (504). A 503 without it is the site's own.
     */
    public static final String EDGE_HEADER = "Twincloud-Edge";
    /** Problem type of the edge's own 503. */
    public static final String NO_BACKEND_TYPE = "https://twincloud.dev/problems/edge-no-healthy-backend";

    private final BackendPool pool;
    private final EdgeMetrics metrics;

    EdgeHandler(BackendPool pool, EdgeMetrics metrics, SiteProxy proxy) {
        super(proxy);
        this.pool = pool;
        this.metrics = metrics;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        if (path != null && path.startsWith(ADMIN_PREFIX)) {
            return admin(path.substring(ADMIN_PREFIX.length()), request, response, callback);
        }
        String requestId = RequestId.acceptOrCreate(request.getHeaders().get(RequestId.HEADER));
        request.setAttribute(REQUEST_ID_ATTRIBUTE, requestId);
        // Set before proxying: Jetty's proxy adds the backend's headers to these (SiteProxy drops the site's copy of this one).
        response.getHeaders().put(RequestId.HEADER, requestId);
        Optional<Backend> backend = pool.route();
        Callback logged = new AccessLogged(callback, request, response, requestId,
                backend.map(Backend::name).orElse("-"), System.nanoTime());
        if (backend.isEmpty()) {
            metrics.noBackend();
            response.setStatus(HttpStatus.SERVICE_UNAVAILABLE_503);
            // Clients (and the lab's drills) retry after a second: about two health-check intervals.
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            response.getHeaders().put(EDGE_HEADER, "no-healthy-backend");
            send(response, logged, "application/problem+json", """
                    {"type":"%s","title":"No healthy backend","status":503,\
                    "detail":"No site currently passes its health check; retry shortly.","%s":%s}"""
                    .formatted(NO_BACKEND_TYPE, RequestId.PROBLEM_MEMBER, Json.quote(requestId)));
            return true;
        }
        Backend b = backend.get();
        metrics.request(b.name());
        request.setAttribute(SiteProxy.BACKEND_ATTRIBUTE, b);
        response.getHeaders().put(SITE_HEADER, b.name());
        return super.handle(request, response, logged);
    }

    /** Writes the access line once the response is complete (or failed), with the request id in the MDC. */
    private static final class AccessLogged implements Callback {
        private final Callback delegate;
        private final Request request;
        private final Response response;
        private final String requestId;
        private final String site;
        private final long started;

        AccessLogged(Callback delegate, Request request, Response response, String requestId, String site, long started) {
            this.delegate = delegate;
            this.request = request;
            this.response = response;
            this.requestId = requestId;
            this.site = site;
            this.started = started;
        }

        @Override
        public void succeeded() {
            access(null);
            delegate.succeeded();
        }

        @Override
        public void failed(Throwable x) {
            access(x);
            delegate.failed(x);
        }

        @Override
        public InvocationType getInvocationType() {
            return delegate.getInvocationType();
        }

        private void access(Throwable failure) {
            if (!log.isInfoEnabled()) {
                return;
            }
            try (MDC.MDCCloseable id = MDC.putCloseable(RequestId.LOG_FIELD, requestId)) {
                log.info("{} {} -> {} {} in {} ms{}", request.getMethod(), LogSafe.path(request.getHttpURI().getPath()), site,
                        response.getStatus(), (System.nanoTime() - started) / 1_000_000,
                        failure == null ? "" : " (failed: " + failure.getClass().getSimpleName() + ")");
            }
        }
    }

    private boolean admin(String what, Request request, Response response, Callback callback) {
        if (!"GET".equals(request.getMethod()) && !"HEAD".equals(request.getMethod())) {
            response.setStatus(HttpStatus.METHOD_NOT_ALLOWED_405);
            response.getHeaders().put(HttpHeader.ALLOW, "GET, HEAD");
            send(response, callback, "application/problem+json",
                    "{\"title\":\"Method not allowed\",\"status\":405}");
            return true;
        }
        switch (what) {
            case "status" -> send(response, callback, "application/json", statusJson());
            case "metrics" -> send(response, callback, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.prometheus());
            default -> {
                response.setStatus(HttpStatus.NOT_FOUND_404);
                send(response, callback, "application/problem+json",
                        "{\"title\":\"Not found\",\"status\":404,\"detail\":"
                                + Json.quote("admin endpoints: /_edge/status, /_edge/metrics") + "}");
            }
        }
        return true;
    }

    String statusJson() {
        String backends = pool.status().stream().map(s -> "{\"name\":" + Json.quote(s.backend().name())
                        + ",\"url\":" + Json.quote(s.backend().url().toString())
                        + ",\"healthy\":" + s.healthy()
                        + ",\"consecutiveOk\":" + s.consecutiveOk()
                        + ",\"consecutiveFail\":" + s.consecutiveFail()
                        + ",\"lastChange\":" + Json.quote(s.lastChange().toString()) + "}")
                .collect(Collectors.joining(","));
        String active = pool.active().map(b -> Json.quote(b.name())).orElse("null");
        String home = pool.home().map(b -> Json.quote(b.name())).orElse("null");
        return "{\"backends\":[" + backends + "],\"active\":" + active + ",\"home\":" + home
                + ",\"time\":" + Json.quote(Instant.now().toString()) + "}";
    }

    private static void send(Response response, Callback callback, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
        response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
        response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
        response.write(true, ByteBuffer.wrap(bytes), callback);
    }
}
