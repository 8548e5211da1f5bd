package dev.twincloud.edge;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The real probe: {@code GET <backend's health URL><healthPath>}; only HTTP 200 counts as success (the
 * API answers 503 when it is not the writer). A 503 that carries {@code Twincloud-Writer: not-writer} is
 * a <em>definitive</em> failure (the API's database said it is a standby or has no valid lease); every
 * other failure — a timeout, a connection error, any other status, a 503 with {@code unknown} or
 * without the header — is not. The whole exchange, body included, must end within the timeout, so a
 * frozen (blackholed) backend counts as a failure, as with a cloud load balancer.
 */
public final class HttpProber implements Prober, AutoCloseable {

    /** The API's verdict header on its writer health: {@code writer}, {@code not-writer}, {@code unknown}. */
    public static final String VERDICT_HEADER = "Twincloud-Writer";

    private final HttpClient client;
    private final String healthPath;
    private final Duration timeout;

    public HttpProber(String healthPath, Duration timeout) {
        this.healthPath = healthPath;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    @Override
    public Result probe(Backend backend) {
        HttpRequest req = HttpRequest.newBuilder(backend.healthUri(healthPath))
                .timeout(timeout)
                .header("User-Agent", "twincloud-edge-health-check")
                .GET()
                .build();
        CompletableFuture<HttpResponse<Void>> f = client.sendAsync(req, HttpResponse.BodyHandlers.discarding());
        try {
            HttpResponse<Void> r = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            int status = r.statusCode();
            String verdict = r.headers().firstValue(VERDICT_HEADER).orElse(null);
            if (status == 503 && "not-writer".equals(verdict)) {
                return Result.notWriter("HTTP 503, not the writer");
            }
            return new Result(status == 200, "HTTP " + status + (verdict == null ? "" : ", " + verdict));
        } catch (TimeoutException e) {
            f.cancel(true);
            return new Result(false, "timeout after " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            Throwable c = e.getCause() == null ? e : e.getCause();
            return new Result(false, c.getClass().getSimpleName() + ": " + c.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            return new Result(false, "interrupted");
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
