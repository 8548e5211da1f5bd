package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import dev.twincloud.core.log.RequestId;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.util.ContentCachingRequestWrapper;
import org.springframework.web.util.WebUtils;

/**
 * Write forwarding and read forwarding to the other site's API ({@code twincloud.api.forward.peer-url};
 * empty = off): a POST this site's database refuses (25006 read-only standby, TCL01 no lease) and a read
 * the fence refuses ({@link ApiProblem#unavailableHere}) are sent to the peer, with the caller's
 * {@code Authorization}, {@code Idempotency-Key}, request id, minimum LSN, body and content type, plus
 * {@value #FORWARDED_BY}{@code : <this site>}. The peer's answer is relayed as is, with
 * {@value #FORWARDED_BY}{@code : <this site>} added.
 *
 * <p>Safety (docs/adr/0016-read-local-active-active.md): only requests that already passed this API's
 * authentication and authorization get here (the peer verifies the token again); a request that
 * carries {@value #FORWARDED_BY} is never forwarded again (no loops); nothing is retried here — a
 * forwarded write is exactly-once through its Idempotency-Key, on the client's retry. A peer that does
 * not answer within {@code twincloud.api.forward.timeout} is a 503 {@code forward-unavailable}.
 */
@Component
public class Forwarding {

    public static final String FORWARDED_BY = "Twincloud-Forwarded-By";
    private static final Logger log = LoggerFactory.getLogger(Forwarding.class);

    /** Request headers the peer gets as the caller sent them (the minimum LSN and request id are set apart). */
    private static final List<String> KEPT_REQUEST_HEADERS = List.of(HttpHeaders.AUTHORIZATION, Idempotency.HEADER,
            HttpHeaders.CONTENT_TYPE, HttpHeaders.ACCEPT);
    /** Answer headers relayed besides every Twincloud-* one. */
    private static final Set<String> KEPT_RESPONSE_HEADERS = Set.of("content-type", "location", "retry-after",
            "idempotent-replayed", "www-authenticate");

    private final URI peer;
    private final Duration timeout;
    private final String site;
    private final ProblemWriter problems;
    private final HttpClient client;

