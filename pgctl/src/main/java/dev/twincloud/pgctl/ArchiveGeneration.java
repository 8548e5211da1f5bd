package dev.twincloud.pgctl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A data directory's archive generation (docs/backups.md): the file {@value #FILE} in the data directory
 * names the clone this directory began as, so that a site's archive command can archive under a server
 * name of its own generation ({@code <site>-<generation>}) and a re-cloned site starts a clean archive
 * path instead of meeting the names its earlier life archived. A directory made by initdb has no file
 * (the first generation: the plain site name); {@link Replication#createStandby} writes a new one after
 * every clone (the copy brought the source's), and {@link Replication#rewind} puts the target's own back
 * after pg_rewind (which copies the source's too): a rewound site keeps its path, a re-cloned one gets a
 * new one. The archive command reads the file at each call (PostgreSQL runs it in the data directory).
 */
public final class ArchiveGeneration {
    /** In the data directory; read by the archive command at each call. */
    public static final String FILE = "twincloud_archive_generation";
    /** {@code g} and the clone's start, UTC to the millisecond: sorts by time, unique per site in practice. */
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("'g'yyyyMMdd'-'HHmmssSSS").withZone(ZoneOffset.UTC);
    /** What a generation looks like (a file edited by hand to anything else is ignored: the first generation). */
    public static final Pattern NAME = Pattern.compile("g\\d{8}-\\d{9}");

    private ArchiveGeneration() {
    }

    /** The generation of {@code dataDir}; empty: the first (a directory made by initdb, or from before generations). */
    public static Optional<String> read(Path dataDir) {
        Path f = dataDir.resolve(FILE);
        try {
            if (!Files.isRegularFile(f)) {
                return Optional.empty();
            }
            String g = Files.readString(f, StandardCharsets.UTF_8).strip();
            return NAME.matcher(g).matches() ? Optional.of(g) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f, e);
        }
    }

    /** The generation a clone starting at {@code at} gets. */
    public static String of(Instant at) {
        return STAMP.format(at);
    }

    /** The archive's server name of {@code site} in {@code generation} (empty: the first, the plain site name). */
    public static String serverName(String site, Optional<String> generation) {
        return generation.map(g -> site + "-" + g).orElse(site);
    }

    /** Records {@code generation} in {@code server}'s data directory (empty: removes the file, the first generation). */
    static void write(PostgresServer server, Optional<String> generation) {
        Path f = server.dataDir().resolve(FILE);
        try {
            if (generation.isEmpty()) {
                Files.deleteIfExists(f);
                return;
            }
            Files.writeString(f, generation.get() + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + f, e);
        }
        server.osUser().prepareOwnedFile(f);
    }
}
