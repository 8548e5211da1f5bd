package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.twincloud.lab.drill.History.Op;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A read-local drill client against a real local HTTP server standing in for a home entry: it sends the most
 * {@code Twincloud-Lsn} it has seen as {@code Twincloud-Min-Lsn} (never a lower one, nothing before the first), records
 * each answer's LSN, the Min-Lsn it sent and its entry; a forwarded write's site is not taken from the entry.
 */
class ReadLocalDrillClientTest {

    private HttpServer server;
    private String url;
    private final List<String> minLsnsSeen = new CopyOnWriteArrayList<>();
    private final AtomicInteger n = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/ecgs", this::answer);
        server.start();
        url = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** Answers with LSNs 0/100, 0/80 (a lower one), 0/300 (on a 503: not learnt), 0/200; writes forwarded by aws. */
    private void answer(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        minLsnsSeen.add(String.valueOf(ex.getRequestHeaders().getFirst("Twincloud-Min-Lsn")));
        int i = n.getAndIncrement();
        String lsn = List.of("0/100", "0/80", "0/300", "0/200", "0/200").get(Math.min(i, 4));
        ex.getResponseHeaders().add("Twincloud-Lsn", lsn);
        ex.getResponseHeaders().add("X-Twincloud-Site", "aws"); // the entry's choice
        int status = i == 2 ? 503 : 200;
        if (ex.getRequestMethod().equals("POST")) {
            ex.getResponseHeaders().add("Twincloud-Forwarded-By", "aws");
            ex.getResponseHeaders().add("Location", "/v1/ecgs/id-" + i);
            status = 201;
        } else {
            ex.getResponseHeaders().add("Twincloud-Site", "aws");
            ex.getResponseHeaders().add("Twincloud-Role", "standby");
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }

    @Test
    void sendsTheMostItHasSeenAndRecordsWhatItSentAndGot() {
        History h = new History(System.nanoTime());
        DrillClient c = new DrillClient(url, "t", h, Duration.ofSeconds(5), "", "edge-aws", true);
        Op w = c.write(0, "k0", 1);               // answer 0/100, forwarded by aws
        Op r1 = c.read(0, "k0", "id-0");          // sends 0/100, answer 0/80
        Op r2 = c.read(0, "k0", "id-0");          // sends 0/100 (0/80 is lower), answer 503 with 0/300
        Op r3 = c.read(0, "k0", "id-0");          // sends 0/100 (a 503's LSN is not learnt), answer 0/200
        Op r4 = c.read(0, "k0", "id-0");          // sends 0/200
        assertThat(minLsnsSeen).containsExactly("null", "0/100", "0/100", "0/100", "0/200");
        assertThat(List.of(w.minLsn(), r1.minLsn(), r2.minLsn(), r3.minLsn(), r4.minLsn()))
                .containsExactly("", "0/100", "0/100", "0/100", "0/200");
        assertThat(List.of(w.lsn(), r1.lsn(), r2.lsn(), r3.lsn())).containsExactly("0/100", "0/80", "0/300", "0/200");
        assertThat(h.ops()).allMatch(o -> o.entry().equals("edge-aws"));
        assertThat(w.ok()).isTrue();
        assertThat(w.site()).as("forwarded without Twincloud-Site: not the entry's site").isEmpty();
        assertThat(w.detail()).isEqualTo("forwarded-by:aws");
        assertThat(r1.site()).isEqualTo("aws");
        assertThat(r1.role()).isEqualTo("standby");
    }

    @Test
    void withoutReadLocalNothingIsSent() {
        History h = new History(System.nanoTime());
        DrillClient c = new DrillClient(url, "t", h, Duration.ofSeconds(5));
        c.read(0, "k0", "id-0");
        c.read(0, "k0", "id-0");
        assertThat(minLsnsSeen).containsExactly("null", "null");
        assertThat(h.ops()).allMatch(o -> o.entry().isEmpty());
    }
}
