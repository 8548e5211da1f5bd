package dev.twincloud.edge;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The real probe: {@code GET <backend's health URL><healthPath>}; only HTTP 200 counts as success (the
 * API answers 503 when it is not the writer). A 503 that carries {@code Twincloud-Writer: not-writer} is
 * a <em>definitive</em> failure (the API's database said it is a standby or has no valid lease); every
 * other failure — a timeout, a connection error, any other status, a 503 with {@code unknown} or
 * without the header — is not. The whole exchange, body included, must end within the timeout, so a
 * frozen (blackholed) backend counts as a failure, as with a cloud load balancer.
 *
 * <p>Jetty's HTTP client (the proxy's own, already in the edge) on a few threads of its own, keeping its
 * connections alive between probes. It replaced the JDK's {@code HttpClient}, which cost about a fifth of the
 * edge's CPU for 10 probes per second per site (docs/benchmarks.md, "Where a small write's time goes").
 */
public final class HttpProber implements Prober, AutoCloseable {

    /** The API's verdict header on its writer health: {@code writer}, {@code not-writer}, {@code unknown}. */
    public static final String VERDICT_HEADER = "Twincloud-Writer";

    private final HttpClient client;
    private final String healthPath;
    private final Duration timeout;

    public HttpProber(String healthPath, Duration timeout) {
        this(healthPath, timeout, EdgeTls.client(null));
    }

    /** Probing {@code https://} backends with {@code tls}: the same trust as the proxy's ({@code --backend-ca}). */
    HttpProber(String healthPath, Duration timeout, org.eclipse.jetty.util.ssl.SslContextFactory.Client tls) {
        this.healthPath = healthPath;
        this.timeout = timeout;
        QueuedThreadPool threads = new QueuedThreadPool(16, 2);
        threads.setName("edge-health-client");
        threads.setDaemon(true);
        this.client = new HttpClient();
        client.setExecutor(threads);
        client.setSslContextFactory(tls);
        client.setConnectTimeout(timeout.toMillis());
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null); // set per request below
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the health check's HTTP client", e);
        }
    }

    @Override
    public Result probe(Backend backend) {
        Request req = client.newRequest(backend.healthUri(healthPath))
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS) // the whole exchange, body included
                .headers(h -> h.put(HttpHeader.USER_AGENT, "twincloud-edge-health-check"));
        try {
            ContentResponse r = req.send();
            int status = r.getStatus();
            String verdict = r.getHeaders().get(VERDICT_HEADER);
            if (status == 503 && "not-writer".equals(verdict)) {
                return Result.notWriter("HTTP 503, not the writer");
            }
            return new Result(status == 200, "HTTP " + status + (verdict == null ? "" : ", " + verdict));
        } catch (TimeoutException e) {
            req.abort(e);
            return new Result(false, "timeout after " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            if (c instanceof TimeoutException) {
                return new Result(false, "timeout after " + timeout.toMillis() + " ms");
            }
            return new Result(false, c.getClass().getSimpleName() + ": " + c.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            req.abort(e);
            return new Result(false, "interrupted");
        }
    }

    @Override
    public void close() {
        try {
            client.stop();
        } catch (Exception e) {
            // closing: nothing left to do with a client that failed to stop
        }
    }
}
