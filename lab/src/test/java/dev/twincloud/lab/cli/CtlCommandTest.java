package dev.twincloud.lab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code ctl} verbs end to end in-process, over real HTTP, against a stand-in for the arbiter
 * that answers {@code /v1/status} and {@code /v1/events} with bodies as the arbiter serves them
 * (checked on the real arbiter in {@link CtlAgainstTheArbiterTest}).
 */
class CtlCommandTest {
    static final String TOKEN = "t".repeat(24);
    HttpServer arbiter;
    String url;
    final List<String> events = new CopyOnWriteArrayList<>(List.of(
            event("2026-11-28T11:59:40Z", "ARBITER_STARTED", 3, null, "state loaded"),
            event("2026-11-28T11:59:50.125Z", "FAILOVER", 4, "gcp", "aws lease ended")));
    final AtomicInteger eventCalls = new AtomicInteger();

    static String event(String at, String kind, long epoch, String site, String why) {
        return "{\"at\":\"" + at + "\",\"kind\":\"" + kind + "\",\"epoch\":" + epoch + ",\"site\":"
                + (site == null ? "null" : "\"" + site + "\"") + ",\"why\":\"" + why + "\"}";
    }

    @BeforeEach
    void start() throws IOException {
        arbiter = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        arbiter.createContext("/v1/status", ex -> answer(ex, StatusTablesTest.status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY",
                "0/3000000", "3", 100, true, "")));
        arbiter.createContext("/v1/events", ex -> {
            if (eventCalls.incrementAndGet() == 3) { // the follower's second poll sees a new one
                events.add(event("2026-11-28T12:00:05Z", "SWITCHOVER_STARTED", 4, "aws", "operator asked"));
            }
            answer(ex, "[" + String.join(",", events) + "]");
        });
        arbiter.start();
        url = "http://127.0.0.1:" + arbiter.getAddress().getPort();
    }

    private static void answer(HttpExchange ex, String body) throws IOException {
        boolean authorized = ("Bearer " + TOKEN).equals(ex.getRequestHeaders().getFirst("Authorization"));
        byte[] bytes = (authorized ? body : "{\"status\":401,\"detail\":\"a valid operator token is required\"}")
                .getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(authorized ? 200 : 401, bytes.length);
        try (var out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @AfterEach
    void stop() {
        arbiter.stop(0);
    }

    TwincloudCliTest.Run ctl(String... args) {
        String[] all = new String[args.length + 5];
        all[0] = "ctl";
        System.arraycopy(args, 0, all, 1, args.length);
        all[args.length + 1] = "--arbiter";
        all[args.length + 2] = url;
        all[args.length + 3] = "--token";
        all[args.length + 4] = TOKEN;
        return TwincloudCliTest.run(all);
    }

    @Test
    void statusIsATablePerSiteWithAlertsAndEvents() {
        TwincloudCliTest.Run r = ctl("status");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("epoch 4  writer gcp  mode SYNC")
                .contains("gcp   writer   PRIMARY_SYNC  PRIMARY  4      2.4 s       3   -            -          -     sync  100 ms")
                .contains("Alerts:\n  none")
                .contains("FAILOVER");
    }

    @Test
    void statusJsonIsTheArbitersAnswer() {
        TwincloudCliTest.Run r = ctl("status", "--json");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("{\n  \"now\" : \"2026-11-28T12:00:02.900Z\",\n  \"epoch\" : 4,").doesNotContain("SITE");
    }

    @Test
    void eventsSinceATimeAsATableOrJson() {
        TwincloudCliTest.Run r = ctl("events", "--since", "2026-11-28T11:59:45Z");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("""
                TIME                      KIND      EPOCH  SITE  WHY
                2026-11-28 11:59:50.125Z  FAILOVER  4      gcp   aws lease ended
                """);
        TwincloudCliTest.Run json = ctl("events", "--since", "2026-11-28T11:59:45Z", "--json");
        assertThat(json.out()).contains("\"kind\" : \"FAILOVER\"").doesNotContain("ARBITER_STARTED");
        assertThat(ctl("events", "--since", "10m").out()).as("all are older than 10 minutes").startsWith("no events since");
    }

    @Test
    void followPrintsNewEventsAsTheyComeAndStopsAfterFor() {
        TwincloudCliTest.Run r = ctl("events", "--follow", "--interval", "200ms", "--for", "1500ms");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).containsSubsequence("ARBITER_STARTED", "FAILOVER", "SWITCHOVER_STARTED");
        assertThat(r.out().lines().filter(l -> l.contains("SWITCHOVER_STARTED")).count()).as("printed once").isEqualTo(1);
    }

    @Test
    void watchRepeatsTheStatusPlainlyWhenNotATerminal() {
        TwincloudCliTest.Run r = ctl("watch", "--count", "2", "--interval", "200ms");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().filter(l -> l.startsWith("epoch 4  writer gcp")).count()).isEqualTo(2);
        assertThat(r.out()).doesNotContain("\033[");
    }

    @Test
    void badInputAndRefusalsSayWhyWithANonZeroExit() {
        assertThat(ctl("events", "--since", "yesterday").exit()).isEqualTo(2);
        assertThat(ctl("events", "--since", "yesterday").err()).contains("--since takes a duration");
        assertThat(ctl("events", "--limit", "0").exit()).isEqualTo(2);
        assertThat(ctl("events", "--for", "5s").err()).contains("--for goes with --follow");
        assertThat(ctl("watch", "--interval", "10ms").err()).contains("--interval must be between 200ms and 1h");
        assertThat(ctl("watch", "--interval", "soon").exit()).isEqualTo(2);
        TwincloudCliTest.Run wrongToken = TwincloudCliTest.run("ctl", "status", "--arbiter", url, "--token", "w".repeat(24));
        assertThat(wrongToken.exit()).isEqualTo(1);
        assertThat(wrongToken.err()).contains("arbiter answered 401: a valid operator token is required");
        TwincloudCliTest.Run down = TwincloudCliTest.run("ctl", "status", "--arbiter", "http://127.0.0.1:1", "--token", TOKEN);
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).contains("cannot reach the arbiter at http://127.0.0.1:1");
    }
}
