package dev.twincloud.pgctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An agent killed while its pg_rewind (or pg_basebackup) runs leaves that process behind: nothing
 * kills a child when the JVM dies. The next agent's rewind must not run beside it on the same data
 * directory. The leftover here is a stand-in: a script named {@code pg_rewind} that only sleeps, so
 * that the test controls how long it lives; what is judged is the name and the data directory in its
 * command line, as for the real tool.
 */
class LeftoverToolsTest {

    @Test
    void aLeftoverRewindOfThisDataDirectoryIsKilledAndOneOfAnotherIsNot(@TempDir Path tmp) throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path tool = bin.resolve("pg_rewind");
        Files.writeString(tool, "#!/bin/sh\nsleep 60\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path data = Files.createDirectories(tmp.resolve("data"));
        Path other = Files.createDirectories(tmp.resolve("other"));
        Process ours = new ProcessBuilder(List.of(tool.toString(), "-D", data.toString(), "--source-server=port=1")).start();
        Process theirs = new ProcessBuilder(List.of(tool.toString(), "--pgdata=" + other, "--source-server=port=1")).start();
        try {
            assertThat(Poll.until(Duration.ofSeconds(10), () -> Processes.toolsWritingTo(data).size() == 1)).isTrue();
            assertThat(Processes.toolsWritingTo(data)).containsExactly(ours.pid());
            assertThat(Processes.toolsWritingTo(other)).containsExactly(theirs.pid());

            assertThat(Processes.killToolsWritingTo(data)).isEqualTo(1);

            assertThat(Poll.until(Duration.ofSeconds(10), () -> !ours.isAlive())).isTrue();
            assertThat(theirs.isAlive()).as("another data directory's tool").isTrue();
            assertThat(Processes.toolsWritingTo(data)).isEmpty();
        } finally {
            ours.descendants().forEach(ProcessHandle::destroyForcibly);
            theirs.descendants().forEach(ProcessHandle::destroyForcibly);
            ours.destroyForcibly();
            theirs.destroyForcibly();
        }
    }
}
