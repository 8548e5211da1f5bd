package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The request pool (a real HikariCP pool) against a stand-in server speaking PostgreSQL's startup protocol that
 * answers every connection "the database system is shutting down" (SQLSTATE 57P03), as a switchover's stopping old
 * writer does: HikariCP keeps trying to open its minimum idle connections, each one a process the real server forks
 * and waits for before it can exit; told that the database refuses, the pool stops; told that it answers, it keeps
 * its minimum idle again.
 */
class PoolRenewalTest {

    @Test
    void whileTheDatabaseRefusesThePoolOpensNoIdleConnections() throws Exception {
        try (var server = new StoppingServerStandIn(Duration.ZERO)) {
            HikariConfig config = new HikariConfig();
            config.setJdbcUrl(server.jdbcUrl());
            config.setUsername("u");
            config.setMinimumIdle(4);
            config.setMaximumPoolSize(4);
            config.setInitializationFailTimeout(-1); // start without a connection, as the API does when its database is down
            try (var pool = new HikariDataSource(config)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (server.connections() < 2 && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                assertThat(server.connections()).as("HikariCP tries to open its minimum idle").isGreaterThanOrEqualTo(2);

                var renewal = new PoolRenewal(pool);
                renewal.on(new WriterHealth.DatabaseRefusing("FATAL: the database system is shutting down"));
                Thread.sleep(300); // an attempt already under way ends
                int before = server.connections();
                Thread.sleep(2000);
                assertThat(server.connections()).as("connection attempts in 2 s while the database refuses").isEqualTo(before);
                assertThat(pool.getHikariConfigMXBean().getMinimumIdle()).isZero();

                renewal.on(new WriterHealth.DatabaseAnswering());
                assertThat(pool.getHikariConfigMXBean().getMinimumIdle()).as("the configured minimum idle again").isEqualTo(4);
            }
        }
    }
}
