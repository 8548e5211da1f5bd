package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppLaunchTest {
    static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @Test
    void aJarThatCannotBeExtractedIsStartedAsItIs(@TempDir Path dir) throws IOException {
        Path jar = dir.resolve("plain-exec.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            // no Spring Boot loader, no jarmode: extracting fails
        }
        assertThat(AppLaunch.args(JAVA, jar, "gcp-api")).containsExactly("-jar", jar.toString());
    }

    /**
     * The arbiter's executable jar as built: extracted once per build, an archive per component shared by every lab of
     * the build (a drill's components, killed, never write one; a test's lab is the first of its base port), old
     * builds removed.
     */
    @Test
    void theArbitersJarIsExtractedOncePerBuildWithAnArchivePerComponentForEveryLab() throws IOException {
        Path home = Path.of(System.getProperty("twincloud.home", "..")).toAbsolutePath().normalize();
        Path exec;
        try (Stream<Path> s = Files.list(home.resolve("arbiter/target"))) {
            exec = s.filter(p -> p.getFileName().toString().matches("twincloud-arbiter-.*-exec\\.jar")).findFirst().orElseThrow();
        }
        Path stale = exec.getParent().resolve("extracted").resolve("1-1");
        Files.createDirectories(stale);
        List<String> first = AppLaunch.args(JAVA, exec, "gcp-agent");
        List<String> again = AppLaunch.args(JAVA, exec, "gcp-agent");
        assertThat(again).isEqualTo(first);
        String build = Files.size(exec) + "-" + Files.getLastModifiedTime(exec).toMillis();
        assertThat(first.getLast()).endsWith("/extracted/" + build + "/" + exec.getFileName());
        assertThat(first).contains("-XX:+AutoCreateSharedArchive", "-XX:+VerifySharedSpaces")
                .anyMatch(a -> a.startsWith("-XX:SharedArchiveFile=") && a.contains("/extracted/" + build + "/cds/gcp-agent-jdk"));
        assertThat(AppLaunch.args(JAVA, exec, "aws-agent")).anyMatch(a -> a.contains("/cds/aws-agent-jdk"));
        assertThat(stale).as("an older build's extraction is removed").doesNotExist();
    }

    /**
     * A JVM given a file that is not a dynamic archive (half-written by a JVM killed while it wrote it, or spoiled)
     * takes it for its base archive, runs without any — the JDK's own classes included — and never writes it again:
     * checked here on a real JVM. The launcher deletes such a file, and the next JVM that stops writes a good one,
     * which the JVM after it maps.
     */
    @Test
    void aFileThatIsNotAnArchiveIsDeletedAndTheNextCleanStopWritesOneThatIsMapped(@TempDir Path dir) throws Exception {
        Path archive = dir.resolve("gcp-agent.jsa");
        byte[] junk = new byte[1 << 16];
        new java.util.Random(7).nextBytes(junk);
        Files.write(archive, junk);
        List<String> flags = List.of(JAVA, "-XX:SharedArchiveFile=" + archive, "-XX:+AutoCreateSharedArchive", "-XX:+VerifySharedSpaces", "-version");
        run(flags);
        assertThat(Files.readAllBytes(archive)).as("the JVM leaves a spoiled archive as it is").isEqualTo(junk);

        AppLaunch.deleteIfNotAnArchive(archive);
        assertThat(archive).doesNotExist();
        assertThat(run(flags)).isZero();
        assertThat(archive).as("written at the clean exit").exists();
        AppLaunch.deleteIfNotAnArchive(archive);
        assertThat(archive).as("a good archive is kept").exists();
        List<String> mapped = new java.util.ArrayList<>(flags);
        mapped.add(1, "-Xshare:on"); // the JVM fails to start unless it maps the archive
        assertThat(run(mapped)).as("the next JVM maps it").isZero();
    }

    private static int run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
