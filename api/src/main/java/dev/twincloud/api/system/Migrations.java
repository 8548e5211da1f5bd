package dev.twincloud.api.system;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.info.Info;
import org.springframework.boot.actuate.info.InfoContributor;
import org.springframework.boot.flyway.autoconfigure.FlywayMigrationStrategy;
import org.springframework.stereotype.Component;

/**
 * Runs Flyway only against a primary. A standby gets the schema by replication and would refuse
 * the migration anyway, so against one the API skips it and serves reads. When the database does
 * not answer at start-up, the API starts anyway (readiness DOWN) and retries in the background
 * every {@value #RETRY_SECONDS} s instead of crash-looping.
 */
@Component
public class Migrations implements FlywayMigrationStrategy, InfoContributor, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Migrations.class);
    static final int RETRY_SECONDS = 5;

    /** What happened to the migrations of this process; shown in {@code /actuator/info}. */
    public enum Outcome { NOT_RUN, APPLIED, SKIPPED_STANDBY, WAITING_FOR_DATABASE }

    private final AtomicReference<Outcome> outcome = new AtomicReference<>(Outcome.NOT_RUN);
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("flyway-retry").factory());

    public Outcome outcome() {
        return outcome.get();
    }

    @Override
    public void migrate(Flyway flyway) {
        if (!attempt(flyway)) {
            outcome.set(Outcome.WAITING_FOR_DATABASE);
            retries.scheduleWithFixedDelay(() -> {
                if (attempt(flyway)) {
                    retries.shutdown();
                }
            }, RETRY_SECONDS, RETRY_SECONDS, TimeUnit.SECONDS);
        }
    }

    /** One try; false when the database did not answer. A failing migration itself still fails start-up. */
    private boolean attempt(Flyway flyway) {
        boolean standby;
        try {
            standby = inRecovery(flyway.getConfiguration().getDataSource());
        } catch (Exception e) {
            log.warn("Database unreachable ({}): Flyway migrations postponed, retrying every {} s; readiness stays DOWN meanwhile",
                    e.getMessage(), RETRY_SECONDS);
            return false;
        }
        if (standby) {
            log.warn("Database is a standby (pg_is_in_recovery() = true): skipping Flyway migrations; "
                    + "the schema comes from the primary by replication. Serving reads; writes will get 503.");
            outcome.set(Outcome.SKIPPED_STANDBY);
            return true;
        }
        var result = flyway.migrate();
        log.info("Database is a primary: Flyway applied {} migration(s), schema version {}",
                result.migrationsExecuted, result.targetSchemaVersion != null ? result.targetSchemaVersion
                        : flyway.info().current() != null ? flyway.info().current().getVersion() : "none");
        outcome.set(Outcome.APPLIED);
        return true;
    }

    private static boolean inRecovery(DataSource dataSource) throws Exception {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
            s.setQueryTimeout(5);
            try (ResultSet rs = s.executeQuery("select pg_is_in_recovery()")) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    @Override
    public void contribute(Info.Builder builder) {
        builder.withDetail("migrations", outcome.get().name().toLowerCase(java.util.Locale.ROOT));
    }

    @Override
    public void close() {
        retries.shutdownNow();
    }
}
