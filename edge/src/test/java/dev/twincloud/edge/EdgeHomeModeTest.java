package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Home mode ({@code --home}, read-local) against two real HTTP backends whose reader health the test flips: every
 * request, reads and writes, stays on home while home's reader health is UP, even with the other site healthy too;
 * moves to the other site only while home is DOWN; moves back as soon as home is UP again.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeHomeModeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private FakeSite gcp;
    private FakeSite aws;
    private EdgeServer edge;
    private HttpClient client;

    @BeforeEach
    void start() throws Exception {
        gcp = new FakeSite("gcp", true);
        aws = new FakeSite("aws", true);
        // home aws, declared second: home wins over the declaration order and over "healthy the longest"
        EdgeConfig config = EdgeConfig.parse("--port", "0",
                "--backend", "gcp=" + gcp.url(), "--health-port", "gcp=" + gcp.healthPort(),
                "--backend", "aws=" + aws.url(), "--health-port", "aws=" + aws.healthPort(),
                "--home", "aws", "--interval-ms", "100", "--timeout-ms", "100",
                "--healthy-threshold", "1", "--unhealthy-threshold", "2");
        assertThat(config.healthPath()).isEqualTo(EdgeConfig.READER_HEALTH_PATH);
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

    private HttpResponse<String> send(String method) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + "/v1/ecgs")).timeout(WAIT);
        b = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.ofString("{\"k\":1}")) : b.GET();
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String active() {
        return edge.pool().active().map(Backend::name).orElse(null);
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

    private void assertServedBy(String site) throws Exception {
        for (String method : List.of("GET", "POST")) {
            HttpResponse<String> r = send(method);
            assertThat(r.statusCode()).as(method).isEqualTo(201);
            assertThat(r.headers().firstValue("X-Backend")).as(method + " reached").contains(site);
            assertThat(r.headers().firstValue("X-Twincloud-Site")).as(method + " tagged").contains(site);
        }
    }

    @Test
    void pinnedToHomeWhileItsReaderHealthIsUpMovesOnlyWhileItIsDownAndComesBack() throws Exception {
        // the writer health plays no part: gcp the writer, aws a standby that can serve reads
        gcp.healthy.set(true);
        gcp.readerHealthy.set(true);
        await("gcp healthy", () -> "gcp".equals(active()));
        assertServedBy("gcp"); // home not healthy yet: the other site serves
        aws.readerHealthy.set(true);
        await("home aws adopted", () -> "aws".equals(active()));
        for (int i = 0; i < 5; i++) {
            assertServedBy("aws"); // both healthy: home, reads and writes alike (the API forwards writes)
        }
        assertThat(edge.metrics().multipleHealthyAnomalies()).as("two healthy readers are the normal case here").isZero();

        aws.readerHealthy.set(false); // home cannot serve reads (lagging beyond the bound, or down)
        await("moved to gcp", () -> "gcp".equals(active()));
        assertServedBy("gcp");

        aws.readerHealthy.set(true);
        await("back home", () -> "aws".equals(active()));
        assertServedBy("aws");

        aws.readerHealthy.set(false);
        gcp.readerHealthy.set(false);
        await("none", () -> active() == null);
        HttpResponse<String> none = send("GET");
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.headers().firstValue(EdgeHandler.EDGE_HEADER)).contains("no-healthy-backend");
    }

    @Test
    void statusNamesTheHome() throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + edge.port() + "/_edge/status")).timeout(WAIT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).contains("\"home\":\"aws\"");
    }

    @Test
    void homeMustNameABackendAndAnExplicitHealthPathWins() {
        assertThatThrownBy(() -> EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--home", "azure"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--home names no --backend: azure");
        assertThat(EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1", "--home", "gcp", "--health-path", "/h").healthPath())
                .isEqualTo("/h");
        EdgeConfig follow = EdgeConfig.parse("--backend", "gcp=http://127.0.0.1:1");
        assertThat(follow.homeMode()).isFalse();
        assertThat(follow.healthPath()).isEqualTo("/actuator/health/writer");
    }
}
