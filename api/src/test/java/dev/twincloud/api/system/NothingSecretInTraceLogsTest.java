package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import dev.twincloud.api.Http;
import dev.twincloud.api.ProductionDatabase;
import dev.twincloud.api.SharedPostgres;
import dev.twincloud.api.TestTokens;
import dev.twincloud.pgctl.Ports;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * docs/logging.md, "Never logged": the API run as a process with every logger at TRACE (root, so the JDK-logging
 * bridge turns Tomcat's and pgjdbc's FINEST on too), against the shared PostgreSQL with the production roles, serving
 * writes and reads of samples with a recognisable pattern and requests with valid and invalid tokens. Its whole output
 * holds no token (nor any of a token's three parts) and no sample value (as a number, or as the bytes stored in the
 * database, in hex).
 */
class NothingSecretInTraceLogsTest {

    /** Negative five-digit values: no port, pid or size is written like these. */
    private static final short[] SAMPLES = {-31913, -30707, -29311, -28123, -27457, -26021, -25339, -24817};

    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void theApiAtTraceLogsNoTokenAndNoSampleValue() throws Exception {
        Path out = Path.of("target", "trace-logs", "api-" + System.nanoTime() + ".log").toAbsolutePath();
        Files.createDirectories(out.getParent());
        int port = Ports.freePort();
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-cp", System.getProperty("java.class.path"), "dev.twincloud.api.ApiApplication",
                "--server.port=" + port, "--server.address=127.0.0.1",
                "--logging.level.root=TRACE",
                "--twincloud.embedded-postgres.enabled=false",
                "--twincloud.api.data-dir=target/trace-logs/data",
                "--spring.datasource.url=" + SharedPostgres.jdbcUrl(),
                "--spring.datasource.username=" + ProductionDatabase.APP, "--spring.datasource.password=",
                "--twincloud.api.migrations.user=" + ProductionDatabase.OWNER,
                "--spring.security.oauth2.resourceserver.jwt.public-key-location=" + TestTokens.publicKeyLocation()));
        Process api = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String good = TestTokens.readWrite();
        List<String> tokens = List.of(good, TestTokens.signedByAnotherKey(), TestTokens.expired(), TestTokens.withScope("ecg:read"));
        try {
            awaitStarted(api, out, port);
            Http client = new Http(port, good).withRequestId("trace-" + UUID.randomUUID().toString().substring(0, 8));
            String patient = "p-trace-" + UUID.randomUUID().toString().substring(0, 8);
            Http.Response created = client.post("/v1/ecgs", UUID.randomUUID().toString(), body(patient));
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            String id = created.json().path("id").asString();
            assertThat(client.get("/v1/ecgs/" + id).status()).isEqualTo(200);
            Http.Response lead = client.get("/v1/ecgs/" + id + "/leads/I");
            assertThat(lead.status()).isEqualTo(200);
            assertThat(lead.body()).as("the samples are really there to be leaked").contains(Short.toString(SAMPLES[0]));
            assertThat(client.get("/v1/patients/" + patient + "/summary").status()).isEqualTo(200);
            assertThat(client.withToken(tokens.get(1)).get("/v1/ecgs").status()).isEqualTo(401);
            assertThat(client.withToken(tokens.get(2)).get("/v1/ecgs").status()).isEqualTo(401);
            assertThat(client.withToken(tokens.get(3)).post("/v1/ecgs", UUID.randomUUID().toString(), body(patient)).status()).isEqualTo(403);
        } finally {
            api.destroy();
            if (!api.waitFor(60, TimeUnit.SECONDS)) {
                api.destroyForcibly();
            }
        }
        String log = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(log).as("TRACE really was on").contains("TRACE");
        for (String token : tokens) {
            assertThat(log).doesNotContain(token);
            for (String part : token.split("\\.")) {
                assertThat(log).as("a part of a token").doesNotContain(part);
            }
        }
        for (short s : SAMPLES) {
            assertThat(Pattern.compile("(?<![0-9])" + s + "(?![0-9])").matcher(log).find()).as("sample value %d in %s", s, out).isFalse();
        }
        ByteBuffer stored = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        stored.asShortBuffer().put(SAMPLES, 0, 4);
        String hex = HexFormat.of().formatHex(stored.array());
        assertThat(log.toLowerCase(Locale.ROOT)).as("the stored bytes, in hex").doesNotContain(hex);
    }

    private static String body(String patient) {
        StringBuilder leads = new StringBuilder();
        for (String lead : new String[] {"I", "II"}) {
            leads.append(leads.isEmpty() ? "" : ",").append('"').append(lead).append("\":[");
            for (int i = 0; i < 64; i++) {
                leads.append(i == 0 ? "" : ",").append(SAMPLES[i % SAMPLES.length]);
            }
            leads.append(']');
        }
        return "{\"patientRef\":\"" + patient + "\",\"recordedAt\":\"2026-01-01T10:00:00Z\",\"samplingRateHz\":500,"
                + "\"device\":\"trace-rig\",\"leads\":{" + leads + "}}";
    }

    private static void awaitStarted(Process api, Path out, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        Http anonymous = new Http(port, null);
        while (System.nanoTime() < deadline) {
            if (!api.isAlive()) {
                throw new AssertionError("the API exited with " + api.exitValue() + "; see " + out);
            }
            try {
                if (anonymous.get("/actuator/health/liveness").status() == 200) {
                    return;
                }
            } catch (java.io.UncheckedIOException notYet) {
                // not listening yet
            }
            Thread.sleep(1000);
        }
        throw new AssertionError("the API did not start within 10 minutes; see " + out);
    }
}
