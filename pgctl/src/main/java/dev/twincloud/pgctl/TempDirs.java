package dev.twincloud.pgctl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/** Throwaway base directories for servers (tests, dev mode), traversable by the server user. */
public final class TempDirs {
    private TempDirs() {
    }

    /**
     * A new dir under java.io.tmpdir with mode 0711: the server user may pass through (to its own 0700 data dir
     * and log file inside) but not list it.
     */
    public static Path create(String prefix) {
        try {
            Path dir = Files.createTempDirectory(prefix);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx--x--x"));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a temp dir", e);
        }
    }

    /** Deletes a tree, ignoring what cannot be deleted. */
    public static void deleteQuietly(Path dir) {
        EmbeddedBinaries.deleteQuietly(dir);
    }
}
