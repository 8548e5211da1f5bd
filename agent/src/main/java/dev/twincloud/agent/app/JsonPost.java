package dev.twincloud.agent.app;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import tools.jackson.databind.json.JsonMapper;

/**
 * One JSON request of the agent with its bearer token (the heartbeat to the arbiter, the failsafe's
 * promise request to the other site's agent): anything but 200 is an {@link IOException} naming who
 * answered what.
 */
record JsonPost(HttpClient http, String token, Duration timeout, JsonMapper json) {

    static JsonPost of(String token, Duration timeout, JsonMapper json) {
        return new JsonPost(HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build(),
                token, timeout, json);
    }

    <T> T send(URI uri, Object body, Class<T> answer, String who) throws IOException, InterruptedException {
        var request = HttpRequest.newBuilder(uri)
                .timeout(timeout)
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body)))
                .build();
        HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException(who + " answered " + response.statusCode() + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return json.readValue(response.body(), answer);
    }
}
