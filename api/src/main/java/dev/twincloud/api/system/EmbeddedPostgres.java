package dev.twincloud.api.system;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.StopMode;
import org.apache.commons.logging.Log;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.config.ConfigDataEnvironmentPostProcessor;
import org.springframework.boot.logging.DeferredLogFactory;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Embedded dev mode: when {@code twincloud.embedded-postgres.enabled} is true (by default: when no
 * {@code spring.datasource.url} is configured), starts a local PostgreSQL through pgctl in
 * {@code twincloud.embedded-postgres.dir} (default {@code ./.twincloud/dev-api}, data kept across
 * restarts) before anything else, and points {@code spring.datasource.*} at it. The server is
 * stopped after the application context has closed (and, as a last resort, at JVM exit).
 */
class EmbeddedPostgres implements EnvironmentPostProcessor, Ordered {

    static final String ENABLED = "twincloud.embedded-postgres.enabled";
    static final String DIR = "twincloud.embedded-postgres.dir";
    static final String PORT = "twincloud.embedded-postgres.port";
    static final String DATABASE = "twincloud";

    private final Log log;

    EmbeddedPostgres(DeferredLogFactory logs) {
        this.log = logs.getLog(EmbeddedPostgres.class);
    }

    @Override
    public int getOrder() {
        return ConfigDataEnvironmentPostProcessor.ORDER + 10; // after application.yml is loaded
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        boolean enabled = env.getProperty(ENABLED, Boolean.class, !org.springframework.util.StringUtils.hasText(env.getProperty("spring.datasource.url")));
        if (!enabled) {
            return;
        }
        long t0 = System.nanoTime();
        Path dir = Path.of(env.getProperty(DIR, env.getProperty("twincloud.api.data-dir", "./.twincloud/dev-api")))
                .toAbsolutePath().normalize();
        PostgresServer server = PostgresServer.builder(dir.resolve("pgdata"))
                .port(env.getProperty(PORT, Integer.class, 0))
                .startTimeout(Duration.ofSeconds(60))
                .stopOnJvmExit(true)
                .build();
        boolean fresh = !server.isInitialized();
        if (fresh) {
            server.initdb();
        }
        int port;
        if (server.isRunning()) {
            // A previous run was killed before it could stop its server: use that one.
            port = server.status().port();
            log.warn("Embedded PostgreSQL in " + dir + " was still running (port " + port + "): reusing it");
        } else {
            server.start();
            port = server.port();
        }
        if (!server.queryBoolean("select exists (select 1 from pg_database where datname = '" + DATABASE + "')")) {
            server.createDatabase(DATABASE);
        }
        String url = "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE;
        env.getPropertySources().addFirst(new MapPropertySource("twincloudEmbeddedPostgres", Map.of(
                "spring.datasource.url", url,
                "spring.datasource.username", server.superuser(),
                "spring.datasource.password", server.password(),
                // alone on a laptop there is no agent granting leases: writer health follows the role only
                "twincloud.api.require-lease", env.getProperty("twincloud.api.require-lease", "false"),
                // alone on a laptop: without JWT settings, dev tokens (DevJwtConfig) are what a developer wants
                "twincloud.api.dev-auth", env.getProperty("twincloud.api.dev-auth", "true"))));
        application.getShutdownHandlers().add(() -> server.stop(StopMode.FAST));
        log.info("Embedded PostgreSQL " + server.binaries().version() + (fresh ? " (new cluster)" : "") + " at " + url
                + ", data in " + dir.resolve("pgdata") + ", ready in " + Duration.ofNanos(System.nanoTime() - t0).toMillis() + " ms");
    }
}
