package dev.twincloud.api;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import dev.twincloud.pgctl.lease.LeaseGuard;
import dev.twincloud.pgctl.roles.DatabaseRoles;

/**
 * Prepares a database the way the agent does in production, as the superuser: the roles of
 * {@link DatabaseRoles} ({@value #OWNER} runs the migrations, {@value #APP} is what the API connects
 * as and owns nothing), the write-lease guard on schema {@code public}, the server setting
 * {@code twincloud.site}, and (optionally) a lease for that site long enough for a test class.
 */
public final class ProductionDatabase {

    public static final String OWNER = "twincloud_owner";
    public static final String APP = "twincloud_app";

    private ProductionDatabase() {
    }

    /** Roles, guard and site on the database at {@code url}; a one-hour lease when {@code lease}. */
    public static void prepare(String url, String superuser, String password, String site, boolean lease) {
        try (Connection c = DriverManager.getConnection(url, superuser, password)) {
            try (Statement s = c.createStatement()) {
                s.execute("DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET twincloud.site = %L', current_database(), '"
                        + site + "'); END $$");
            }
            DatabaseRoles.ensure(c, DatabaseRoles.Spec.defaults("public"));
            LeaseGuard.install(c, List.of("public"));
            if (lease) {
                LeaseGuard.writeLease(c, 1, site, Duration.ZERO, Duration.ofHours(1));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("preparing " + url + ": " + e.getMessage(), e);
        }
    }

    /** A superuser connection to {@code url}: for what the API's role may not do (DDL, TRUNCATE, the lease). */
    public static Connection superuser(String url, String superuser, String password) throws SQLException {
        return DriverManager.getConnection(url, superuser, password);
    }
}
