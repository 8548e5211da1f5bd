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
        List<String> cmd = new ArrayList<>(List.of(
                System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
                "-cp", System.getProperty("java.class.path"), EdgeMain.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
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
}
