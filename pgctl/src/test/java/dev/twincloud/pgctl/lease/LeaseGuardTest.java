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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The guard on a real PostgreSQL: writes commit only under a valid lease of this site. */
class LeaseGuardTest {

    @RegisterExtension
    static PostgresExtension pg = PostgresExtension.create().withSetting("twincloud.site", "gcp");

    private static final Duration TTL = Duration.ofSeconds(30);

    Connection agent;
    Connection client;

    @BeforeEach
    void setUp() throws SQLException {
        String url = pg.createDatabase("lease_" + System.nanoTime());
        agent = DriverManager.getConnection(url, pg.username(), pg.password());
        client = DriverManager.getConnection(url, pg.username(), pg.password());
        exec(client, "CREATE TABLE public.ecg(id int primary key, v text)");
        assertThat(LeaseGuard.install(agent, List.of("public"))).isEqualTo(1);
    }

    @Test
    void rejectsWritesWhenNoLeaseWasEverGranted() {
        assertThatThrownBy(() -> exec(client, "INSERT INTO ecg VALUES (1, 'x')"))
                .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo(LeaseGuard.FENCED_SQLSTATE))
                .hasMessageContaining("no write lease");
    }

    @Test
    void acceptsWritesUnderAValidLeaseOfThisSite() throws SQLException {
        assertThat(LeaseGuard.writeLease(agent, 3, "gcp", Duration.ZERO, TTL)).isTrue();
        exec(client, "INSERT INTO ecg VALUES (1, 'x')");
        exec(client, "UPDATE ecg SET v = 'y'");
        assertThat(LeaseGuard.problem(client)).isEmpty();
    }

    @Test
    void rejectsWritesOnceTheLeaseEndsByTheDatabaseClock() throws Exception {
        // elapsed 29.8 s of a 30 s ttl: 200 ms left by the database's clock
        LeaseGuard.writeLease(agent, 3, "gcp", Duration.ofMillis(29_800), TTL);
        exec(client, "INSERT INTO ecg VALUES (1, 'x')");
        exec(client, "SELECT pg_sleep(0.3)");
        assertThatThrownBy(() -> exec(client, "INSERT INTO ecg VALUES (2, 'x')"))
                .hasMessageContaining("the lease of epoch 3 ended");
    }

    @Test
    void aLeaseOfTheOtherSiteNeverAuthorizesWritesHere() throws SQLException {
        // e.g. the old writer's lease row, replicated to this standby before it was promoted
        LeaseGuard.writeLease(agent, 3, "aws", Duration.ZERO, TTL);
        assertThatThrownBy(() -> exec(client, "DELETE FROM ecg"))
                .hasMessageContaining("belongs to site aws, this is site gcp");
    }

    @Test
    void fencingStopsWritesAtOnceAndAnOlderEpochCannotComeBack() throws SQLException {
        LeaseGuard.writeLease(agent, 3, "gcp", Duration.ZERO, TTL);
        LeaseGuard.fence(agent, 4);
        assertThatThrownBy(() -> exec(client, "INSERT INTO ecg VALUES (1, 'x')")).hasMessageContaining("fenced");
        assertThat(LeaseGuard.writeLease(agent, 3, "gcp", Duration.ZERO, TTL)).as("epoch 3 < floor 4").isFalse();
        assertThatThrownBy(() -> exec(client, "INSERT INTO ecg VALUES (1, 'x')")).hasMessageContaining("fenced");
        assertThat(LeaseGuard.writeLease(agent, 4, "gcp", Duration.ZERO, TTL)).isTrue();
        exec(client, "INSERT INTO ecg VALUES (1, 'x')");
    }

    @Test
    void tablesCreatedLaterAreGuardedToo() throws SQLException {
        exec(client, "CREATE TABLE public.annotation(id int)");
        assertThatThrownBy(() -> exec(client, "INSERT INTO annotation VALUES (1)")).hasMessageContaining("fenced");
        assertThatThrownBy(() -> exec(client, "TRUNCATE annotation")).hasMessageContaining("fenced");
    }

    @Test
    void leaseWritesDoNotWaitForAMissingSynchronousStandby() throws SQLException {
        exec(agent, "ALTER SYSTEM SET synchronous_standby_names = 'nobody'");
        exec(agent, "SELECT pg_reload_conf()");
        try {
            exec(agent, "SET statement_timeout = '5s'");
            assertThat(LeaseGuard.writeLease(agent, 5, "gcp", Duration.ZERO, TTL)).isTrue();
        } finally {
            exec(agent, "ALTER SYSTEM RESET synchronous_standby_names");
            exec(agent, "SELECT pg_reload_conf()");
        }
    }

    @Test
    void installingTwiceIsHarmless() throws SQLException {
        assertThat(LeaseGuard.install(agent, List.of("public"))).isZero();
        assertThatThrownBy(() -> exec(client, "INSERT INTO ecg VALUES (1, 'x')")).hasMessageContaining("fenced");
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
