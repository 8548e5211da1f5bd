package dev.twincloud.pgctl.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.junit.ReplicatedPostgresExtension;
import dev.twincloud.pgctl.roles.DatabaseRoles;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A lease row replicated from the other site's server never authorizes a write on a promoted standby,
 * even while it is valid and even for a session that claims to be that site: only a lease written on
 * this very server since it started does (docs/design.md rule 1).
 */
class LeaseGuardReplicationTest {

    @RegisterExtension
    static ReplicatedPostgresExtension pair = ReplicatedPostgresExtension.create().withSetting("twincloud.site", "gcp");

    @Test
    void aReplicatedLeaseAuthorizesNothingOnThePromotedStandby() throws Exception {
        PostgresServer gcp = pair.primary();
        PostgresServer aws = pair.standby();
        aws.alterSystem(Map.of("twincloud.site", "aws")); // a standby's configuration, as the agent writes it
        String db = "repl_" + System.nanoTime();
        gcp.createDatabase(db);
        try (Connection gcpAgent = DriverManager.getConnection(gcp.jdbcUrl(db), gcp.superuser(), gcp.password())) {
            DatabaseRoles.ensure(gcpAgent, DatabaseRoles.Spec.defaults("public"));
            exec(gcpAgent, "SET ROLE twincloud_owner");
            exec(gcpAgent, "CREATE TABLE public.ecg(id bigserial PRIMARY KEY, v text)");
            exec(gcpAgent, "RESET ROLE");
            LeaseGuard.install(gcpAgent, List.of("public"));
            assertThat(LeaseGuard.writeLease(gcpAgent, 1, "gcp", Duration.ZERO, Duration.ofSeconds(60))).isTrue();
        }
        pair.pair().awaitCaughtUp(Duration.ofSeconds(30));
        aws.promote(Duration.ofSeconds(30)); // e.g. promoted by hand while gcp still holds its lease

        try (Connection gcpApp = DriverManager.getConnection(gcp.jdbcUrl(db), "twincloud_app", "");
             Connection awsApp = DriverManager.getConnection(aws.jdbcUrl(db), "twincloud_app", "");
             Connection awsAgent = DriverManager.getConnection(aws.jdbcUrl(db), aws.superuser(), aws.password())) {
            exec(gcpApp, "INSERT INTO ecg(v) VALUES ('gcp holds the lease')");

            assertThatThrownBy(() -> exec(awsApp, "INSERT INTO ecg(v) VALUES ('x')"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(LeaseGuard.FENCED_SQLSTATE))
                    .hasMessageContaining("belongs to site gcp, this is site aws");
            exec(awsApp, "SET twincloud.site = 'gcp'"); // claims to be the lease's site
            assertThatThrownBy(() -> exec(awsApp, "INSERT INTO ecg(v) VALUES ('x')"))
                    .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(LeaseGuard.FENCED_SQLSTATE))
                    .hasMessageContaining("not written by this server since it started");
            exec(awsApp, "RESET twincloud.site");

            // once aws's own agent writes aws's lease, aws may write
            assertThat(LeaseGuard.writeLease(awsAgent, 2, "aws", Duration.ZERO, Duration.ofSeconds(60))).isTrue();
            exec(awsApp, "INSERT INTO ecg(v) VALUES ('aws holds the lease')");
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
