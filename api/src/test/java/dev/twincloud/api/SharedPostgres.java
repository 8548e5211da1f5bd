package dev.twincloud.api;

import java.sql.Connection;
import java.sql.SQLException;

import dev.twincloud.pgctl.junit.PostgresExtension;

/**
 * One PostgreSQL server for every test class that shares the main Spring context: started on
 * first use, stopped at JVM exit by pgctl. A fresh database {@code api} proves the migrations
 * apply to an empty database. It is prepared as in production ({@link ProductionDatabase}): the
 * API connects as {@value ProductionDatabase#APP}, Flyway as {@value ProductionDatabase#OWNER}, the
 * guard is installed and site {@value #SITE} holds a lease for the whole run.
 */
public final class SharedPostgres {

    public static final String SITE = "test-site";

    private static PostgresExtension server;
    private static String url;

    private SharedPostgres() {
    }

    public static synchronized String jdbcUrl() {
        if (server == null) {
            // logging as in the lab (docs/logging.md): jsonlog, and the API role's writes logged (without values)
            server = PostgresExtension.create().withSetting("max_connections", "60").withJsonLog().start();
            url = server.createDatabase("api");
            ProductionDatabase.prepare(url, server.username(), server.password(), SITE, true);
            try (Connection c = ProductionDatabase.superuser(url, server.username(), server.password());
                 java.sql.Statement s = c.createStatement()) {
                s.execute("alter role " + ProductionDatabase.APP + " set log_statement = 'mod'");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }
        return url;
    }

    public static synchronized PostgresExtension server() {
        jdbcUrl();
        return server;
    }

    /** A superuser connection to the shared database: for what the API's role may not do. */
    public static Connection superuser() throws SQLException {
        return ProductionDatabase.superuser(jdbcUrl(), server().username(), server().password());
    }
}
