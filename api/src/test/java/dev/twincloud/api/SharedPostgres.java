package dev.twincloud.api;

import dev.twincloud.pgctl.junit.PostgresExtension;

/**
 * One PostgreSQL server for every test class that shares the main Spring context: started on
 * first use, stopped at JVM exit by pgctl. A fresh database {@code api} proves the migrations
 * apply to an empty database.
 */
public final class SharedPostgres {

    private static PostgresExtension server;
    private static String url;

    private SharedPostgres() {
    }

    public static synchronized String jdbcUrl() {
        if (server == null) {
            server = PostgresExtension.create().withSetting("max_connections", "60").start();
            url = server.createDatabase("api");
        }
        return url;
    }

    public static synchronized PostgresExtension server() {
        jdbcUrl();
        return server;
    }
}
