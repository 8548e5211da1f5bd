package dev.twincloud.pgctl;

import java.util.Locale;
import java.util.Map;

/**
 * Settings that make a start after a crash quick enough to come back within a write lease
 * (docs/benchmarks.md, "The writer's postmaster killed"). Before crash recovery PostgreSQL makes the whole data
 * directory durable; by default ({@code recovery_init_sync_method = fsync}) it opens and fsyncs every file one by
 * one, which took 1.2–2.1 s on a loaded 2-core machine — most of what a writer's restart costs, and more than is left
 * of a 2.5 s lease. {@code syncfs} asks the kernel to sync the file system once instead (8–86 ms on the same machine
 * under load). Linux and PostgreSQL 14 or later only (older servers and other systems refuse the value): elsewhere
 * nothing is set. Its documented
 * trade-off — other applications' dirty data on the same file system is written out too, and I/O errors are reported
 * only from Linux 5.8 on — is what a database's own volume (a Kubernetes persistent volume, the lab's directory)
 * makes small.
 */
public final class CrashStart {
    private CrashStart() {
    }

    /**
     * The settings for {@code binaries} on this operating system: {@code recovery_init_sync_method = syncfs} on Linux
     * with PostgreSQL 14 or later, none otherwise.
     */
    public static Map<String, String> settings(PgBinaries binaries) {
        return settings(System.getProperty("os.name", ""), binaries.majorVersion());
    }

    static Map<String, String> settings(String osName, int majorVersion) {
        return osName.toLowerCase(Locale.ROOT).startsWith("linux") && majorVersion >= 14
                ? Map.of("recovery_init_sync_method", "syncfs") : Map.of();
    }
}
