package dev.twincloud.agent.app;

import dev.twincloud.agent.core.ArbiterClient;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import tools.jackson.databind.json.JsonMapper;

/** Heartbeats over HTTP: {@code POST /v1/heartbeat} with the agent token. */
final class HttpArbiterClient implements ArbiterClient {
    private final JsonPost post;
    private final URI heartbeat;

    HttpArbiterClient(URI arbiter, String token, Duration timeout, JsonMapper json) {
        this.post = JsonPost.of(token, timeout, json);
        this.heartbeat = arbiter.resolve("/v1/heartbeat");
    }

    @Override
    public Assignment heartbeat(AgentReport report) throws IOException, InterruptedException {
        return post.send(heartbeat, report, Assignment.class, "arbiter");
    }
}
