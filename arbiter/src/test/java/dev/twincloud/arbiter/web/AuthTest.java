package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.security.MessageDigest;
import org.junit.jupiter.api.Test;

class AuthTest extends ArbiterHttpTest {

    static final String[] OPERATOR_CALLS = {"/v1/events", "/v1/switchover", "/v1/promote", "/v1/mode"};

    Http.Response call(Http client, String path) {
        return path.equals("/v1/events") || path.equals("/v1/status") || path.equals("/v1/history")
                ? client.get(path) : client.postJson(path, "{}");
    }

    static void assertProblem(Http.Response r, int status) {
        assertThat(r.status()).isEqualTo(status);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().path("status").asInt()).isEqualTo(status);
        assertThat(r.json().path("detail").asString()).isNotBlank();
    }

    @Test
    void refusesCallsWithoutAToken() {
        Http anonymous = new Http(port, null);
        for (String path : new String[] {"/v1/heartbeat", "/v1/status", "/v1/events", "/v1/history", "/v1/switchover",
                "/v1/promote", "/v1/mode"}) {
            Http.Response r = call(anonymous, path);
            assertProblem(r, 401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).contains("Bearer");
        }
    }

    @Test
    void refusesAWrongToken() {
        for (String wrong : new String[] {OPERATOR_TOKEN + "x", OPERATOR_TOKEN.substring(0, 20), "", AGENT_TOKEN.toUpperCase(),
                VIEWER_TOKEN + "x"}) {
            for (String path : new String[] {"/v1/status", "/v1/events", "/v1/history"}) {
                Http.Response r = operator.withToken(wrong).get(path);
                assertProblem(r, 401);
                if (!wrong.isEmpty()) {
                    assertThat(r.body()).as("a problem never echoes the token").doesNotContain(wrong);
                }
            }
        }
    }

    @Test
    void refusesOperatorCallsWithTheAgentToken() {
        for (String path : OPERATOR_CALLS) {
            Http.Response r = call(agent, path);
            assertProblem(r, 403);
            assertThat(r.json().path("detail").asString()).contains("needs the operator token");
        }
        assertThat(agent.get("/v1/status").status()).as("agents may read the status").isEqualTo(200);
        assertThat(operator.get("/v1/status").status()).isEqualTo(200);
    }

    @Test
    void theViewerTokenMayReadButNeverWrite() {
        for (String path : new String[] {"/v1/status", "/v1/events", "/v1/history"}) {
            assertThat(viewer.get(path).status()).as(path).isEqualTo(200);
        }
        long epoch = epoch();
        for (String path : new String[] {"/v1/heartbeat", "/v1/switchover", "/v1/promote", "/v1/mode", "/v1/status",
                "/v1/events", "/v1/history"}) {
            Http.Response r = viewer.postJson(path, "{\"to\":\"aws\",\"mode\":\"ASYNC\"}");
            assertProblem(r, 403);
            assertThat(r.json().path("detail").asString()).as(path).contains("viewer token may only read");
        }
        assertThat(epoch()).as("nothing changed").isEqualTo(epoch);
        assertThat(status().mode()).isEqualTo(dev.twincloud.core.protocol.Durability.SYNC);
    }

    @Test
    void theAgentTokenStillMayNotReadEventsOrHistory() {
        for (String path : new String[] {"/v1/events", "/v1/history"}) {
            assertProblem(agent.get(path), 403);
        }
    }

    @Test
    void refusesHeartbeatsWithTheOperatorToken() {
        assertProblem(operator.postJson("/v1/heartbeat", "{}"), 403);
    }

    @Test
    void leavesHealthInfoAndPrometheusOpen() {
        Http anonymous = new Http(port, null);
        for (String path : new String[] {"/actuator/health", "/actuator/health/liveness", "/actuator/info", "/actuator/prometheus"}) {
            assertThat(anonymous.get(path).status()).as(path).isEqualTo(200);
        }
        assertThat(anonymous.get("/actuator/env").status()).isEqualTo(404);
    }

    @Test
    void comparesTokensInConstantTime() {
        JavaClass filter = new ClassFileImporter().importClasses(TokenFilter.class).get(TokenFilter.class);
        assertThat(filter.getMethodCallsFromSelf()).as("tokens compared with MessageDigest.isEqual")
                .anyMatch(c -> c.getTargetOwner().isEquivalentTo(MessageDigest.class) && c.getName().equals("isEqual"));
        assertThat(filter.getMethodCallsFromSelf()).as("never with String.equals or Arrays.equals")
                .noneMatch(c -> c.getName().equals("equals") && !c.getOrigin().getName().equals("allowed"));

        var f = new TokenFilter(AGENT_TOKEN, OPERATOR_TOKEN, java.util.Optional.of(VIEWER_TOKEN), null);
        assertThat(f.roleOf(AGENT_TOKEN)).contains(TokenFilter.Role.AGENT);
        assertThat(f.roleOf(OPERATOR_TOKEN)).contains(TokenFilter.Role.OPERATOR);
        assertThat(f.roleOf(VIEWER_TOKEN)).contains(TokenFilter.Role.VIEWER);
        assertThat(f.roleOf(OPERATOR_TOKEN + " ")).isEmpty();
        var noViewer = new TokenFilter(AGENT_TOKEN, OPERATOR_TOKEN, java.util.Optional.empty(), null);
        assertThat(noViewer.roleOf(VIEWER_TOKEN)).isEmpty();
        assertThat(noViewer.roleOf("")).as("an unset viewer token matches nothing, not even the empty one").isEmpty();
    }
}
