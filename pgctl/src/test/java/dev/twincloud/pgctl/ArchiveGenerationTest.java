package dev.twincloud.pgctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ArchiveGenerationTest {

    @Test
    void aGenerationIsTheClonesStartSortableByTimeAndNamesTheArchivesServer(@TempDir Path data) throws Exception {
        String earlier = ArchiveGeneration.of(Instant.parse("2026-11-30T09:59:59.999Z"));
        String later = ArchiveGeneration.of(Instant.parse("2026-11-30T10:00:00.000Z"));
        assertThat(earlier).isEqualTo("g20261130-095959999").matches(ArchiveGeneration.NAME);
        assertThat(later).isGreaterThan(earlier);
        assertThat(ArchiveGeneration.serverName("gcp", Optional.of(later))).isEqualTo("gcp-g20261130-100000000");
        assertThat(ArchiveGeneration.serverName("gcp", Optional.empty())).as("the first generation").isEqualTo("gcp");

        assertThat(ArchiveGeneration.read(data)).as("made by initdb: no file").isEmpty();
        Files.writeString(data.resolve(ArchiveGeneration.FILE), later + "\n");
        assertThat(ArchiveGeneration.read(data)).contains(later);
        Files.writeString(data.resolve(ArchiveGeneration.FILE), "../../elsewhere\n");
        assertThat(ArchiveGeneration.read(data)).as("anything else is no generation (the archive command ignores it too)").isEmpty();
    }
}
