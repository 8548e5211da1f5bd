package dev.twincloud.lab.backup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The programs backups need (docs/adr/0015): the object store, {@code s3rver} (npm), Debian's
 * {@code barman-cli-cloud}, and {@code curl} (the archive command's check for an object already there). Found like
 * the lab's other optional tools: an explicit path ({@code TWINCLOUD_S3RVER}; {@code TWINCLOUD_BARMAN_CLOUD_BINDIR}
 * for the directory of the {@code barman-cloud-*} programs), else on the {@code PATH}.
 *
 * @param s3rver    the s3rver launcher
 * @param barmanDir the directory holding {@code barman-cloud-wal-archive} and its siblings
 * @param curl      curl
 */
public record BackupTools(Path s3rver, Path barmanDir, Path curl) {
    static final String WAL_ARCHIVE = "barman-cloud-wal-archive";
    static final List<String> BARMAN = List.of(WAL_ARCHIVE, "barman-cloud-wal-restore", "barman-cloud-backup",
            "barman-cloud-backup-list", "barman-cloud-restore");

    /** Both tools, or empty when either is missing (the lab then runs without backups and says so). */
    public static Optional<BackupTools> find() {
        Optional<Path> s3rver = locate("TWINCLOUD_S3RVER", "s3rver");
        Optional<Path> barman = findBarmanDir();
        Optional<Path> curl = locate(null, "curl");
        return s3rver.isPresent() && barman.isPresent() && curl.isPresent()
                ? Optional.of(new BackupTools(s3rver.get(), barman.get(), curl.get())) : Optional.empty();
    }

    /** The tools, or an {@link IllegalStateException} with {@link #notFound()}. */
    public static BackupTools require() {
        return find().orElseThrow(() -> new IllegalStateException(notFound()));
    }

    /** One line naming what is missing and how to get it. */
    public static String notFound() {
        List<String> missing = new ArrayList<>();
        if (locate("TWINCLOUD_S3RVER", "s3rver").isEmpty()) {
            missing.add("s3rver (npm install -g s3rver@3.7.1, or set TWINCLOUD_S3RVER)");
        }
        if (findBarmanDir().isEmpty()) {
            missing.add("barman-cloud-* (Debian: apt-get install barman-cli-cloud, or set TWINCLOUD_BARMAN_CLOUD_BINDIR)");
        }
        if (locate(null, "curl").isEmpty()) {
            missing.add("curl (Debian: apt-get install curl)");
        }
        return "backups off: " + (missing.isEmpty() ? "nothing missing" : String.join(" and ", missing) + " not found")
                + " — the lab runs without WAL archive or base backups (docs/backups.md)";
    }

    /** A barman-cloud program's path. */
    public String barman(String program) {
        if (!BARMAN.contains(program)) {
            throw new IllegalArgumentException("not a barman-cloud program the lab uses: " + program);
        }
        return barmanDir.resolve(program).toString();
    }

    private static Optional<Path> findBarmanDir() {
        String explicit = System.getenv("TWINCLOUD_BARMAN_CLOUD_BINDIR");
        if (explicit != null && !explicit.isBlank()) {
            Path dir = Path.of(explicit);
            for (String p : BARMAN) {
                if (!Files.isExecutable(dir.resolve(p))) {
                    throw new IllegalStateException("TWINCLOUD_BARMAN_CLOUD_BINDIR is " + dir + ", which has no executable " + p);
                }
            }
            return Optional.of(dir);
        }
        return locate(null, WAL_ARCHIVE).map(Path::getParent)
                .filter(dir -> BARMAN.stream().allMatch(p -> Files.isExecutable(dir.resolve(p))));
    }

    private static Optional<Path> locate(String env, String name) {
        String explicit = env == null ? null : System.getenv(env);
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException(env + " points at " + p + ", which is not an executable file");
            }
            return Optional.of(p);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Optional.of(Path.of(dir, name));
            }
        }
        return Optional.empty();
    }
}
