package dev.twincloud.lab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import dev.twincloud.lab.supervisor.AppLaunch;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ctl status} and {@code ctl events} against the real arbiter (its runnable jar started as the lab
 * starts it, {@link AppLaunch}: extracted, with a class-data archive; on a free port with a fresh state
 * directory and no agents): its JSON reads into the core contract and renders; with no site
 * reporting, the alerts say so.
 */
@Timeout(180)
class CtlAgainstTheArbiterTest {
    static final String TOKEN = "o".repeat(32);
    static Process arbiter;
    static Path dir;
    static String url;

    @BeforeAll
    static void start() throws Exception {
        Path home = Path.of(System.getProperty("twincloud.home", "..")).toAbsolutePath().normalize();
        Path jar;
        try (Stream<Path> s = Files.list(home.resolve("arbiter/target"))) {
            jar = s.filter(p -> p.getFileName().toString().matches("twincloud-arbiter-.*-exec\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("build the arbiter first: ./mvnw -pl arbiter -am package"));
        }
        dir = Files.createTempDirectory("ctl-arbiter-");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"));
        cmd.addAll(AppLaunch.args(java, jar, "ctl-test-arbiter"));
        assertThat(cmd).as("started from the extracted jar").anyMatch(a -> a.contains("/extracted/"));
        cmd.addAll(List.of("--server.port=" + port, "--server.address=127.0.0.1", "--twincloud.arbiter.state-dir=" + dir.resolve("state")));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("arbiter.log").toFile());
        Map<String, String> env = pb.environment();
        env.put("TWINCLOUD_AGENT_TOKEN", "a".repeat(32));
        env.put("TWINCLOUD_OPERATOR_TOKEN", TOKEN);
        env.remove("JAVA_TOOL_OPTIONS");
        arbiter = pb.start();
        url = "http://127.0.0.1:" + port;
        long deadline = System.nanoTime() + Duration.ofSeconds(150).toNanos();
        while (TwincloudCliTest.run("ctl", "status", "--json", "--arbiter", url, "--token", TOKEN).exit() != 0) {
            if (!arbiter.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the arbiter did not start: " + Files.readString(dir.resolve("arbiter.log")));
            }
            Thread.sleep(250);
        }
    }

    @AfterAll
    static void stop() throws IOException, InterruptedException {
        if (arbiter != null) {
            arbiter.destroy();
            arbiter.waitFor(60, java.util.concurrent.TimeUnit.SECONDS); // it writes its class-data archive as it exits
        }
        if (dir != null) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void statusOfAnArbiterNoSiteHasReportedTo() {
        TwincloudCliTest.Run r = TwincloudCliTest.run("ctl", "status", "--arbiter", url, "--token", TOKEN);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("SITE  ROLE", "no report")
                .contains("! site gcp has not reported since the arbiter started")
                .contains("! site aws has not reported since the arbiter started")
                .contains("ARBITER_STARTED");
    }

    @Test
    void eventsOfTheLastMinuteIncludeItsStart() {
        TwincloudCliTest.Run r = TwincloudCliTest.run("ctl", "events", "--since", "10m", "--arbiter", url, "--token", TOKEN);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("TIME").contains("ARBITER_STARTED");
    }

    @Test
    void restoredBeginsANewEpochWithTheSiteAsWriterAndIsRecordedWithWhat() {
        TwincloudCliTest.Run noWhat = TwincloudCliTest.run("ctl", "restored", "gcp", "--arbiter", url, "--token", TOKEN);
        assertThat(noWhat.exit()).isEqualTo(2);
        assertThat(noWhat.err()).contains("--what");
        TwincloudCliTest.Run unknown = TwincloudCliTest.run("ctl", "restored", "azure", "--what", "x", "--arbiter", url, "--token", TOKEN);
        assertThat(unknown.exit()).as(unknown.out()).isNotZero();
        TwincloudCliTest.Run r = TwincloudCliTest.run("ctl", "restored", "gcp", "--what", "store gcs, base backup b1, WAL to 0/3000000",
                "--operator", "alice", "--arbiter", url, "--token", TOKEN);
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("RESTORED").contains("restored by alice: store gcs, base backup b1");
        TwincloudCliTest.Run events = TwincloudCliTest.run("ctl", "events", "--since", "10m", "--arbiter", url, "--token", TOKEN);
        assertThat(events.out()).contains("RESTORED");
    }
}
