package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.SiteId;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BadInputTest extends ArbiterHttpTest {

    static void assertBadRequest(Http.Response r, String detail) {
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().path("detail").asString()).contains(detail);
    }

    @Test
    void refusesAHeartbeatFromAnUnknownSite() {
        var report = new AgentReport(SiteId.of("azure"), 1, SiteState.STANDBY, DbRole.STANDBY, SimAgent.SYSTEM_ID, 1,
                null, null, null, null, "", null);
        assertBadRequest(agent.post("/v1/heartbeat", report), "unknown site 'azure'; this arbiter knows [gcp, aws]");
    }

    @Test
    void refusesMalformedHeartbeats() {
        assertBadRequest(agent.postJson("/v1/heartbeat", "{\"site\":\"gcp\","), "The request body is not valid");
        assertBadRequest(agent.postJson("/v1/heartbeat", """
                {"site":"Not A Site","epoch":1,"state":"STANDBY","dbRole":"STANDBY","systemId":0,"timeline":1}"""),
                "invalid site name 'Not A Site'");
        assertBadRequest(agent.postJson("/v1/heartbeat", """
                {"site":"gcp","epoch":1,"state":"STANDBY","systemId":0,"timeline":1}"""), "dbRole");
        assertBadRequest(agent.postJson("/v1/heartbeat", """
                {"site":"gcp","epoch":1,"state":"STANDBY","dbRole":"STANDBY","systemId":0,"timeline":1,"writeLsn":"zz"}"""),
                "not an LSN");
        assertThat(agent.postJson("/v1/heartbeat", "[]").status()).isEqualTo(400);
        Http.Response notJson = agent.postRaw("/v1/heartbeat", "text/plain", "site=gcp");
        assertThat(notJson.status()).isEqualTo(415);
        assertThat(notJson.contentType()).startsWith("application/problem+json");
    }

    @Test
    void refusesBadOperatorRequests() {
        assertBadRequest(operator.post("/v1/switchover", Map.of("to", "azure")), "unknown site 'azure'");
        assertBadRequest(operator.post("/v1/switchover", Map.of()), "'to' is required");
        assertBadRequest(operator.post("/v1/promote", Map.of("site", "aws", "force", true, "operator", "alice")),
                "'reason' is required");
        assertBadRequest(operator.post("/v1/mode", Map.of()), "'mode' is required");
        assertBadRequest(operator.get("/v1/events?limit=0"), "limit must be between 1 and 1000");
    }
}
