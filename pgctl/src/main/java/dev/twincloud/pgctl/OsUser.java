package dev.twincloud.pgctl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Who runs the PostgreSQL programs. PostgreSQL refuses to run as root, and CI runs as root: then every
 * program runs through {@code runuser -u <osUser> --} and the files it needs are handed to that user.
 * As any other user nothing is wrapped and nothing changes owner.
 */
public final class OsUser {
    private static final String DEFAULT_USER = "postgres";

    private final boolean root;
    private final String name;

    private OsUser(boolean root, String name) {
        this.root = root;
        this.name = name;
    }

    /** The user for the current JVM: {@code twincloud.pg.osUser} / {@code TWINCLOUD_PG_OS_USER} when root. */
    public static OsUser current() {
        boolean root = currentUid() == 0;
        String name = root ? Config.get(Config.OS_USER).orElse(DEFAULT_USER) : System.getProperty("user.name");
        return new OsUser(root, name);
    }

    /** Runs commands as the JVM's own user; for probes that PostgreSQL allows as root (--version). */
    static OsUser unwrapped() {
        return new OsUser(false, System.getProperty("user.name"));
    }

    static int currentUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : 1000;
        }
    }

    /** True when the JVM is root and programs run as {@link #name()} instead. */
    public boolean switchesUser() {
        return root;
    }

    /** The OS user PostgreSQL programs run as. */
    public String name() {
        return name;
    }

    List<String> wrap(List<String> command) {
        if (!root) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("runuser", "-u", name, "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /**
     * Creates {@code dir} (mode 0700) owned by the server user, and makes every ancestor traversable by it.
     * Java temp dirs (JUnit @TempDir, Files.createTempDirectory) are 0700 root: without o+x on them the
     * server user cannot reach its data directory.
     */
    public void prepareOwnedDir(Path dir) {
        try {
            Path abs = dir.toAbsolutePath().normalize();
            Files.createDirectories(abs);
            setMode(abs, "rwx------");
            if (root) {
                makeAncestorsTraversable(abs);
                chownRecursively(abs);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare directory " + dir + " for OS user " + name, e);
        }
    }

    /** Creates (if missing) a file the server user may write, e.g. a server log next to the data dir. */
    public void prepareOwnedFile(Path file) {
        try {
            Path abs = file.toAbsolutePath().normalize();
            Files.createDirectories(abs.getParent());
            if (!Files.exists(abs)) {
                Files.createFile(abs);
            }
            setMode(abs, "rw-------");
            if (root) {
                makeAncestorsTraversable(abs);
                Files.setOwner(abs, principal());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot prepare file " + file + " for OS user " + name, e);
        }
    }

    /** Gives a tree (e.g. a data dir copied by root) to the server user. No-op unless switching user. */
    public void chownRecursively(Path dir) throws IOException {
        if (!root) {
            return;
        }
        UserPrincipal owner = principal();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.getFileAttributeView(d, java.nio.file.attribute.PosixFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).setOwner(owner);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.getFileAttributeView(f, java.nio.file.attribute.PosixFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).setOwner(owner);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Adds o+x (search only, not read) to ancestors that lack it, so the server user can walk through.
     * Directories the server user owns (its data dir) are left alone: PostgreSQL insists on 0700/0750 there.
     */
    void makeAncestorsTraversable(Path path) throws IOException {
        for (Path p = path.getParent(); p != null; p = p.getParent()) {
            if (Files.getOwner(p).getName().equals(name)) {
                continue;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
            if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                perms.add(PosixFilePermission.OTHERS_EXECUTE);
                Files.setPosixFilePermissions(p, perms);
            }
        }
    }

    private UserPrincipal principal() throws IOException {
        try {
            return Path.of("/").getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(name);
        } catch (java.nio.file.attribute.UserPrincipalNotFoundException e) {
            throw new PgException("OS user '" + name + "' does not exist. PostgreSQL cannot run as root; create the"
                    + " user (useradd --system postgres) or name another one with -Dtwincloud.pg.osUser=... or"
                    + " TWINCLOUD_PG_OS_USER.", e);
        }
    }

    private static void setMode(Path p, String mode) throws IOException {
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
    }

    @Override
    public String toString() {
        return root ? "root -> runuser -u " + name : name;
    }
}
