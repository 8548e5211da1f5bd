package dev.twincloud.pgctl.junit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;

import dev.twincloud.pgctl.PostgresServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The extension gives each test class a server and leaves nothing behind. */
class PostgresExtensionTest {
    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.create().withSetting("work_mem", "5MB");

    @Test
    void givesAJdbcUrlThatPlainJdbcCanUse() throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.username(), pg.password());
             ResultSet rs = c.createStatement().executeQuery("SELECT current_setting('work_mem')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("5MB");
        }
        assertThat(pg.password()).isEmpty();
    }

    @Test
    void createsAFreshDatabasePerTestClass() throws Exception {
        String url = pg.createDatabase("ecg_story");
        assertThat(url).isEqualTo(pg.jdbcUrl("ecg_story"));
        try (Connection c = DriverManager.getConnection(url, pg.username(), pg.password());
             ResultSet rs = c.createStatement().executeQuery("SELECT current_database()")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("ecg_story");
        }
    }

    @Test
    void leavesNoPostmasterAndNoFilesWhenStopped() {
        PostgresExtension own = PostgresExtension.create().start();
        PostgresServer server = own.server();
        long pid = server.status().pid().getAsLong();
        Path data = server.dataDir();

        own.afterAll(null);

        assertThat(dev.twincloud.pgctl.Processes.running(pid)).as("postmaster exited (a zombie awaiting its reaper has)").isFalse();
        assertThat(server.isRunning()).isFalse();
        assertThat(Files.exists(data)).isFalse();
        assertThatThrownBy(own::server).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopsEvenAServerThatIgnoresAFastShutdown() throws Exception {
        PostgresExtension own = PostgresExtension.create().start();
        PostgresServer server = own.server();
        Path data = server.dataDir();
        long pid = server.status().pid().getAsLong();
        // An open transaction does not block FAST; a SIGSTOPped postmaster does. Stop must still get it down.
        new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
        try {
            server.stopEscalating(Duration.ofSeconds(2), Duration.ofSeconds(2)); // the extension's stop, shorter
        } finally {
            new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
        }
        assertThat(dev.twincloud.pgctl.Processes.running(pid)).as("postmaster exited (a zombie awaiting its reaper has)").isFalse();
        assertThat(server.isRunning()).isFalse();
        own.stop();
        assertThat(Files.exists(data)).isFalse();
    }
}