    Forwarding(@Value("${twincloud.api.forward.peer-url:}") String peerUrl,
               @Value("${twincloud.api.forward.timeout:2s}") Duration timeout,
               @Value("${twincloud.api.site:local}") String site,
               ProblemWriter problems) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("twincloud.api.forward.timeout must be positive, got " + timeout);
        }
        this.peer = parse(peerUrl);
        this.timeout = timeout;
        this.site = site;
        this.problems = problems;
        this.client = peer == null ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private static URI parse(String url) {
        if (url == null || url.isBlank()) {
            return null;
        }
        URI uri;
        try {
            uri = URI.create(url.strip().replaceAll("/+$", ""));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("twincloud.api.forward.peer-url is not a URL: " + url, e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("twincloud.api.forward.peer-url must be an http(s) URL like "
                    + "http://peer-api:8080, got " + url);
        }
        return uri;
    }

    /** Whether forwarding is configured at all. */
    public boolean enabled() {
        return peer != null;
    }

    /** Whether {@code request} may be sent to the peer: forwarding on, an API request, not forwarded already. */
    boolean mayForward(HttpServletRequest request) {
        return peer != null && request.getHeader(FORWARDED_BY) == null && request.getRequestURI().startsWith("/v1/")
                && ("GET".equals(request.getMethod()) || body(request) != null);
    }

    /** Sends {@code request} to the peer and writes its answer (or a 503 forward-unavailable) to {@code response}. */
    void relay(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String target = peer + request.getRequestURI() + (request.getQueryString() == null ? "" : "?" + request.getQueryString());
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(target)).timeout(timeout);
        for (String name : KEPT_REQUEST_HEADERS) {
            String value = request.getHeader(name);
            if (value != null) {
                out.header(name, value);
            }
        }
        String requestId = RequestIdFilter.of(request);
        if (requestId != null) {
            out.header(RequestId.HEADER, requestId);
        }
        Lsn min = requestedQuietly(request); // the header and the cookie: the peer sees no cookie
        if (min != null) {
            out.header(ReadYourWrites.MIN_LSN_HEADER, min.toString());
        }
        out.header(FORWARDED_BY, site);
        if ("GET".equals(request.getMethod())) {
            out.GET();
        } else {
            out.method(request.getMethod(), HttpRequest.BodyPublishers.ofByteArray(body(request)));
        }
        HttpResponse<byte[]> answer;
        long started = System.nanoTime();
        try {
            answer = client.send(out.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            log.warn("{} {}: forwarding to {} failed: {}", request.getMethod(), request.getRequestURI(), peer, e.toString());
            unavailable(request, response);
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            unavailable(request, response);
            return;
        }
        log.info("{} {}: forwarded to {}: {} in {} ms", request.getMethod(), request.getRequestURI(), peer,
                answer.statusCode(), (System.nanoTime() - started) / 1_000_000);
        // what this site said before it gave up on the request (e.g. its Twincloud-Site) is not the answer's
        response.reset();
        if (requestId != null) {
            response.setHeader(RequestId.HEADER, requestId);
        }
        response.setStatus(answer.statusCode());
        answer.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if ((lower.startsWith("twincloud-") || KEPT_RESPONSE_HEADERS.contains(lower)) && !values.isEmpty()) {
                response.setHeader(name, values.getFirst());
            }
        });
        response.setHeader(FORWARDED_BY, site);
        if (answer.statusCode() >= 200 && answer.statusCode() < 300) {
            answer.headers().firstValue(ReadYourWrites.LSN_HEADER).ifPresent(text -> {
                try {
                    ReadYourWrites.stamp(request, response, Lsn.parse(text));
                } catch (IllegalArgumentException ignored) {
                    // relayed as is; no cookie from a value that is not an LSN
                }
            });
        }
        byte[] body = answer.body();
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }

    private void unavailable(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader(HttpHeaders.RETRY_AFTER, "1");
        problems.write(request, response, HttpStatus.SERVICE_UNAVAILABLE, "forward-unavailable",
                "This site cannot serve the request itself, and the other site's API did not answer within "
                        + timeout.toMillis() + " ms. Retry shortly (a write with the same Idempotency-Key).");
    }

    private static Lsn requestedQuietly(HttpServletRequest request) {
        try {
            return ReadYourWrites.requested(request);
        } catch (ApiProblem malformed) {
            return null;
        }
    }

    /** The whole body of a POST, as read by the controller plus whatever it left unread; null when not kept. */
    private static byte[] body(HttpServletRequest request) {
        ContentCachingRequestWrapper cached = WebUtils.getNativeRequest(request, ContentCachingRequestWrapper.class);
        if (cached == null) {
            return null;
        }
        try {
            byte[] rest = cached.getInputStream().readAllBytes();
            byte[] read = cached.getContentAsByteArray();
            if (rest.length == 0) {
                return read;
            }
            byte[] all = java.util.Arrays.copyOf(read, read.length + rest.length);
            System.arraycopy(rest, 0, all, read.length, rest.length);
            return all;
        } catch (IOException | IllegalStateException e) {
            return null;
        }
    }

    /** Keeps POST bodies for {@link #relay} (only when forwarding is on and the request was not forwarded already). */
    static final class BodyKeeper extends org.springframework.web.filter.OncePerRequestFilter {
        private final Forwarding forwarding;
        private final int limit;

        BodyKeeper(Forwarding forwarding, ApiLimits limits) {
            this.forwarding = forwarding;
            this.limit = (int) Math.min(Integer.MAX_VALUE, limits.maxBodySize().toBytes());
        }

        @Override
        protected boolean shouldNotFilter(HttpServletRequest request) {
            return !forwarding.enabled() || !"POST".equals(request.getMethod()) || request.getHeader(FORWARDED_BY) != null
                    || !request.getRequestURI().startsWith("/v1/");
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
                                        jakarta.servlet.FilterChain chain) throws jakarta.servlet.ServletException, IOException {
            chain.doFilter(new ContentCachingRequestWrapper(request, limit), response);
        }
    }
}
