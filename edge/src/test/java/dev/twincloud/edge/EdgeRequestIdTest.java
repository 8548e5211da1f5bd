package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.twincloud.core.log.LogSafe;
import dev.twincloud.core.log.RequestId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.LoggerFactory;

/** The request id through the real edge, over real HTTP, to a real backend and back (docs/logging.md). */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class EdgeRequestIdTest {

    private FakeSite gcp;
    private EdgeServer edge;
    private HttpClient client;
    private ListAppender<ILoggingEvent> lines;

    @BeforeEach
    void start() throws Exception {
        gcp = new FakeSite("gcp");
        edge = new EdgeServer(new EdgeConfig("127.0.0.1", 0, List.of(new Backend("gcp", gcp.url())),
                // generous: a probe slowed by a loaded machine must not drop the site in the middle of a test
                "/actuator/health/writer", Duration.ofMillis(200), Duration.ofMillis(200), 1, 10)).start();
        client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        lines = new ListAppender<>();
        lines.start();
        ((Logger) LoggerFactory.getLogger(EdgeHandler.class)).addAppender(lines);
    }

    @AfterEach
    void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger(EdgeHandler.class)).detachAppender(lines);
        client.close();
        edge.close();
        gcp.close();
    }

    private HttpResponse<String> get(String path, String requestId) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + edge.port() + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (requestId != null) {
            b.header(RequestId.HEADER, requestId);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void awaitGcpActive() throws InterruptedException {
        gcp.healthy.set(true);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (edge.pool().active().isEmpty()) {
            assertThat(System.nanoTime()).as("gcp adopted within 10 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    /** The access line of the request with this id, once it is written (after the response completed). */
    private ILoggingEvent accessLine(String requestId) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (ILoggingEvent e : List.copyOf(lines.list)) {
                if (requestId.equals(e.getMDCPropertyMap().get(RequestId.LOG_FIELD))) {
                    return e;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no access line with request id " + requestId + " in " + lines.list);
    }

    @Test
    void withoutAnIdTheEdgeCreatesOneSendsItToTheSiteAndReturnsItOnce() throws Exception {
        awaitGcpActive();
        HttpResponse<String> r = get("/v1/ecgs", null);

        assertThat(r.statusCode()).isEqualTo(201);
        List<String> ids = r.headers().allValues(RequestId.HEADER);
        assertThat(ids).as("one id, not the edge's and the site's copy").hasSize(1);
        String id = ids.get(0);
        assertThat(UUID.fromString(id)).isNotNull();
        assertThat(r.headers().firstValue("X-Seen-Request-Id")).contains(id);
        assertThat(r.headers().firstValue("X-Seen-Request-Id-Count")).contains("1");
        ILoggingEvent line = accessLine(id);
        assertThat(line.getFormattedMessage()).startsWith("GET /v1/ecgs -> gcp 201 in ");
    }

    @Test
    void anAcceptableClientIdIsKept() throws Exception {
        awaitGcpActive();
        String mine = "client-42:" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> r = get("/v1/ecgs", mine);
        assertThat(r.headers().allValues(RequestId.HEADER)).containsExactly(mine);
        assertThat(r.headers().firstValue("X-Seen-Request-Id")).contains(mine);
        assertThat(accessLine(mine).getLevel().toString()).isEqualTo("INFO");
    }

    @Test
    void anUnacceptableClientIdIsReplacedBeforeItReachesTheSite() throws Exception {
        awaitGcpActive();
        for (String bad : new String[] {"x".repeat(RequestId.MAX_LENGTH + 1), "a b", "id\"}{", "<script>", "ä"}) {
            HttpResponse<String> r = get("/v1/ecgs", bad);
            assertThat(r.statusCode()).as("answered by the site").isEqualTo(201);
            String id = r.headers().firstValue(RequestId.HEADER).orElseThrow();
            assertThat(id).as(bad).isNotEqualTo(bad);
            assertThat(UUID.fromString(id)).isNotNull();
            assertThat(r.headers().firstValue("X-Seen-Request-Id")).as("the site sees the replacement").contains(id);
        }
    }

    @Test
    void theEdgesOwnProblemsCarryTheId() throws Exception {
        // no healthy site: the edge's 503
        HttpResponse<String> none = get("/v1/ecgs", "probe-503");
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(none.headers().firstValue(RequestId.HEADER)).contains("probe-503");
        assertThat(none.body()).contains("\"requestId\":\"probe-503\"");
        assertThat(accessLine("probe-503").getFormattedMessage()).startsWith("GET /v1/ecgs -> - 503 in ");

        // the site hangs up: the edge's 502
        awaitGcpActive();
        HttpResponse<String> hangup = get("/hangup", "probe-502");
        assertThat(hangup.statusCode()).isEqualTo(502);
        assertThat(hangup.headers().allValues(RequestId.HEADER)).containsExactly("probe-502");
        assertThat(hangup.body()).contains("\"requestId\":\"probe-502\"");
    }

    @Test
    void theAccessLineShowsNoQueryAndOnlyAHashOfAPatientReference() throws Exception {
        awaitGcpActive();
        get("/v1/patients/p-secret-77/summary?patientRef=p-secret-77", "probe-patient");
        String message = accessLine("probe-patient").getFormattedMessage();
        assertThat(message).doesNotContain("p-secret-77").doesNotContain("?")
                .startsWith("GET /v1/patients/" + LogSafe.hash("p-secret-77") + "/summary -> gcp 201");
    }
}
