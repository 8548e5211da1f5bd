package dev.twincloud.agent.app;

import dev.twincloud.agent.core.ArbiterClient;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import tools.jackson.databind.json.JsonMapper;

/** Heartbeats over HTTP: {@code POST /v1/heartbeat} with the agent token. */
final class HttpArbiterClient implements ArbiterClient {
    private final HttpClient http;
    private final URI heartbeat;
    private final String token;
    private final Duration timeout;
    private final JsonMapper json;

    HttpArbiterClient(URI arbiter, String token, Duration timeout, JsonMapper json) {
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
        this.heartbeat = arbiter.resolve("/v1/heartbeat");
        this.token = token;
        this.timeout = timeout;
        this.json = json;
    }

    @Override
    public Assignment heartbeat(AgentReport report) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(heartbeat)
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(report)))
                .build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("arbiter answered " + response.statusCode() + ": "
                    + new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return json.readValue(response.body(), Assignment.class);
    }
}
