package dev.twincloud.pgctl.junit;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.TempDirs;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real PostgreSQL server for a test class, and nothing left running afterwards.
 * <pre>
 * &#64;RegisterExtension static PostgresExtension pg = PostgresExtension.create();
 * ... DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password())
 * </pre>
 * On a static field: one server per class (beforeAll/afterAll). On an instance field: one per test method.
 * Stopping tries FAST, then IMMEDIATE, then SIGKILL; a JVM shutdown hook stops leftovers.
 * The data dir lives in a fresh temp dir that is deleted afterwards.
 */
public final class PostgresExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {
    /** Durability is pointless for throwaway test data; fsync off saves seconds on slow disks. */
    static final Map<String, String> TEST_SETTINGS = Map.of("fsync", "off", "synchronous_commit", "on");

    private final Map<String, String> settings = new LinkedHashMap<>(TEST_SETTINGS);
    private PgBinaries binaries;
    private String superuser = "postgres";
    private Path baseDir;
    private PostgresServer server;
    private boolean perMethod;
    private boolean jsonLog;

    private PostgresExtension() {
    }

    public static PostgresExtension create() {
        return new PostgresExtension();
    }

    /** A GUC for the server, e.g. {@code withSetting("max_connections", "50")}. */
    public PostgresExtension withSetting(String key, String value) {
        settings.put(key, value);
        return this;
    }

    /** Log in {@code jsonlog} ({@link PostgresServer.Builder#jsonLog}) to {@code server.json} beside the data directory. */
    public PostgresExtension withJsonLog() {
        this.jsonLog = true;
        return this;
    }

    /** Binaries to use instead of {@link PgBinaries#locate()}. */
    public PostgresExtension withBinaries(PgBinaries b) {
        this.binaries = b;
        return this;
    }

    public PostgresExtension withSuperuser(String name) {
        this.superuser = name;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (server == null) { // registered on an instance field: beforeAll was not called for us
            perMethod = true;
            start();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (perMethod) {
            stop();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    /** Starts the server now (normally JUnit does this); idempotent. */
    public synchronized PostgresExtension start() {
        if (server != null) {
            return this;
        }
        baseDir = TempDirs.create("twincloud-pg-");
        PostgresServer.Builder b = PostgresServer.builder(baseDir.resolve("data"))
                .binaries(binaries != null ? binaries : SharedBinaries.get())
                .superuser(superuser).settings(settings).stopOnJvmExit(true).initdbNoSync(true);
        if (jsonLog) {
            b.logFile(baseDir.resolve("server.log")).jsonLog(baseDir.resolve("server.json"));
        }
        PostgresServer s = b.build();
        try {
            s.initdb().start();
        } catch (RuntimeException e) {
            s.stop();
            TempDirs.deleteQuietly(baseDir);
            throw e;
        }
        server = s;
        return this;
    }

    /** Stops the server (FAST, IMMEDIATE, SIGKILL) and deletes its files; idempotent. */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.stop();
        } finally {
            server = null;
            TempDirs.deleteQuietly(baseDir);
        }
    }

    /** JDBC URL of database {@code postgres}. */
    public String jdbcUrl() {
        return server().jdbcUrl();
    }

    /** JDBC URL of the given database. */
    public String jdbcUrl(String database) {
        return server().jdbcUrl(database);
    }

    public String username() {
        return server().superuser();
    }

    /** Empty: trust authentication on loopback. */
    public String password() {
        return server().password();
    }

    public int port() {
        return server().port();
    }

    /** Creates a database (plain identifier) and returns its JDBC URL: a clean database per test class. */
    public String createDatabase(String name) {
        return server().createDatabase(name);
    }

    /** The running server. */
    public PostgresServer server() {
        if (server == null) {
            throw new IllegalStateException("PostgreSQL is not running: register PostgresExtension with"
                    + " @RegisterExtension (static field: per class) or call start().");
        }
        return server;
    }
}
