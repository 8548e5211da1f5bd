package dev.twincloud.pgctl.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.pgctl.junit.PostgresExtension;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code PREPARE TRANSACTION} fires the deferred commit check at PREPARE, and {@code COMMIT PREPARED} may
 * come any time later, unchecked. So on a server with prepared transactions enabled the guard refuses
 * every write, with a message that says why (PostgreSQL's default, kept by pgctl, the agent and the
 * chart, is {@code max_prepared_transactions = 0}: PREPARE TRANSACTION itself fails).
 */
class PreparedTransactionsTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.create().withSetting("twincloud.site", "gcp")
            .withSetting("max_prepared_transactions", "2");

    @Test
    void withPreparedTransactionsEnabledTheGuardRefusesEveryWrite() throws Exception {
        String url = pg.createDatabase("prepared_" + System.nanoTime());
        try (Connection agent = DriverManager.getConnection(url, pg.username(), pg.password());
             Connection client = DriverManager.getConnection(url, pg.username(), pg.password())) {
            exec(client, "CREATE TABLE public.ecg(id int PRIMARY KEY)");
            LeaseGuard.install(agent, List.of("public"));
            assertThat(LeaseGuard.writeLease(agent, 1, "gcp", Duration.ZERO, Duration.ofSeconds(30))).isTrue();
            assertThat(LeaseGuard.problem(agent)).hasValueSatisfying(p -> assertThat(p).contains("max_prepared_transactions is 2"));
            client.setAutoCommit(false);
            assertThatThrownBy(() -> exec(client, "INSERT INTO ecg VALUES (1)"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(LeaseGuard.FENCED_SQLSTATE))
                    .hasMessageContaining("a prepared transaction could commit after the lease ended");
            client.rollback();
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
