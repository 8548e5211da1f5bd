package dev.twincloud.pgctl;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One set of PostgreSQL server binaries: where they are, where they came from, which version, which tools.
 *
 * @param binDir       directory holding pg_ctl, postgres, initdb, ...
 * @param kind         SYSTEM (installed, found by setting/pg_config/path) or EMBEDDED (unpacked from Maven Central jar)
 * @param version      full version string, e.g. "15.13"
 * @param majorVersion e.g. 15
 * @param tools        programs present in binDir
 */
public record PgBinaries(Path binDir, Kind kind, String version, int majorVersion, Set<PgTool> tools) {

    public enum Kind { SYSTEM, EMBEDDED }

    private static final Pattern VERSION = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?");

    public PgBinaries {
        tools = Set.copyOf(tools);
    }

    /** Finds binaries in the documented order; see {@link BinaryLocator}. */
    public static PgBinaries locate() {
        return new BinaryLocator().locate();
    }

    /** Uses an explicit bin directory (kind SYSTEM). */
    public static PgBinaries at(Path binDir) {
        return inspect(binDir, Kind.SYSTEM);
    }

    /** The embedded binaries, unpacked into the cache on first use. */
    public static PgBinaries embedded() {
        return new BinaryLocator().embedded();
    }

    static PgBinaries inspect(Path binDir, Kind kind) {
        Path dir = binDir.toAbsolutePath().normalize();
        Set<PgTool> present = EnumSet.noneOf(PgTool.class);
        for (PgTool t : PgTool.values()) {
            if (Files.isExecutable(dir.resolve(t.executable()))) {
                present.add(t);
            }
        }
        for (PgTool needed : List.of(PgTool.INITDB, PgTool.PG_CTL, PgTool.POSTGRES)) {
            if (!present.contains(needed)) {
                throw new BinariesNotFoundException("No usable PostgreSQL binaries in " + dir + ": "
                        + needed.executable() + " is missing. Point " + Config.BINDIR + " (or "
                        + Config.envName(Config.BINDIR) + ") at a PostgreSQL bin directory.");
            }
        }
        // pg_ctl --version is allowed as root, unlike most server commands.
        String out = Commands.run(OsUser.unwrapped(), List.of(dir.resolve("pg_ctl").toString(), "--version"),
                Duration.ofSeconds(20), "Reading the PostgreSQL version");
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new BinariesNotFoundException("Cannot read the PostgreSQL version from pg_ctl --version in " + dir
                    + ": " + out.strip());
        }
        String version = m.group(1) + (m.group(2) != null ? "." + m.group(2) : "");
        return new PgBinaries(dir, kind, version, Integer.parseInt(m.group(1)), present);
    }

    public boolean has(PgTool tool) {
        return tools.contains(tool);
    }

    /** Path of a tool; throws {@link BinariesNotFoundException} naming the tool when it is absent. */
    public Path require(PgTool tool) {
        if (!has(tool)) {
            throw new BinariesNotFoundException(tool.executable() + " is not available in " + binDir + " (" + kind
                    + " binaries, PostgreSQL " + version + "). Install the PostgreSQL server package or point "
                    + Config.BINDIR + " at a full installation.");
        }
        return binDir.resolve(tool.executable());
    }
}
