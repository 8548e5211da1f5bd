package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.core.protocol.ArbiterHistory;
import dev.twincloud.core.protocol.OperatorRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The status page's files and its data endpoint over real HTTP (the page in a browser: StatusPageInChromiumTest). */
class StatusPageHttpTest extends ArbiterHttpTest {

    @Test
    void servesThePageWithoutATokenAndWithAStrictContentSecurityPolicy() {
        Http anonymous = new Http(port, null);

        Http.Response page = anonymous.get("/status");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertThat(page.body()).contains("<script src=\"status/status.js\"", "id=\"login-form\"")
                .doesNotContain(OPERATOR_TOKEN, VIEWER_TOKEN, AGENT_TOKEN);
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp ->
                assertThat(csp).contains("script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-inline"));
        assertThat(page.headers().firstValue("Referrer-Policy")).contains("no-referrer");

        for (String file : List.of("/status/status.js", "/status/status.css")) {
            Http.Response r = anonymous.get(file);
            assertThat(r.status()).as(file).isEqualTo(200);
            assertThat(r.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        }
        Http.Response root = anonymous.get("/");
        assertThat(root.status()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith("/status"));
    }

    @Test
    void theTokenNeverTravelsInAUrlNorAFormField() {
        String page = new Http(port, null).get("/status").body();
        String token = page.substring(page.indexOf("<input id=\"token\""), page.indexOf('>', page.indexOf("<input id=\"token\"")));
        assertThat(token).as("a field without a name is never submitted").doesNotContain("name=").contains("type=\"password\"");
        String script = new Http(port, null).get("/status/status.js").body();
        assertThat(script).contains("sessionStorage", "Authorization: 'Bearer ' + token")
                .doesNotContain("localStorage", "document.cookie", "?token", "&token");
    }

    @Test
    void historyShowsTheWritersThroughputAndTheStandbysLagAndFollowsASwitchover() {
        SimAgent writer = steady();
        SimAgent standby = cluster.peer(writer);
        writes(30, i -> 64 * 1024); // 64 KiB per 100 ms round: 640 KiB/s, the standby 64 KiB behind

        ArbiterHistory h = viewer.get("/v1/history").as(ArbiterHistory.class);

        assertThat(h.resolutionMillis()).isEqualTo(1000);
        List<ArbiterHistory.Sample> recent = h.samples().subList(h.samples().size() - 2, h.samples().size());
        assertThat(recent).allSatisfy(s -> {
            assertThat(s.writer()).isEqualTo(writer.site);
            assertThat(s.writeBytesPerSecond()).contains(640L * 1024);
            assertThat(s.lagBytes()).containsExactly(java.util.Map.entry(standby.site.name(), 64L * 1024));
        });

        assertThat(operator.post("/v1/switchover", new OperatorRequest.Switchover(standby.site)).status()).isEqualTo(202);
        cluster.roundsUntil(() -> standby.last.lease().isPresent(), 20);
        steady();
        writes(15, i -> 1024);

        ArbiterHistory after = viewer.get("/v1/history").as(ArbiterHistory.class);
        ArbiterHistory.Sample last = after.samples().getLast();
        assertThat(last.writer()).isEqualTo(standby.site);
        assertThat(last.writerLsn()).contains(new dev.twincloud.core.protocol.Lsn(standby.lsn));
        assertThat(last.writeBytesPerSecond()).contains(10L * 1024);
        assertThat(last.lagBytes()).containsExactly(java.util.Map.entry(writer.site.name(), 1024L));
        assertThat(after.samples()).as("the samples before the switchover are kept")
                .anySatisfy(s -> assertThat(s.writer()).isEqualTo(writer.site));
    }
}
