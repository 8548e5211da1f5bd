package dev.twincloud.pgctl.lease;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Documents why prepared transactions must stay disabled on a guarded server (PostgreSQL's default,
 * {@code max_prepared_transactions = 0}, which pgctl, the agent and the chart keep): {@code PREPARE
 * TRANSACTION} fires the deferred commit check at PREPARE, and {@code COMMIT PREPARED} later is not
 * checked again, so a prepared write could commit after the lease ended.
 */
class PreparedTransactionGapTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.create().withSetting("twincloud.site", "gcp")
            .withSetting("max_prepared_transactions", "2");

    @Test
    void withPreparedTransactionsEnabledCommitPreparedIsNotCheckedAgain_documentedGap() throws Exception {
        String url = pg.createDatabase("prepared_" + System.nanoTime());
        try (Connection agent = DriverManager.getConnection(url, pg.username(), pg.password());
             Connection client = DriverManager.getConnection(url, pg.username(), pg.password())) {
            exec(client, "CREATE TABLE public.ecg(id int PRIMARY KEY)");
            LeaseGuard.install(agent, List.of("public"));
            LeaseGuard.writeLease(agent, 1, "gcp", System.nanoTime(), Duration.ofMillis(1_000), System::nanoTime);
            client.setAutoCommit(false);
            exec(client, "INSERT INTO ecg VALUES (1)");
            exec(client, "PREPARE TRANSACTION 'tx1'"); // the deferred check runs here, under the lease
            client.setAutoCommit(true);
            exec(agent, "SELECT pg_sleep(1.3)");
            assertThat(LeaseGuard.problem(agent).orElseThrow()).contains("ended at");
            exec(client, "COMMIT PREPARED 'tx1'"); // the gap: committed after the lease ended
            try (Statement s = agent.createStatement(); var rs = s.executeQuery("SELECT count(*) FROM ecg")) {
                rs.next();
                assertThat(rs.getInt(1)).isEqualTo(1);
            }
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
