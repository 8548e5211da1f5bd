package dev.twincloud.edge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Runs {@link EdgeMain} as a real process to check exit codes, which System.exit makes untestable in-JVM. */
class EdgeMainTest {

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) throws Exception {
        return run(java.util.Map.of(), args);
    }

    private static ProcessBuilder edge(java.util.Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-cp", System.getProperty("java.class.path"), EdgeMain.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove(EdgeMain.LOG_FORMAT_VARIABLE);
        pb.environment().putAll(env);
        return pb;
    }

    private static Run run(java.util.Map<String, String> env, String... args) throws Exception {
        Process p = edge(env, args).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("EdgeMain did not exit within 30 s");
            }
            return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                    new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void helpExitsZero() throws Exception {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--backend NAME=URL").contains("--unhealthy-threshold");
    }

    @Test
    void badArgsExitTwoWithAClearMessage() throws Exception {
        Run r = run("--port", "9000", "--interval-ms", "soon");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("twincloud-edge: --interval-ms needs an integer, got: soon");
    }

    @Test
    void anUnknownLogFormatExitsTwo() throws Exception {
        Run r = run(java.util.Map.of(EdgeMain.LOG_FORMAT_VARIABLE, "ecs"), "--port", "0", "--backend", "gcp=http://127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("LOGGING_STRUCTURED_FORMAT_CONSOLE must be logstash (JSON lines) or unset (text), got: ecs");
    }

    /** The real process with the lab's setting: its first line on stdout is a JSON line (docs/logging.md). */
    @Test
    void withTheLogstashFormatItLogsJsonLines() throws Exception {
        Process p = edge(java.util.Map.of(EdgeMain.LOG_FORMAT_VARIABLE, "logstash"), "--port", "0", "--backend", "gcp=http://127.0.0.1:1")
                .redirectErrorStream(true).start();
        try (var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String first = out.readLine();
            assertThat(first).as("the first line").isNotNull().startsWith("{\"@timestamp\":\"")
                    .contains("\"level\":\"INFO\"").contains("\"component\":\"edge\"").contains("edge listening on http://127.0.0.1:");
        } finally {
            p.destroy();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
    }
}
