package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PgTls;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.Replication;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A site's PostgreSQL as the lab runs it with TLS (one real server, and one standby cloned from it): the other
 * site's roles get in only over TLS with a client certificate of the lab's CA whose CN is the role, the client checks
 * the server's certificate (verify-full), and streaming replication runs that way. Everything else is refused.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DatabaseTlsTest {
    private static final String REPL = LabTls.REPLICATION_ROLE;
    private static final String PEER = LabTls.PEER_ROLE;
    private static Path dir;
    private static LabTls tls;
    private static PostgresServer gcp;
    private static PostgresServer aws;

    @BeforeAll
    static void start() throws Exception {
        dir = TempDirs.create("lab-db-tls-");
        tls = LabTls.loadOrCreate(dir.resolve("tls"));
        LabTls.writeStrangerCa(dir.resolve("stranger"), List.of(REPL, PEER));
        PgBinaries bins = PgBinaries.locate();
        gcp = server(bins, "gcp", 31050).replication(REPL, client("aws-replication")).build();
        aws = server(bins, "aws", 31051).build();
        gcp.initdb().start();
        gcp.execute("CREATE ROLE " + REPL + " LOGIN REPLICATION");
        gcp.execute("CREATE ROLE " + PEER + " LOGIN SUPERUSER");
    }

    private static PostgresServer.Builder server(PgBinaries bins, String site, int port) {
        return PostgresServer.builder(dir.resolve(site)).binaries(bins).port(port).settings(Map.of("fsync", "off"))
                .serverTls(new PgTls.Server(tls.certificate(site + "-postgres"), tls.key(site + "-postgres"), tls.caCertificate(),
                        REPL, List.of(REPL, PEER)))
                .stopOnJvmExit(true).initdbNoSync(true);
    }

    private static PgTls.Client client(String name) {
        return new PgTls.Client(tls.caCertificate(), tls.certificate(name), tls.key(name));
    }

    @AfterAll
    static void stop() {
        if (aws != null) {
            aws.stop();
        }
        if (gcp != null) {
            gcp.stop();
        }
        TempDirs.deleteQuietly(dir);
    }

    @Test
    void theOtherSitesAgentGetsInOverTlsWithItsCertificate() {
        // the agent's handle on the other site's database (AgentConfiguration): verify-full, its certificate, its role
        PostgresServer peer = PostgresServer.builder(dir.resolve("gcp")).port(31050).superuser(PEER)
                .clientTls(client("aws-pg-agent")).build();
        assertThat(peer.queryString("SELECT ssl::text || ' ' || client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"))
                .startsWith("true ").contains("CN=" + PEER);
        assertThat(peer.queryBoolean("SELECT NOT pg_is_in_recovery()")).isTrue();
        // this site's own components stay on loopback with trust (they never cross a site)
        assertThat(gcp.queryString("SELECT current_user")).isEqualTo("postgres");
    }

    @Test
    void withoutAValidCertificateTheOtherSitesRolesAreRefused() {
        assertThatThrownBy(() -> connect(PEER, false, Map.of("sslmode", "disable")))
                .as("plain TCP").hasMessageContaining("pg_hba.conf rejects connection");
        assertThatThrownBy(() -> connect(PEER, false, Map.of("sslmode", "verify-full", "sslrootcert", tls.caCertificate().toString())))
                .as("TLS without a client certificate").hasMessageContaining("connection requires a valid client certificate");
        Path stranger = dir.resolve("stranger");
        assertThatThrownBy(() -> connect(PEER, false, Map.of("sslmode", "verify-full", "sslrootcert", tls.caCertificate().toString(),
                "sslcert", stranger.resolve(PEER + ".crt").toString(), "sslkey", stranger.resolve(PEER + ".key").toString(),
                "pemKeyAlgorithm", "EC")))
                .as("a certificate of another CA").isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> connect(REPL, false, tlsWith("aws-pg-agent")))
                .as("a lab certificate for another role").hasMessageContaining("certificate authentication failed");
        assertThatThrownBy(() -> connect(PEER, false, Map.of("sslmode", "verify-full",
                "sslrootcert", stranger.resolve("ca.crt").toString(), "sslcert", tls.certificate("aws-pg-agent").toString(),
                "sslkey", tls.key("aws-pg-agent").toString(), "pemKeyAlgorithm", "EC")))
                .as("a client that does not trust the lab's CA refuses the server").isInstanceOf(SQLException.class)
                .hasStackTraceContaining("PKIX");
    }

    @Test
    void replicationOnlyAsTheReplicationRoleOverTlsWithItsCertificate() throws Exception {
        try (Connection c = connect(REPL, true, tlsWith("aws-replication"))) {
            assertThat(c.isValid(5)).isTrue();
        }
        assertThatThrownBy(() -> connect("postgres", true, Map.of("sslmode", "disable")))
                .as("the superuser cannot stream, even on loopback").hasMessageContaining("pg_hba.conf rejects replication connection");
        assertThatThrownBy(() -> connect(REPL, true, Map.of("sslmode", "disable")))
                .hasMessageContaining("pg_hba.conf rejects replication connection");
        assertThatThrownBy(() -> connect(PEER, true, tlsWith("aws-pg-agent")))
                .hasMessageContaining("pg_hba.conf rejects replication connection");
    }

    /** Last: it turns gcp into aws' standby (the switchover's path: pg_rewind and following, over TLS). */
    @Test
    @Order(Integer.MAX_VALUE)
    void aStandbyClonesAndStreamsOverTlsAsTheReplicationRoleAndAnOldPrimaryRewindsOverTls() {
        Replication.createStandby(gcp, aws, new Replication.StandbyOptions("aws", Optional.empty(), Replication.CloneMethod.AUTO));
        aws.start();
        Replication.awaitPeer(gcp, "aws", Optional.empty(), Duration.ofSeconds(60));
        assertThat(gcp.queryString("SELECT s.ssl::text || ' ' || r.usename || ' ' || s.client_dn FROM pg_stat_replication r "
                + "JOIN pg_stat_ssl s USING (pid) WHERE r.application_name = 'aws'"))
                .startsWith("true " + REPL + " ").contains("CN=" + REPL);
        assertThat(aws.queryString("SHOW primary_conninfo")).contains("sslmode=verify-full", "user=" + REPL);
        gcp.execute("CREATE TABLE t(x int)");
        gcp.execute("INSERT INTO t VALUES (7)");
        Replication.awaitReplay(aws, Replication.status(gcp).currentLsn().orElseThrow(), Duration.ofSeconds(30));
        assertThat(aws.queryString("SELECT x FROM t")).isEqualTo("7");

        // a switchover: gcp stops, aws is promoted, gcp rewinds from aws as the agent does (LocalPostgresDriver):
        // pg_rewind and its CHECKPOINT as twincloud_agent, then streaming as twincloud_replication, all verify-full
        org.junit.jupiter.api.Assumptions.assumeTrue(gcp.binaries().has(dev.twincloud.pgctl.PgTool.PG_REWIND),
                "these binaries have no pg_rewind (the embedded ones): an old primary is re-cloned instead");
        gcp.stop(dev.twincloud.pgctl.StopMode.FAST);
        aws.promote(Duration.ofSeconds(30));
        PostgresServer awsAsPeer = PostgresServer.builder(dir.resolve("aws")).port(31051).superuser(PEER)
                .clientTls(client("gcp-pg-agent")).replication(REPL, client("gcp-replication")).build();
        Replication.rewind(gcp, awsAsPeer, new Replication.StandbyOptions("gcp", Optional.empty(), Replication.CloneMethod.AUTO));
        gcp.start();
        Replication.awaitPeer(aws, "gcp", Optional.empty(), Duration.ofSeconds(60));
        assertThat(aws.queryString("SELECT s.ssl::text || ' ' || r.usename FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)"
                + " WHERE r.application_name = 'gcp'")).isEqualTo("true " + REPL);
    }

    private static Map<String, String> tlsWith(String name) {
        return Map.of("sslmode", "verify-full", "sslrootcert", tls.caCertificate().toString(),
                "sslcert", tls.certificate(name).toString(), "sslkey", tls.key(name).toString(), "pemKeyAlgorithm", "EC");
    }

    private static Connection connect(String user, boolean replication, Map<String, String> ssl) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("connectTimeout", "10");
        ssl.forEach(p::setProperty);
        if (replication) {
            p.setProperty("replication", "true");
            p.setProperty("assumeMinServerVersion", "9.4");
            p.setProperty("preferQueryMode", "simple");
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:31050/postgres", p);
    }
}
