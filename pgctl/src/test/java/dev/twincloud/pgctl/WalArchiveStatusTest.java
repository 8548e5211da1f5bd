package dev.twincloud.pgctl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a clone or pg_rewind brings into {@code pg_wal} is marked for the site's archiver only when it holds nothing
 * but WAL of its own name (and history files), on WAL a real server wrote; recycled segments are made as PostgreSQL
 * makes them (an old segment's file under a later name). Found by FailoverBenchmark with backups on (2026-12-01):
 * pg_rewind copies the source's whole {@code pg_wal} — the segment being written, and the segments PostgreSQL had
 * already recycled for the future (old segments renamed, their old bytes still in them) — and the rewound site
 * archived them under their full names; when its WAL receiver later wrote the real segment, the archive guard found a
 * different file of that name in the store and refused it for ever: that site's archive stopped there, and a planned
 * switchover waiting for the old writer's archiver timed out.
 */
class WalArchiveStatusTest {
    Path base;
    PostgresServer pg;

    @AfterEach
    void stop() {
        if (pg != null) {
            pg.stop(StopMode.FAST);
        }
        TempDirs.deleteQuietly(base);
    }

    @Test
    void onlyCompleteSegmentsAndHistoryFilesAreMarked() throws IOException {
        base = TempDirs.create("pgctl-walstatus-");
        pg = PostgresServer.builder(base.resolve("pg")).settings(Map.of("fsync", "off")).stopOnJvmExit(true).build();
        pg.initdb().start();
        pg.execute("CREATE TABLE t(v text)");
        for (int i = 0; i < 3; i++) {
            pg.execute("INSERT INTO t SELECT repeat('x', 100) FROM generate_series(1, 1000)");
            pg.execute("SELECT pg_switch_wal()");
        }
        pg.execute("INSERT INTO t VALUES ('in the current segment')");
        String current = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.stop(StopMode.FAST);
        pg = null;

        Path wal = base.resolve("pg/pg_wal");
        List<String> segments;
        try (Stream<Path> files = Files.list(wal)) {
            segments = files.map(f -> f.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}")).sorted().toList();
        }
        List<String> complete = segments.stream().filter(n -> n.compareTo(current) < 0).toList();
        assertThat(complete).as("pg_switch_wal closed some").isNotEmpty();
        // what recycling leaves: an old segment renamed to a future name, its old bytes in it
        String future = next(current, 2);
        Files.copy(wal.resolve(complete.getFirst()), wal.resolve(future));
        // and a recycled segment being written: its first part overwritten, another segment's pages after it
        String writing = next(current, 3);
        byte[] recycled = Files.readAllBytes(wal.resolve(complete.getFirst()));
        byte[] own = Files.readAllBytes(wal.resolve(current));
        byte[] mixed = recycled.clone();
        System.arraycopy(own, 0, mixed, 0, 8192);
        Files.write(wal.resolve(writing), mixed);
        // a timeline history file, as a promotion leaves
        Files.writeString(wal.resolve("00000002.history"), "1\t0/3000000\tno recovery target specified\n");
        clearStatus(wal);

        PostgresServer offline = PostgresServer.builder(base.resolve("pg")).stopOnJvmExit(false).build();
        List<String> marked = WalArchiveStatus.markAllForArchiving(offline);

        assertThat(marked).as("the segments switched out (their padding zeroed), the history file, and the segment being "
                        + "written with zeros after its last page (archived as an earlier state, replaced once complete)")
                .containsAll(complete).contains("00000002.history", current)
                .as("never a recycled one: another segment's pages under this name").doesNotContain(future, writing);
        assertThat(WalArchiveStatus.holdsOnlyItsOwnWal(wal.resolve(future))).isFalse();
        assertThat(WalArchiveStatus.holdsOnlyItsOwnWal(wal.resolve(writing))).isFalse();
        assertThat(WalArchiveStatus.holdsOnlyItsOwnWal(wal.resolve(complete.getLast()))).isTrue();
    }

    /** The name of the segment {@code n} after {@code segment} (same timeline; 16 MB segments, as initdb made them). */
    private static String next(String segment, int n) {
        return segment.substring(0, 16) + "%08X".formatted(Integer.parseInt(segment.substring(16), 16) + n);
    }

    private static void clearStatus(Path wal) throws IOException {
        try (Stream<Path> files = Files.list(wal.resolve("archive_status"))) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
    }
}
