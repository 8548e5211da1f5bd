package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The real probe against a real HTTP backend: which answers are a success, which a definitive "not the
 * writer", and which only a slow or failed probe.
 */
class HttpProberTest {

    private FakeSite site;
    private HttpProber prober;
    private Backend backend;

    @BeforeEach
    void start() throws Exception {
        site = new FakeSite("gcp", true);
        backend = new Backend("gcp", site.url(), site.healthPort());
        prober = new HttpProber("/actuator/health/writer", Duration.ofMillis(2000));
    }

    @AfterEach
    void stop() {
        prober.close();
        site.close();
    }

    @Test
    void twoHundredIsASuccess() {
        site.healthy.set(true);
        assertThat(prober.probe(backend)).isEqualTo(new Prober.Result(true, false, "HTTP 200, writer"));
    }

    @Test
    void aNotWriterAnswerIsDefinitive() {
        site.downVerdict.set("not-writer");
        Prober.Result r = prober.probe(backend);
        assertThat(r.ok()).isFalse();
        assertThat(r.definitive()).isTrue();
    }

    @Test
    void aDownWithoutTheVerdictOrWithUnknownIsNotDefinitive() {
        assertThat(prober.probe(backend)).isEqualTo(new Prober.Result(false, false, "HTTP 503"));
        site.downVerdict.set("unknown");
        assertThat(prober.probe(backend)).isEqualTo(new Prober.Result(false, false, "HTTP 503, unknown"));
    }

    @Test
    void theServingPortIsNotProbedWhenTheBackendHasAHealthPort() {
        site.healthy.set(true);
        assertThat(prober.probe(new Backend("gcp", site.url())).detail()).as("serving port").isEqualTo("HTTP 500");
    }

    @Test
    void aTimeoutIsNotDefinitive() {
        site.downVerdict.set("not-writer");
        site.healthDelayMs.set(3000);
        try (HttpProber quick = new HttpProber("/actuator/health/writer", Duration.ofMillis(200))) {
            Prober.Result r = quick.probe(backend);
            assertThat(r.ok()).isFalse();
            assertThat(r.definitive()).isFalse();
            // the probe's own deadline or the HTTP client's request timeout, whichever fires first
            assertThat(r.detail()).containsAnyOf("timeout after 200 ms", "timed out");
        }
    }

    @Test
    void aConnectionErrorIsNotDefinitive() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        Prober.Result r = prober.probe(new Backend("gone", URI.create("http://127.0.0.1:" + closed)));
        assertThat(r.ok()).isFalse();
        assertThat(r.definitive()).isFalse();
    }
}
