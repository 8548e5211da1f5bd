package dev.twincloud.lab.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LinkControlServerTest {

    private EchoServer echo;
    private Links links;
    private LinkControlServer server;
    private LinkControlClient client;
    private HttpClient http;

    @BeforeEach
    void start() throws IOException {
        echo = new EchoServer();
        links = new Links();
        links.add("gcp->aws:pg", 0, echo.port());
        links.add("aws->gcp:pg", 0, echo.port());
        links.add("gcp->arbiter", 0, echo.port());
        server = LinkControlServer.start(links, 0);
        client = new LinkControlClient(server.uri());
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterEach
    void stop() throws IOException {
        http.close();
        client.close();
        server.close();
        links.close();
        echo.close();
    }

    private HttpResponse<String> call(String method, String pathAndQuery) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(server.uri() + pathAndQuery))
                        .timeout(Duration.ofSeconds(5))
                        .method(method, HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void listsLinks() throws Exception {
        HttpResponse<String> r = call("GET", "/links");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(r.body()).startsWith("{\"links\":[")
                .contains("\"name\":\"gcp->aws:pg\",\"from\":\"gcp\",\"to\":\"aws\"")
                .contains("\"state\":\"UP\"", "\"bytesForward\":0", "\"connectionsOpen\":0");
    }

    @Test
    void cutBlackholeHealOneLink() throws Exception {
        assertThat(client.cut("gcp->arbiter")).contains("\"state\":\"CUT\"");
        assertThat(links.get("gcp->arbiter").state()).isEqualTo(LinkState.CUT);
        assertThat(client.blackhole("gcp->arbiter")).contains("\"state\":\"BLACKHOLE\"");
        assertThat(client.heal("gcp->arbiter")).contains("\"state\":\"UP\"");
        // Raw HTTP with the name percent-encoded, as curl users would send it.
        HttpResponse<String> r = call("POST", "/links/gcp-%3Earbiter/cut");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(call("GET", "/links/gcp-%3Earbiter").body()).contains("\"state\":\"CUT\"");
    }

    @Test
    void partitionAndHealAll() throws Exception {
        HttpResponse<String> r = call("POST", "/partition?a=gcp&b=aws");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("gcp->aws:pg", "aws->gcp:pg").doesNotContain("gcp->arbiter");
        assertThat(links.get("aws->gcp:pg").state()).isEqualTo(LinkState.CUT);
        assertThat(client.partition("gcp", "arbiter", LinkState.BLACKHOLE)).contains("\"state\":\"BLACKHOLE\"");
        assertThat(client.isolate("aws", LinkState.CUT)).contains("aws->gcp:pg");
        String healed = client.healAll();
        assertThat(healed).doesNotContain("\"CUT\"").doesNotContain("\"BLACKHOLE\"");
        assertThat(links.status()).allSatisfy(s -> assertThat(s.state()).isEqualTo(LinkState.UP));
    }

    @Test
    void delayBetweenTwoEndpointsAndHealAllClearsIt() throws Exception {
        HttpResponse<String> r = call("POST", "/delay?a=gcp&b=aws&ms=400");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("gcp->aws:pg", "aws->gcp:pg", "\"delayMs\":400").doesNotContain("gcp->arbiter");
        assertThat(links.get("gcp->aws:pg").status().delayMs()).isEqualTo(400);
        assertThat(links.get("gcp->arbiter").status().delayMs()).isZero();
        assertThat(client.delay("gcp", "arbiter", 250)).contains("\"delayMs\":250");
        assertThat(call("POST", "/delay?a=gcp&b=aws&ms=-5").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/delay?a=gcp&b=aws&ms=soon").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/delay?a=gcp&b=mars&ms=5").statusCode()).isEqualTo(404);
        client.healAll();
        assertThat(links.status()).allSatisfy(s -> assertThat(s.delayMs()).isZero());
    }

    @Test
    void latencyIsOneWayBetweenTwoEndpointsWhicheverSideConnectsAndHealAllKeepsIt() throws Exception {
        HttpResponse<String> r = call("POST", "/latency?from=gcp&to=aws&ms=10");
        assertThat(r.statusCode()).isEqualTo(200);
        // gcp->aws:pg is opened by gcp (gcp to aws is its forward way); aws->gcp:pg by aws (gcp to aws is the answers' way)
        assertThat(links.get("gcp->aws:pg").status()).satisfies(s -> {
            assertThat(s.latencyForwardMs()).isEqualTo(10);
            assertThat(s.latencyBackwardMs()).isZero();
        });
        assertThat(links.get("aws->gcp:pg").status()).satisfies(s -> {
            assertThat(s.latencyForwardMs()).isZero();
            assertThat(s.latencyBackwardMs()).isEqualTo(10);
        });
        assertThat(call("POST", "/latency?from=aws&to=gcp&ms=12").statusCode()).isEqualTo(200);
        assertThat(links.get("gcp->aws:pg").status().latencyBackwardMs()).isEqualTo(12);
        assertThat(links.get("gcp->aws:pg").status().latencyForwardMs()).as("the other direction kept").isEqualTo(10);
        assertThat(links.get("gcp->arbiter").status().latencyForwardMs()).isZero();
        client.healAll();
        assertThat(links.get("aws->gcp:pg").status().latencyForwardMs()).as("heal keeps a latency").isEqualTo(12);
        assertThat(call("POST", "/latency?from=gcp&to=aws&ms=-1").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/latency?from=gcp&to=mars&ms=1").statusCode()).isEqualTo(404);
        assertThat(call("POST", "/latency?from=gcp&ms=1").statusCode()).isEqualTo(400);
    }

    @Test
    void errorsAreJson() throws Exception {
        HttpResponse<String> r = call("POST", "/links/nope/cut");
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(r.body()).contains("\"status\":404").contains("no link named 'nope'");
        assertThat(call("POST", "/partition?a=gcp&b=mars").statusCode()).isEqualTo(404);
        assertThat(call("GET", "/nowhere").statusCode()).isEqualTo(404);
        assertThat(call("POST", "/partition?a=gcp").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/partition?a=gcp&b=aws&mode=melt").statusCode()).isEqualTo(400);
        HttpResponse<String> wrongMethod = call("GET", "/heal-all");
        assertThat(wrongMethod.statusCode()).isEqualTo(405);
        assertThat(wrongMethod.body()).contains("\"error\":\"use POST\"");
        assertThatThrownBy(() -> client.cut("nope")).isInstanceOf(IOException.class).hasMessageContaining("404");
    }

    @Test
    void bindsLoopbackOnly() {
        assertThat(server.uri().getHost()).isEqualTo("127.0.0.1");
    }
}
