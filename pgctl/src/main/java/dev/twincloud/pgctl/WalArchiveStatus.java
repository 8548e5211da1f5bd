package dev.twincloud.pgctl;

import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The archive status of the WAL files in a data directory's {@code pg_wal} ({@code archive_status/<file>.ready}
 * or {@code .done}), and marking files for the archiver.
 *
 * <p>Why: a standby with {@code archive_mode=always} archives only what its WAL receiver or restore_command
 * brings. WAL that pg_rewind or pg_basebackup put into {@code pg_wal} — the new timeline's history file, the
 * first segments of that timeline — is never marked {@code .ready} (pg_basebackup even marks what it streamed
 * {@code .done}), so the site's own archive would lack exactly the files a restore across the failover needs
 * (docs/backups.md). Marking them {@code .ready} makes the archiver ship them at its next round, like any
 * segment it received.
 */
public final class WalArchiveStatus {
    /** A WAL segment ({@code 000000020000000000000003}) or a timeline history file ({@code 00000002.history}). */
    private static final Pattern ARCHIVABLE = Pattern.compile("[0-9A-F]{24}|[0-9A-F]{8}\\.history");

    public enum Status { READY, DONE, NONE }

    private WalArchiveStatus() {
    }

    /**
     * The number of WAL files waiting for the archiver ({@code .ready}: segments, partial segments, history
     * files) on the server {@code c} is connected to, read through SQL so that it works wherever the agent's
     * role connects (a CloudNativePG pod's data directory is not the agent's): {@code pg_ls_archive_statusdir()}
     * (PostgreSQL 12+), which a superuser or a member of {@code pg_monitor} may call. Empty when the server
     * does not archive ({@code archive_mode=off}: nothing will ever wait for an archiver), or when the role
     * may not read it (or the query fails otherwise): the backlog is then unknown, never guessed. {@code c}
     * must be in auto-commit mode (a failed statement must not abort a transaction of the caller's).
     */
    public static Optional<Integer> backlog(Connection c) {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT CASE WHEN current_setting('archive_mode') = 'off' THEN NULL"
                     + " ELSE (SELECT count(*) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready') END")) {
            rs.next();
            int n = rs.getInt(1);
            return rs.wasNull() ? Optional.empty() : Optional.of(n);
        } catch (SQLException e) {
            return Optional.empty();
        }
    }

    /** Every segment and history file in {@code dataDir/pg_wal} with its archive status. */
    public static Map<String, Status> read(Path dataDir) {
        Path wal = dataDir.resolve("pg_wal");
        Map<String, Status> all = new HashMap<>();
        if (!Files.isDirectory(wal)) {
            return all;
        }
        try (Stream<Path> files = Files.list(wal)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (Files.isRegularFile(f) && ARCHIVABLE.matcher(name).matches()) {
                    all.put(name, statusOf(wal, name));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + wal, e);
        }
        return all;
    }

    /**
     * After a rewind: marks {@code .ready} each file in {@code pg_wal} that was not there before it (named in
     * {@code before}: pg_rewind copied it from the source) and holds only its own WAL ({@link #holdsOnlyItsOwnWal}),
     * and each file that was {@code .ready} before (not yet archived when the old primary stopped; pg_rewind may have
     * replaced its status). Returns the files marked.
     */
    public static List<String> markCopiedForArchiving(PostgresServer server, Map<String, Status> before) {
        List<String> marked = new ArrayList<>();
        read(server.dataDir()).forEach((name, now) -> {
            boolean copied = !before.containsKey(name);
            boolean wasReady = before.get(name) == Status.READY;
            // a copied segment only when it holds nothing but its own WAL: one PostgreSQL had recycled (an old segment
            // renamed for reuse: for the future, or the one being written) still holds another segment's pages, which
            // the archive guard could never tell from a different history; the WAL receiver streams such a segment
            // again from its first byte and marks it once complete. One being written with zeros after is archived
            // as it is and replaced by its complete state (the guard's "earlier state": docs/backups.md).
            if ((copied || wasReady) && now != Status.READY && (wasReady || holdsOnlyItsOwnWal(server.dataDir().resolve("pg_wal").resolve(name)))) {
                markReady(server, name);
                marked.add(name);
            } else if (before.get(name) == Status.DONE && now == Status.READY) {
                // pg_rewind copies the source's archive_status too: a file this site archived already (its own
                // version, e.g. the old timeline's segment where it diverged) is not archived again.
                mark(server, name, ".done", ".ready");
            }
        });
        marked.sort(null);
        return marked;
    }

    /**
     * Whether {@code file} in {@code pg_wal} is a history file or a WAL segment that holds nothing but WAL of its own
     * name: every page either names its own position in its header ({@code xlp_pageaddr}), or is still zero (a
     * segment being written, the padding after a WAL switch). A segment PostgreSQL recycled — an old segment renamed
     * for reuse, overwritten as WAL goes on — still holds pages of the old position after the part already
     * overwritten. The timeline in a page header is not compared: a new timeline's first segment begins with the
     * old timeline's pages.
     */
    public static boolean holdsOnlyItsOwnWal(Path file) {
        String name = file.getFileName().toString();
        if (name.endsWith(".history")) {
            return true;
        }
        if (!name.matches("[0-9A-F]{24}")) {
            return false;
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < WAL_PAGE || Long.bitCount(size) != 1) {
                return false;
            }
            long segno = Long.parseLong(name.substring(8, 16), 16) * (0x1_0000_0000L / size) + Long.parseLong(name.substring(16), 16);
            java.nio.ByteBuffer header = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            for (long page = 0; page < size; page += WAL_PAGE) {
                header.clear();
                while (header.hasRemaining() && ch.read(header, page + header.position()) > 0) {
                    // a positional read may return fewer bytes
                }
                long address = header.getLong(8);
                boolean zero = header.getLong(0) == 0 && address == 0;
                if (!zero && address != segno * size + page) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** XLOG_BLCKSZ: PostgreSQL's WAL page size, 8 kB unless built otherwise. */
    private static final int WAL_PAGE = 8192;

    /**
     * After a clone: marks {@code .ready} every segment that holds only its own WAL and every history file in {@code pg_wal}
     * ({@link #markCopiedForArchiving}). Returns the files marked.
     */
    public static List<String> markAllForArchiving(PostgresServer server) {
        return markCopiedForArchiving(server, Map.of());
    }

    /**
     * After a restore that promoted with archiving off (the new timeline's history file got no status, so it would
     * never be archived, and a later restore from the store could not find the timeline): marks {@code .ready}
     * every history file in {@code pg_wal} that has no status. Segments are left alone: a segment the store holds
     * may differ from its copy here (the old timeline's last one), and the new timeline's are marked as they fill.
     * Returns the files marked.
     */
    public static List<String> markHistoryForArchiving(PostgresServer server) {
        List<String> marked = new ArrayList<>();
        read(server.dataDir()).forEach((name, now) -> {
            if (name.endsWith(".history") && now == Status.NONE) {
                markReady(server, name);
                marked.add(name);
            }
        });
        marked.sort(null);
        return marked;
    }

    private static Status statusOf(Path wal, String name) {
        Path status = wal.resolve("archive_status");
        if (Files.exists(status.resolve(name + ".ready"))) {
            return Status.READY;
        }
        return Files.exists(status.resolve(name + ".done")) ? Status.DONE : Status.NONE;
    }

    private static void markReady(PostgresServer server, String name) {
        mark(server, name, ".ready", ".done");
    }

    private static void mark(PostgresServer server, String name, String status, String replacing) {
        Path dir = server.dataDir().resolve("pg_wal").resolve("archive_status");
        try {
            if (!Files.isDirectory(dir)) {
                server.osUser().prepareOwnedDir(dir);
            }
            Files.deleteIfExists(dir.resolve(name + replacing));
            server.osUser().prepareOwnedFile(dir.resolve(name + status));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot mark " + name + " " + status + " in " + dir, e);
        }
    }
}
