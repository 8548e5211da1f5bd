package dev.twincloud.pgctl.junit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PostgresPair;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.TempDirs;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A primary with one streaming standby for a test class (static field), stopped and deleted afterwards.
 * <pre>
 * &#64;RegisterExtension static ReplicatedPostgresExtension pair = ReplicatedPostgresExtension.create().sync(true);
 * pair.primary().jdbcUrl(); pair.standby().jdbcUrl(); pair.pair().awaitCaughtUp(...)
 * </pre>
 */
public final class ReplicatedPostgresExtension implements BeforeAllCallback, AfterAllCallback {
    private final Map<String, String> settings = new LinkedHashMap<>(PostgresExtension.TEST_SETTINGS);
    private PgBinaries binaries;
    private String standbyName = "standby";
    private boolean sync;
    private Path baseDir;
    private PostgresPair pair;

    private ReplicatedPostgresExtension() {
    }

    public static ReplicatedPostgresExtension create() {
        return new ReplicatedPostgresExtension();
    }

    public ReplicatedPostgresExtension withSetting(String key, String value) {
        settings.put(key, value);
        return this;
    }

    public ReplicatedPostgresExtension withBinaries(PgBinaries b) {
        this.binaries = b;
        return this;
    }

    /** The standby's application_name and slot name; default "standby". */
    public ReplicatedPostgresExtension standbyName(String name) {
        this.standbyName = name;
        return this;
    }

    /** Synchronous replication (commit waits for the standby's flush); default async. */
    public ReplicatedPostgresExtension sync(boolean on) {
        this.sync = on;
        return this;
    }

    @Override
    public synchronized void beforeAll(ExtensionContext context) {
        baseDir = TempDirs.create("twincloud-pgpair-");
        try {
            pair = PostgresPair.start(baseDir, binaries != null ? binaries : SharedBinaries.get(), settings,
                    standbyName, sync, true);
        } catch (RuntimeException e) {
            TempDirs.deleteQuietly(baseDir);
            throw e;
        }
    }

    @Override
    public synchronized void afterAll(ExtensionContext context) {
        if (pair != null) {
            try {
                pair.close();
            } finally {
                pair = null;
                TempDirs.deleteQuietly(baseDir);
            }
        }
    }

    public PostgresPair pair() {
        if (pair == null) {
            throw new IllegalStateException("No pair running: register with @RegisterExtension on a static field.");
        }
        return pair;
    }

    public PostgresServer primary() {
        return pair().primary();
    }

    public PostgresServer standby() {
        return pair().standby();
    }
}
