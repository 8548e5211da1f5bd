package dev.twincloud.pgctl;

import java.util.Optional;

/** Settings read from a system property first, then an environment variable. */
final class Config {
    static final String BINDIR = "twincloud.pg.bindir";
    static final String BINARIES = "twincloud.pg.binaries";
    static final String OS_USER = "twincloud.pg.osUser";
    static final String CACHE_DIR = "twincloud.pg.cacheDir";

    private Config() {
    }

    /** {@code twincloud.pg.osUser} -> {@code TWINCLOUD_PG_OS_USER}. */
    static Optional<String> get(String property) {
        String v = System.getProperty(property);
        if (v == null || v.isBlank()) {
            v = System.getenv(envName(property));
        }
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.strip());
    }

    static String envName(String property) {
        return property.replace('.', '_').replaceAll("([a-z])([A-Z])", "$1_$2").toUpperCase(java.util.Locale.ROOT);
    }
}
