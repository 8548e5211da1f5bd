package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * The {@code load} scenario's traffic without a lab: the rate arithmetic, and the closed and open loops
 * against a real local HTTP server standing in for the edge (it answers 201, or every 5th write a 503
 * marked {@code Twincloud-Edge} as the edge's own, or a 503 of "the API" without the mark).
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
class OpenLoadTest {

    private HttpServer edge;
    private String url;
    private final AtomicInteger writes = new AtomicInteger();
    private final java.util.Set<String> requestIds = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile int slowMs;

    @BeforeEach
    void start() throws IOException {
        edge = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        edge.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        edge.createContext("/v1/ecgs", this::write);
        edge.start();
        url = "http://127.0.0.1:" + edge.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        edge.stop(0);
    }

    private void write(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        requestIds.add(String.valueOf(ex.getRequestHeaders().getFirst("X-Request-Id")));
        int n = writes.incrementAndGet();
        if (slowMs > 0) {
            try {
                Thread.sleep(slowMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (n % 5 == 0) {
            ex.getResponseHeaders().add("Twincloud-Edge", "no-healthy-backend");
            ex.sendResponseHeaders(503, -1);
        } else if (n % 7 == 0) {
            ex.getResponseHeaders().add("X-Twincloud-Site", "gcp");
            ex.sendResponseHeaders(503, -1); // the API's own refusal, proxied
        } else {
            ex.getResponseHeaders().add("X-Twincloud-Site", "gcp");
            ex.getResponseHeaders().add("Location", "/v1/ecgs/" + UUID.randomUUID());
            ex.sendResponseHeaders(201, -1);
        }
        ex.close();
    }

    @Test
    void theTargetIsTheFractionOfTheMaximumRoundedUpToATenthAndAtLeastOnePerSecond() {
        assertThat(OpenLoad.targetRate(212.0, 0.5)).isEqualTo(106.0);
        assertThat(OpenLoad.targetRate(155.33, 0.5)).isEqualTo(77.7);
        assertThat(OpenLoad.targetRate(0.4, 0.5)).isEqualTo(1.0);
        assertThat(OpenLoad.targetRate(0, 0.5)).as("nothing measured: still a trickle").isEqualTo(1.0);
        assertThatThrownBy(() -> OpenLoad.targetRate(100, 0)).hasMessageContaining("fraction");
        assertThatThrownBy(() -> OpenLoad.targetRate(100, 1.5)).hasMessageContaining("fraction");
        assertThatThrownBy(() -> OpenLoad.targetRate(Double.NaN, 0.5)).hasMessageContaining("maximum rate");
    }

    @Test
    void anOpenLoopSpacesRequestsEvenlyWhateverTheAnswers() {
        assertThat(OpenLoad.dueNanos(0, 100)).isZero();
        assertThat(OpenLoad.dueNanos(1, 100)).isEqualTo(10_000_000);
        assertThat(OpenLoad.dueNanos(250, 100)).isEqualTo(2_500_000_000L);
        assertThat(OpenLoad.dueNanos(3, 3)).isEqualTo(1_000_000_000);
        assertThat(OpenLoad.requestsIn(Duration.ofSeconds(60), 106.0)).isEqualTo(6360);
        assertThat(OpenLoad.requestsIn(Duration.ofSeconds(1), 2.5)).isEqualTo(3); // due at 0, 400, 800 ms
    }

    @Test
    void theClosedLoopCountsAcknowledgedWritesAndTheEdgesOwn503s() {
        OpenLoad.Measured m = OpenLoad.measure(url, "t", "max-run", 4, Duration.ofMillis(1500));
        assertThat(m.ok() + m.failed()).isEqualTo(writes.get());
        assertThat(m.ok()).as(m + ", the server saw " + writes.get()).isPositive();
        assertThat(m.edgeMade503s()).isEqualTo(writes.get() / 5);
        assertThat(m.rate()).isEqualTo(m.ok() / 1.5);
    }

    @Test
    void theOpenLoopSendsAtItsRateRecordsEveryWriteAndNeverOverlapsOneClientsOperations() throws Exception {
        History h = new History(System.nanoTime());
        slowMs = 120; // answers slower than the spacing: an open loop does not wait for them
        try (OpenLoad open = new OpenLoad(url, "t", h, "run", 50, Duration.ofSeconds(1), 64)) {
            open.awaitEnd(Duration.ofSeconds(10));
            open.close();
            assertThat(open.sent()).isEqualTo(50);
            assertThat(open.skipped()).isZero();
        }
        List<History.Op> ops = h.ops();
        assertThat(ops).hasSize(50).allMatch(o -> o.type() == History.OpType.WRITE && o.attempt() == 1);
        assertThat(ops).extracting(History.Op::key).doesNotHaveDuplicates().allMatch(k -> k.startsWith("run-o"));
        assertThat(ops).allMatch(o -> o.client() >= OpenLoad.CLIENT_BASE && o.client() < Workload.DIRECT_CLIENT_BASE);
        assertThat(ops.stream().filter(History.Op::edgeMade503).count()).isEqualTo(10);
        assertThat(ops.stream().filter(o -> o.status() == 503 && !o.edgeMade503()).count()).as("the API's own").isPositive();
        assertThat(ops.stream().filter(History.Op::ok).count()).isPositive();
        // each op records the X-Request-Id it was sent with: what 'lab logs --request' finds its lines by
        assertThat(ops).extracting(History.Op::requestId).doesNotContainNull().doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(requestIds);
        Map<Integer, List<History.Op>> byClient = new HashMap<>();
        ops.forEach(o -> byClient.computeIfAbsent(o.client(), c -> new java.util.ArrayList<>()).add(o));
        assertThat(byClient.size()).as("several requests were in flight at once").isGreaterThan(1);
        byClient.values().forEach(list -> {
            list.sort(java.util.Comparator.comparingDouble(History.Op::invokeMs));
            for (int i = 1; i < list.size(); i++) {
                assertThat(list.get(i).invokeMs()).isGreaterThanOrEqualTo(list.get(i - 1).completeMs());
            }
        });
    }

    @Test
    void whenEveryClientIsInFlightADueRequestIsSkippedAndCounted() throws Exception {
        History h = new History(System.nanoTime());
        slowMs = 1500;
        try (OpenLoad open = new OpenLoad(url, "t", h, "run", 20, Duration.ofMillis(500), 2)) {
            open.awaitEnd(Duration.ofSeconds(10));
            assertThat(open.sent()).isEqualTo(2);
            assertThat(open.skipped()).isEqualTo(8);
        }
    }
}
