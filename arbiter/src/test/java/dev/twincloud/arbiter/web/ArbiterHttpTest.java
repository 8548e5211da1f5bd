package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.SimCluster;
import dev.twincloud.arbiter.TestClock;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Durability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * Base of the tests that share one arbiter: the real application on a random port, real files in
 * a fresh state directory, a hand-driven clock, and no periodic tick (each test decides when time
 * passes). The arbiter's state carries over from test to test, so each test starts from whatever
 * writer and epoch it finds and first brings the cluster to a steady state. Subclasses must not add
 * configuration, or they would start a second context.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "twincloud.arbiter.agent-token=" + ArbiterHttpTest.AGENT_TOKEN,
        "twincloud.arbiter.operator-token=" + ArbiterHttpTest.OPERATOR_TOKEN,
        "twincloud.arbiter.viewer-token=" + ArbiterHttpTest.VIEWER_TOKEN,
        "twincloud.arbiter.tick-interval=1h"})
@Import(ArbiterHttpTest.ClockConfig.class)
abstract class ArbiterHttpTest {

    static final String AGENT_TOKEN = "agent-token-for-tests-0123";
    static final String OPERATOR_TOKEN = "operator-token-for-tests-0123";
    static final String VIEWER_TOKEN = "viewer-token-for-tests-0123";
    static final Instant START = Instant.parse("2026-11-28T12:00:00Z");
    static final Duration TTL = Duration.ofMillis(2500);
    static final Duration MARGIN = Duration.ofMillis(250);
    static final Path STATE_DIR = tempDir();

    @TestConfiguration(proxyBeanMethods = false)
    static class ClockConfig {
        @Bean
        @Primary
        TestClock testClock() {
            return new TestClock(START);
        }
    }

    @DynamicPropertySource
    static void stateDir(DynamicPropertyRegistry registry) {
        registry.add("twincloud.arbiter.state-dir", STATE_DIR::toString);
    }

    private static Path tempDir() {
        try {
            Path target = Path.of("target");
            Files.createDirectories(target);
            return Files.createTempDirectory(target.toAbsolutePath(), "arbiter-http-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @LocalServerPort
    int port;

    @Autowired
    TestClock clock;

    Http agent;
    Http operator;
    Http viewer;
    SimCluster cluster;

    @BeforeEach
    void clients() {
        agent = new Http(port, AGENT_TOKEN);
        operator = new Http(port, OPERATOR_TOKEN);
        viewer = new Http(port, VIEWER_TOKEN);
        cluster = new SimCluster(status().writer(),
                r -> agent.post("/v1/heartbeat", r).as(Assignment.class), clock, TTL, MARGIN,
                () -> status().standbyEligible());
    }

    /** Brings the cluster to its steady state in the arbiter's current mode; returns the writer. */
    dev.twincloud.arbiter.SimAgent steady() {
        cluster.steady(status().mode() == Durability.SYNC);
        return cluster.writer();
    }

    /**
     * {@code rounds} rounds of 100 ms in which the writer writes {@code bytes.applyAsLong(round)} of WAL
     * and reports before the standby has it (so the standby lags by that much), then the standby
     * reports. The cluster must be steady.
     */
    void writes(int rounds, java.util.function.IntToLongFunction bytes) {
        dev.twincloud.arbiter.SimAgent writer = cluster.writer();
        dev.twincloud.arbiter.SimAgent standby = cluster.peer(writer);
        for (int i = 0; i < rounds; i++) {
            standby.lsn = writer.lsn; // streamed what was written before this round
            writer.lsn += bytes.applyAsLong(i);
            cluster.heartbeat(writer);
            cluster.heartbeat(standby);
            clock.advanceMillis(dev.twincloud.arbiter.SimCluster.ROUND_MILLIS);
        }
    }

    /** {@code GET /v1/status} read into the contract its clients use. */
    ArbiterStatus status() {
        return statusResponse().as(ArbiterStatus.class);
    }

    Http.Response statusResponse() {
        Http.Response r = operator.get("/v1/status");
        if (r.status() != 200) {
            throw new AssertionError("status: " + r.status() + " " + r.body());
        }
        return r;
    }

    long epoch() {
        return status().epoch();
    }

    List<Event> events(int limit) {
        return List.of(operator.get("/v1/events?limit=" + limit).as(Event[].class));
    }

    String metrics() {
        return new Http(port, null).get("/actuator/prometheus").body();
    }

    JsonNode storedState() {
        try {
            return Http.JSON.readTree(Files.readString(STATE_DIR.resolve("state.json"))).path("state");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
