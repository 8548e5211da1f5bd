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
        assertThat(AppLaunch.args(JAVA, jar, "gcp-api", 7400)).containsExactly("-jar", jar.toString());
    }

    /** The arbiter's executable jar as built: extracted once per build, an archive per component and lab, old builds removed. */
    @Test
    void theArbitersJarIsExtractedOncePerBuildWithAnArchivePerComponentAndLab() throws IOException {
        Path home = Path.of(System.getProperty("twincloud.home", "..")).toAbsolutePath().normalize();
        Path exec;
        try (Stream<Path> s = Files.list(home.resolve("arbiter/target"))) {
            exec = s.filter(p -> p.getFileName().toString().matches("twincloud-arbiter-.*-exec\\.jar")).findFirst().orElseThrow();
        }
        Path stale = exec.getParent().resolve("extracted").resolve("1-1");
        Files.createDirectories(stale);
        List<String> first = AppLaunch.args(JAVA, exec, "gcp-agent", 7400);
        List<String> again = AppLaunch.args(JAVA, exec, "gcp-agent", 7400);
        assertThat(again).isEqualTo(first);
        String build = Files.size(exec) + "-" + Files.getLastModifiedTime(exec).toMillis();
        assertThat(first.getLast()).endsWith("/extracted/" + build + "/" + exec.getFileName());
        assertThat(first).contains("-XX:+AutoCreateSharedArchive")
                .anyMatch(a -> a.startsWith("-XX:SharedArchiveFile=") && a.contains("/extracted/" + build + "/cds/gcp-agent-7400-jdk"));
        assertThat(AppLaunch.args(JAVA, exec, "aws-agent", 7400)).anyMatch(a -> a.contains("/cds/aws-agent-7400-jdk"));
        assertThat(stale).as("an older build's extraction is removed").doesNotExist();
    }
}
