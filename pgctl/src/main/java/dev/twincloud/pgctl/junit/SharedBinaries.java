package dev.twincloud.pgctl.junit;

import dev.twincloud.pgctl.PgBinaries;

/** Locates binaries once per JVM: discovery runs pg_config and maybe unpacks, no need to repeat it per class. */
final class SharedBinaries {
    private static volatile PgBinaries binaries;

    private SharedBinaries() {
    }

    static PgBinaries get() {
        PgBinaries b = binaries;
        if (b == null) {
            synchronized (SharedBinaries.class) {
                if (binaries == null) {
                    binaries = PgBinaries.locate();
                }
                b = binaries;
            }
        }
        return b;
    }
}
