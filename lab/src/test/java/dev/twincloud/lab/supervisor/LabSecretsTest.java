package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabSecretsTest {

    @Test
    void makesThreeDistinctArbiterTokensOnceInAPrivateFile(@TempDir Path root) throws Exception {
        LabLayout layout = new LabLayout(root, 23100);

        LabSecrets made = LabSecrets.loadOrCreate(layout);
        LabSecrets loaded = LabSecrets.loadOrCreate(layout);

        assertThat(List.of(made.agentToken(), made.operatorToken(), made.viewerToken())).doesNotHaveDuplicates()
                .allSatisfy(t -> assertThat(t).hasSizeGreaterThanOrEqualTo(16));
        assertThat(loaded.viewerToken()).isEqualTo(made.viewerToken());
        assertThat(loaded.operatorToken()).isEqualTo(made.operatorToken());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(layout.secretsFile()))).isEqualTo("rw-------");
    }

    @Test
    void aSecretsFileFromBeforeTheViewerTokenGetsOneAndKeepsTheRest(@TempDir Path root) throws Exception {
        LabLayout layout = new LabLayout(root, 23100);
        LabSecrets first = LabSecrets.loadOrCreate(layout);
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(layout.secretsFile())) {
            p.load(r);
        }
        p.remove(LabSecrets.VIEWER_KEY);
        try (var w = Files.newBufferedWriter(layout.secretsFile())) {
            p.store(w, "an older lab");
        }

        LabSecrets upgraded = LabSecrets.loadOrCreate(layout);

        assertThat(upgraded.viewerToken()).isNotBlank().isNotIn(first.agentToken(), first.operatorToken());
        assertThat(upgraded.agentToken()).isEqualTo(first.agentToken());
        assertThat(LabSecrets.loadOrCreate(layout).viewerToken()).as("kept for the next start").isEqualTo(upgraded.viewerToken());
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(layout.secretsFile()))).isEqualTo("rw-------");
    }
}
