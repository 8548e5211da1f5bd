package dev.twincloud.agent.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.LeaseGrant;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The heartbeat on the wire, with the JSON mapper Spring Boot configures in the agent and in the
 * arbiter: a JDK HTTP server plays the arbiter. Optional fields travel as a plain value or null, and
 * a field an older peer does not know or does not send reads as empty.
 */
class HttpArbiterClientTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final String TOKEN = "eyJkYXRhYmFzZVN5c3RlbUlkZW50aWZpZXIiOiI3NDEyMzQ1Njc4OTAxMjM0NTY3In0=";

    JsonMapper json;
    HttpServer arbiter;
    final AtomicReference<String> received = new AtomicReference<>();
    final AtomicReference<String> answer = new AtomicReference<>();
    HttpArbiterClient client;

    @BeforeEach
    void arbiterOnALoopbackPort() throws Exception {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class))
                .run(context -> json = context.getBean(JsonMapper.class));
        arbiter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        arbiter.createContext("/v1/heartbeat", exchange -> {
            received.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] body = answer.get().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        arbiter.start();
        client = new HttpArbiterClient(URI.create("http://127.0.0.1:" + arbiter.getAddress().getPort()),
                "agent-token-0123456789", Duration.ofSeconds(5), json);
        answer.set("""
                {"epoch":1,"goal":"FENCED","writer":"gcp","syncStandby":null,"lease":null,"why":"fence now"}""");
    }

    @AfterEach
    void stop() {
        arbiter.stop(0);
    }

    static AgentReport fenced(Optional<String> token) {
        return new AgentReport(GCP, 1, SiteState.FENCED, DbRole.DOWN, 7, 1, Lsn.parse("0/5000028"), null, List.of(),
                Lsn.parse("0/5000028"), "", token);
    }

    @Test
    void theDemotionTokenTravelsAsAPlainStringAndReadsBackTheSame() throws Exception {
        client.heartbeat(fenced(Optional.of(TOKEN)));
        JsonNode sent = json.readTree(received.get());
        assertThat(sent.path("demotionToken").isString()).as(received.get()).isTrue();
        assertThat(sent.path("demotionToken").asString()).isEqualTo(TOKEN);
        assertThat(json.readValue(received.get(), AgentReport.class)).isEqualTo(fenced(Optional.of(TOKEN)));

        client.heartbeat(fenced(Optional.empty()));
        assertThat(json.readTree(received.get()).path("demotionToken").isNull()).as(received.get()).isTrue();
        assertThat(json.readValue(received.get(), AgentReport.class).demotionToken()).isEmpty();
    }

    @Test
    void aReportOfAnOlderAgentWithoutTheDemotionTokenStillReads() {
        // the heartbeat of docs/arbiter.md, as agents before the token sent it
        AgentReport old = json.readValue("""
                {"site":"gcp","epoch":1,"state":"PRIMARY_SYNC","dbRole":"PRIMARY","systemId":7300000000000000001,
                 "timeline":1,"writeLsn":"0/3000060","receiveLsn":"0/3000060",
                 "replicas":[{"name":"aws","state":"streaming","syncState":"sync","flushLsn":"0/3000060","replayLsn":"0/3000060"}],
                 "stopLsn":"0/0","message":""}""", AgentReport.class);
        assertThat(old.demotionToken()).isEmpty();
        assertThat(old.replicas()).hasSize(1);
        assertThat(json.readValue("""
                {"site":"gcp","epoch":1,"state":"FENCED","dbRole":"DOWN","systemId":0,"timeline":1,"demotionToken":null}""",
                AgentReport.class).demotionToken()).isEmpty();
    }

    @Test
    void aReplicasReplayLagTravelsInMillisAndReadsAsEmptyWhenAbsentOrNull() throws Exception {
        AgentReport primary = new AgentReport(GCP, 1, SiteState.PRIMARY_SYNC, DbRole.PRIMARY, 7, 1, Lsn.parse("0/3000060"), null,
                List.of(new ReplicaInfo("aws", "streaming", "sync", Lsn.parse("0/3000060"), Lsn.parse("0/3000000"), Optional.of(12L))),
                null, "", Optional.empty());
        answer.set("""
                {"epoch":1,"goal":"PRIMARY_SYNC","writer":"gcp","syncStandby":"aws","lease":null,"why":"writer"}""");
        client.heartbeat(primary);
        assertThat(json.readTree(received.get()).path("replicas").get(0).path("replayLagMillis").asLong()).as(received.get())
                .isEqualTo(12);
        assertThat(json.readValue(received.get(), AgentReport.class)).isEqualTo(primary);
        String withoutLag = received.get().replace(",\"replayLagMillis\":12", "");
        assertThat(withoutLag).doesNotContain("replayLagMillis");
        assertThat(json.readValue(withoutLag, AgentReport.class).replicas().getFirst().replayLagMillis()).isEmpty();
        assertThat(json.readValue(received.get().replace("\"replayLagMillis\":12", "\"replayLagMillis\":null"), AgentReport.class)
                .replicas().getFirst().replayLagMillis()).isEmpty();
    }

    @Test
    void anOverlongDemotionTokenIsRefusedWhenRead() {
        String body = """
                {"site":"gcp","epoch":1,"state":"FENCED","dbRole":"DOWN","systemId":0,"timeline":1,"demotionToken":"%s"}"""
                .formatted("A".repeat(5000));
        assertThatThrownBy(() -> json.readValue(body, AgentReport.class)).isInstanceOf(DatabindException.class)
                .hasMessageContaining("at most 4096");
    }

    @Test
    void thePromotionTokenOfAnAssignmentReadsAsAPlainStringAndIsEmptyWhenAnOlderArbiterLeavesItOut() throws Exception {
        answer.set("""
                {"epoch":2,"goal":"PRIMARY_ASYNC","writer":"aws","syncStandby":null,"lease":null,"why":"writer of epoch 2",
                 "promotionToken":"%s"}""".formatted(TOKEN));
        Assignment promote = client.heartbeat(fenced(Optional.empty()));
        assertThat(promote.promotionToken()).contains(TOKEN);
        assertThat(promote.hurry()).isFalse();

        answer.set("""
                {"epoch":2,"goal":"PRIMARY_ASYNC","writer":"aws","why":"writer of epoch 2","hurry":true}""");
        assertThat(client.heartbeat(fenced(Optional.empty())).hurry()).isTrue();

        answer.set("""
                {"epoch":2,"goal":"PRIMARY_SYNC","writer":"aws","syncStandby":"gcp","lease":{"epoch":2,"ttlMillis":2500},
                 "why":"writer of epoch 2"}""");
        Assignment old = client.heartbeat(fenced(Optional.empty()));
        assertThat(old.promotionToken()).isEmpty();
        assertThat(old.hurry()).as("an older arbiter asks for no hurry").isFalse();
        assertThat(old.syncStandby()).contains(GCP);
        assertThat(old.lease()).contains(new LeaseGrant(2, 2500));
    }

    @Test
    void anAssignmentWritesItsTokenLikeItsOtherOptionalFields() {
        var a = new Assignment(2, SiteState.PRIMARY_ASYNC, SiteId.of("aws"), Optional.empty(), Optional.empty(), "promote",
                Optional.of(TOKEN));
        JsonNode written = json.valueToTree(a);
        assertThat(written.path("promotionToken").asString()).isEqualTo(TOKEN);
        assertThat(written.path("syncStandby").isNull()).isTrue();
        assertThat(json.readValue(json.writeValueAsString(a), Assignment.class)).isEqualTo(a);
        JsonNode none = json.valueToTree(new Assignment(2, SiteState.STANDBY, GCP, null, null, "follow", null));
        assertThat(none.path("promotionToken").isNull()).as(none.toString()).isTrue();
    }
}
