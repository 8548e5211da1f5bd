package dev.twincloud.pgctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Where binaries come from: system first, embedded (unpacked from Maven Central's jar) as the fallback. */
class BinaryLocatorTest {
    static Path base;

    @BeforeAll
    static void base() {
        base = TempDirs.create("pgctl-bin-");
    }

    @AfterAll
    static void cleanUp() {
        TempDirs.deleteQuietly(base);
    }

    @Test
    void findsTheInstalledServerBinariesFirst() {
        PgBinaries b = PgBinaries.locate();
        assertThat(b.kind()).isEqualTo(PgBinaries.Kind.SYSTEM);
        assertThat(b.majorVersion()).isGreaterThanOrEqualTo(15);
        assertThat(b.has(PgTool.PG_BASEBACKUP)).isTrue();
        assertThat(b.has(PgTool.PG_REWIND)).isTrue();
    }

    @Test
    void anExplicitBinDirWins() {
        Path dir = PgBinaries.locate().binDir();
        PgBinaries b = new BinaryLocator(Optional.of(dir), BinaryLocator.Mode.AUTO, "", base).locate();
        assertThat(b.binDir()).isEqualTo(dir);
    }

    @Test
    void picksTheNewestVersionUnderTheSystemRootNumerically() throws Exception {
        Path root = base.resolve("usr-lib-postgresql");
        for (String v : List.of("9.6", "15", "10")) {
            Path pgCtl = Files.createDirectories(root.resolve(v).resolve("bin")).resolve("pg_ctl");
            Files.writeString(pgCtl, "#!/bin/sh\n");
            Files.setPosixFilePermissions(pgCtl, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        assertThat(BinaryLocator.newestUnder(root)).contains(root.resolve("15/bin"));
    }

    @Test
    void unpacksTheEmbeddedBinariesOnceEvenWithConcurrentUnpackers() {
        EmbeddedBinaries embedded = new EmbeddedBinaries(EmbeddedBinaries.fromClasspath().version(),
                base.resolve("cache"));
        CompletableFuture<Path> a = CompletableFuture.supplyAsync(embedded::unpack);
        CompletableFuture<Path> b = CompletableFuture.supplyAsync(embedded::unpack);
        assertThat(a.join()).isEqualTo(b.join());
        assertThat(a.join()).isEqualTo(base.resolve("cache").resolve("pg-" + embedded.version()).resolve("bin"));
        assertThat(base.resolve("cache").toFile().list()).containsExactly("pg-" + embedded.version());
    }

    @Test
    void embeddedBinariesRunAServerAndCloneAStandbyWithoutPgBasebackup() {
        PgBinaries embedded = new BinaryLocator(Optional.empty(), BinaryLocator.Mode.EMBEDDED, "", base).locate();
        assertThat(embedded.kind()).isEqualTo(PgBinaries.Kind.EMBEDDED);
        assertThat(embedded.version()).startsWith(Integer.toString(embedded.majorVersion()));
        assertThat(embedded.has(PgTool.PG_BASEBACKUP)).isFalse();
        assertThat(embedded.has(PgTool.PG_REWIND)).isFalse();

        try (PostgresPair pair = PostgresPair.start(base.resolve("embedded"), embedded,
                java.util.Map.of("fsync", "off"), "aws", true, true)) {
            assertThat(pair.primary().queryString("SHOW server_version")).startsWith(embedded.version());
            pair.primary().execute("CREATE TABLE t AS SELECT 42 AS v");
            pair.awaitCaughtUp(Duration.ofSeconds(30));
            assertThat(pair.standby().queryString("SELECT v FROM t")).isEqualTo("42");
            assertThat(Replication.peers(pair.primary())).singleElement()
                    .satisfies(p -> assertThat(p.syncState()).isEqualTo("sync"));
        }
    }
}
