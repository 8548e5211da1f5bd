package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The edge against two real HTTP backends whose health the test flips. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeServerTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private FakeSite gcp;
    private FakeSite aws;
    private EdgeServer edge;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        gcp = new FakeSite("gcp");
        aws = new FakeSite("aws");
        EdgeConfig config = new EdgeConfig("127.0.0.1", 0,
                List.of(new Backend("gcp", gcp.url()), new Backend("aws", aws.url())),
                "/actuator/health/writer", Duration.ofMillis(100), Duration.ofMillis(100), 2, 2);
        // A generous timeout (= interval) so a loaded CI machine does not fail probes by accident;
        // the below-threshold cases are covered deterministically by HealthStateTest/BackendPoolTest.
        edge = new EdgeServer(config).start();
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        edge.close();
        gcp.close();
        aws.close();
    }

    private URI edgeUri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + edge.port() + pathAndQuery);
    }

    private HttpResponse<String> get(String pathAndQuery) throws Exception {
        return client.send(HttpRequest.newBuilder(edgeUri(pathAndQuery)).timeout(WAIT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + WAIT + " waiting for " + what);
            }
            Thread.sleep(10);
        }
    }

    private String active() {
        return edge.pool().active().map(Backend::name).orElse(null);
    }

    @Test
    void noHealthyBackendIsA503Problem() throws Exception {
        HttpResponse<String> r = get("/api/recordings");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/problem+json"));
        assertThat(r.headers().firstValue("Retry-After")).contains("1");
        assertThat(r.body()).contains("\"title\":\"No healthy backend\"").contains("\"status\":503")
                .contains("\"type\":\"" + EdgeHandler.NO_BACKEND_TYPE + "\"");
        assertThat(r.headers().firstValue(EdgeHandler.EDGE_HEADER)).as("an answer the edge made itself").contains("no-healthy-backend");
        assertThat(gcp.appRequests.get() + aws.appRequests.get()).isZero();
        assertThat(edge.metrics().noBackendResponses()).isEqualTo(1);
    }

    @Test
    void trafficFollowsHealthAcrossFailoverAndBack() throws Exception {
        gcp.healthy.set(true);
        await("gcp active", () -> "gcp".equals(active()));
        HttpResponse<String> r = get("/api/x");
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Twincloud-Site")).contains("gcp");
        assertThat(r.headers().firstValue("X-Backend")).contains("gcp");

        // Failover: gcp's writer-health goes DOWN, aws's goes UP.
        gcp.healthy.set(false);
        aws.healthy.set(true);
        await("aws active", () -> "aws".equals(active()));
        r = get("/api/x");
        assertThat(r.headers().firstValue("X-Twincloud-Site")).contains("aws");
        assertThat(r.headers().firstValue("X-Backend")).contains("aws");

        // Nobody healthy: 503.
        aws.healthy.set(false);
        await("none active", () -> active() == null);
        assertThat(get("/api/x").statusCode()).isEqualTo(503);

        // And back.
        gcp.healthy.set(true);
        await("gcp active again", () -> "gcp".equals(active()));
        assertThat(get("/api/x").headers().firstValue("X-Twincloud-Site")).contains("gcp");

        assertThat(edge.metrics().transitions("gcp", true)).isEqualTo(2);
        assertThat(edge.metrics().transitions("gcp", false)).isEqualTo(1);
        assertThat(edge.metrics().transitions("aws", false)).isEqualTo(1);
    }

    @Test
    void theSitesOwn503PassesUnmarkedAndAHangUpIsAMarked502() throws Exception {
        gcp.healthy.set(true);
        await("gcp active", () -> "gcp".equals(active()));
        HttpResponse<String> own = get("/own503");
        assertThat(own.statusCode()).isEqualTo(503);
        assertThat(own.headers().firstValue("X-Twincloud-Site")).contains("gcp");
        assertThat(own.headers().firstValue(EdgeHandler.EDGE_HEADER)).as("the site's own 503").isEmpty();
        HttpResponse<String> hangup = get("/hangup");
        assertThat(hangup.statusCode()).isEqualTo(502);
        assertThat(hangup.headers().firstValue(EdgeHandler.EDGE_HEADER)).contains("bad-gateway");
        assertThat(hangup.headers().firstValue("X-Twincloud-Site")).contains("gcp");
        assertThat(hangup.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/problem+json"));
    }

    @Test
    void probeTimeoutCountsAsFailure() throws Exception {
        gcp.healthy.set(true);
        await("gcp active", () -> "gcp".equals(active()));
        gcp.healthDelayMs.set(500); // still 200 eventually, but far beyond the 100 ms timeout
        await("gcp unhealthy by timeouts", () -> active() == null);
        assertThat(edge.metrics().transitions("gcp", false)).isEqualTo(1);
    }

    @Test
    void passesMethodPathQueryHeadersAndLargeBodies() throws Exception {
        gcp.healthy.set(true);
        await("gcp active", () -> "gcp".equals(active()));
        byte[] body = new byte[5 * 1024 * 1024];
        new Random(42).nextBytes(body);
        HttpRequest req = HttpRequest.newBuilder(edgeUri("/api/recordings/a%20b?x=1&y=%2F"))
                .timeout(WAIT)
                .header("Authorization", "Bearer s3cret")
                .header("X-Custom", "kept")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        HttpResponse<byte[]> r = client.send(req, HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.body()).isEqualTo(body);
        assertThat(r.headers().firstValue("X-Seen-Method")).contains("PUT");
        assertThat(r.headers().firstValue("X-Seen-Path")).contains("/api/recordings/a%20b");
        assertThat(r.headers().firstValue("X-Seen-Query")).contains("x=1&y=%2F");
        assertThat(r.headers().firstValue("X-Seen-Authorization")).contains("Bearer s3cret");
        assertThat(r.headers().firstValue("X-Seen-Custom")).contains("kept");
        assertThat(r.headers().firstValue("X-Twincloud-Site")).contains("gcp");
        assertThat(edge.metrics().requests("gcp")).isEqualTo(1);
    }

    @Test
    void requestInFlightIsNotCutWhenItsBackendTurnsUnhealthy() throws Exception {
        gcp.healthy.set(true);
        await("gcp active", () -> "gcp".equals(active()));
        CompletableFuture<HttpResponse<String>> slow = client.sendAsync(
                HttpRequest.newBuilder(edgeUri("/slow?ms=600")).timeout(WAIT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        await("request reached gcp", () -> gcp.appRequests.get() == 1);
        gcp.healthy.set(false);
        await("gcp unhealthy", () -> active() == null);
        HttpResponse<String> r = slow.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(r.statusCode()).isEqualTo(201);
        assertThat(r.headers().firstValue("X-Twincloud-Site")).contains("gcp");
    }

    @Test
    void statusAndMetricsEndpoints() throws Exception {
        aws.healthy.set(true);
        await("aws active", () -> "aws".equals(active()));
        get("/anything");
        HttpResponse<String> s = get("/_edge/status");
        assertThat(s.statusCode()).isEqualTo(200);
        assertThat(s.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/json"));
        assertThat(s.body())
                .contains("\"active\":\"aws\"")
                .contains("{\"name\":\"gcp\",\"url\":\"" + gcp.url() + "\",\"healthy\":false")
                .contains("{\"name\":\"aws\",\"url\":\"" + aws.url() + "\",\"healthy\":true")
                .contains("\"consecutiveOk\":", "\"consecutiveFail\":", "\"lastChange\":\"");
        HttpResponse<String> m = get("/_edge/metrics");
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.body())
                .contains("# TYPE twincloud_edge_requests_total counter")
                .contains("twincloud_edge_requests_total{backend=\"aws\"} 1")
                .contains("twincloud_edge_health_transitions_total{backend=\"aws\",to=\"healthy\"} 1")
                .contains("twincloud_edge_no_healthy_backend_total 0")
                .containsPattern("twincloud_edge_backend_healthy\\{backend=\"aws\"} [01]\n") // the probes go on meanwhile
                .contains("twincloud_edge_backend_healthy{backend=\"gcp\"} 0");
        assertThat(get("/_edge/nope").statusCode()).isEqualTo(404);
        // Admin paths are never proxied.
        assertThat(aws.appRequests.get()).isEqualTo(1);
    }

    /** The health gauge reads the pool's view at each scrape. */
    @Test
    void healthGaugeFollowsThePool() {
        EdgeMetrics m = new EdgeMetrics(java.util.List.of("gcp", "aws"));
        java.util.concurrent.atomic.AtomicReference<String> healthy = new java.util.concurrent.atomic.AtomicReference<>("aws");
        m.healthFrom(b -> b.equals(healthy.get()));
        assertThat(m.prometheus()).contains("# TYPE twincloud_edge_backend_healthy gauge\n",
                "twincloud_edge_backend_healthy{backend=\"gcp\"} 0\n", "twincloud_edge_backend_healthy{backend=\"aws\"} 1\n");
        healthy.set("gcp");
        assertThat(m.prometheus()).contains("twincloud_edge_backend_healthy{backend=\"gcp\"} 1\n",
                "twincloud_edge_backend_healthy{backend=\"aws\"} 0\n");
    }
}
