package dev.twincloud.pgctl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;

/**
 * A base backup without pg_basebackup (the embedded binaries lack it), for a primary whose data dir is on this
 * machine: pg_backup_start, copy the files, pg_backup_stop, write backup_label. The copy may see torn pages;
 * WAL replay from the backup's start point (full_page_writes) repairs them, as for any online backup.
 * The same session must run start and stop (non-exclusive backup), so one connection is held throughout.
 */
final class LowLevelBackup {
    /** Top-level files never copied: they describe the running source, not the cluster. */
    private static final Set<String> SKIP_FILES = Set.of("postmaster.pid", "postmaster.opts", "backup_label",
            "backup_label.old", "tablespace_map", "tablespace_map.old", "standby.signal", "recovery.signal",
            "current_logfiles");
    /** Directories copied empty, as pg_basebackup does (pg_wal: the standby streams what it needs). */
    private static final Set<String> EMPTY_DIRS = Set.of("pg_wal", "pg_replslot", "pg_dynshmem", "pg_notify",
            "pg_serial", "pg_snapshots", "pg_stat_tmp", "pg_subtrans");

    private LowLevelBackup() {
    }

    static void copy(PostgresServer primary, Path target) {
        boolean pre15 = primary.binaries().majorVersion() < 15;
        try (Connection c = primary.connect()) {
            try (PreparedStatement st = c.prepareStatement(pre15 ? "SELECT pg_start_backup(?, true, false)"
                    : "SELECT pg_backup_start(?, true)")) {
                st.setString(1, "twincloud clone to " + target);
                st.execute();
            }
            copyTree(primary.dataDir(), target);
            try (PreparedStatement st = c.prepareStatement(pre15
                    ? "SELECT lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)"
                    : "SELECT lsn, labelfile, spcmapfile FROM pg_backup_stop(false)");
                 ResultSet rs = st.executeQuery()) {
                rs.next();
                Files.writeString(target.resolve("backup_label"), rs.getString("labelfile"));
                String spcmap = rs.getString("spcmapfile");
                if (spcmap != null && !spcmap.isEmpty()) {
                    Files.writeString(target.resolve("tablespace_map"), spcmap);
                }
            }
        } catch (SQLException e) {
            throw new PgException("Base backup of " + primary + " via pg_backup_start/stop failed: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("Copying " + primary.dataDir() + " to " + target + " failed", e);
        }
    }

    private static void copyTree(Path source, Path target) throws IOException {
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Path rel = source.relativize(dir);
                Files.createDirectories(target.resolve(rel.toString()));
                if (rel.getNameCount() == 1 && EMPTY_DIRS.contains(rel.toString())) {
                    if (rel.toString().equals("pg_wal")) {
                        Files.createDirectories(target.resolve("pg_wal/archive_status"));
                        copyHistoryFiles(dir, target.resolve("pg_wal"));
                    }
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Path rel = source.relativize(file);
                String name = file.getFileName().toString();
                if (rel.getNameCount() == 1 && SKIP_FILES.contains(name) || name.equals("pg_internal.init")
                        || name.startsWith("pgsql_tmp") || !(attrs.isRegularFile() || attrs.isSymbolicLink())) {
                    return FileVisitResult.CONTINUE; // sockets, temp files, relcache init files
                }
                try {
                    Files.copy(file, target.resolve(rel.toString()), StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                } catch (NoSuchFileException gone) {
                    // dropped while we copied (e.g. a table): WAL replay will drop it too
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }
        });
    }

    /** Timeline history files: a standby of a promoted primary needs them to follow its timeline. */
    private static void copyHistoryFiles(Path walDir, Path targetWal) throws IOException {
        try (var files = Files.list(walDir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.getFileName().toString().endsWith(".history"))::iterator) {
                Files.copy(f, targetWal.resolve(f.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }
}
