package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.lab.link.Link;
import dev.twincloud.lab.link.LinkSpec;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PgTls;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The lab's links connect from their own loopback network ({@link LinkSpec#sourceAddress()}), and a site's
 * PostgreSQL (real, with TLS as the lab runs it) admits from there only the other site's two roles over TLS with a
 * certificate: through a real link {@code aws->gcp:pg}, gcp's superuser is refused even with its password and even
 * over TLS, the replication role streams, while the site's own superuser on 127.0.0.1 keeps working. Without TLS
 * (a second real server) the same link only changes the address the other site comes from.
 */
class CrossSiteAddressTest {
    private static final String REPL = LabTls.REPLICATION_ROLE;
    private static final String PEER = LabTls.PEER_ROLE;
    private static final int PG_TLS = 31800;
    private static final int LINK_TLS = 31801;
    private static final int PG_PLAIN = 31802;
    private static final int LINK_PLAIN = 31803;
    private static Path dir;
    private static LabTls tls;
    private static PostgresServer gcp;
    private static PostgresServer plain;
    private static Link link;
    private static Link plainLink;

    @BeforeAll
    static void start() throws Exception {
        dir = TempDirs.create("lab-cross-site-");
        tls = LabTls.loadOrCreate(dir.resolve("tls"));
        PgBinaries bins = PgBinaries.locate();
        String intoGcp = LinkSpec.sourceNetworkInto("gcp");
        gcp = PostgresServer.builder(dir.resolve("gcp")).binaries(bins).port(PG_TLS).settings(Map.of("fsync", "off"))
                .serverTls(new PgTls.Server(tls.certificate("gcp-postgres"), tls.key("gcp-postgres"), tls.caCertificate(),
                        REPL, List.of(REPL, PEER)))
                .crossSiteNetwork(intoGcp).stopOnJvmExit(true).initdbNoSync(true).build();
        gcp.initdb().start();
        gcp.execute("CREATE ROLE " + REPL + " LOGIN REPLICATION");
        gcp.execute("CREATE ROLE " + PEER + " LOGIN SUPERUSER");
        gcp.execute("ALTER ROLE postgres PASSWORD 'known-to-the-attacker'");
        link = Link.start(LinkSpec.of("aws->gcp:pg", LINK_TLS, PG_TLS));
        plain = PostgresServer.builder(dir.resolve("plain")).binaries(bins).port(PG_PLAIN).settings(Map.of("fsync", "off"))
                .crossSiteNetwork(intoGcp).stopOnJvmExit(true).initdbNoSync(true).build();
        plain.initdb().start();
        plainLink = Link.start(LinkSpec.of("aws->gcp:pg", LINK_PLAIN, PG_PLAIN));
    }

    @AfterAll
    static void stop() {
        for (Link l : new Link[] {link, plainLink}) {
            if (l != null) {
                l.close();
            }
        }
        for (PostgresServer s : new PostgresServer[] {gcp, plain}) {
            if (s != null) {
                s.stop();
            }
        }
        TempDirs.deleteQuietly(dir);
    }

    @Test
    void eachLinkDirectionHasItsOwnLoopbackSource() {
        assertThat(LinkSpec.of("aws->gcp:pg", 1, 2).sourceAddress()).isEqualTo("127.0.2.2");
        assertThat(LinkSpec.of("gcp->aws:agent", 1, 2).sourceAddress()).isEqualTo("127.0.3.1");
        assertThat(LinkSpec.of("aws->arbiter", 1, 2).sourceAddress()).isEqualTo("127.0.4.2");
        assertThat(LinkSpec.of("a->b", 1, 2).sourceAddress()).as("not a lab endpoint: the system's choice").isNull();
        assertThat(LinkSpec.sourceNetworkInto("aws")).isEqualTo("127.0.3.0/24");
    }

    @Test
    void throughTheLinkTheSuperuserIsRefusedWithItsPasswordInClearTextAndOverTls() {
        assertThatThrownBy(() -> connect(LINK_TLS, "postgres", false, Map.of("sslmode", "disable", "password", "known-to-the-attacker")))
                .hasMessageContaining("pg_hba.conf rejects connection for host \"127.0.2.2\", user \"postgres\"");
        assertThatThrownBy(() -> connect(LINK_TLS, "postgres", false, Map.of("sslmode", "verify-full",
                "sslrootcert", tls.caCertificate().toString(), "password", "known-to-the-attacker")))
                .hasMessageContaining("pg_hba.conf rejects connection for host \"127.0.2.2\", user \"postgres\"")
                .hasMessageContaining("SSL encryption");
        assertThatThrownBy(() -> connect(LINK_TLS, "postgres", false, tlsWith("aws-pg-agent")))
                .as("even with a lab certificate").isInstanceOf(SQLException.class);
        assertThatThrownBy(() -> connect(LINK_TLS, PEER, false, Map.of("sslmode", "disable")))
                .hasMessageContaining("pg_hba.conf rejects connection for host \"127.0.2.2\"");
        assertThatThrownBy(() -> connect(LINK_TLS, "postgres", true, tlsWith("aws-replication")))
                .as("replication only as the replication role").isInstanceOf(SQLException.class);
    }

    @Test
    void throughTheLinkTheOtherSitesRolesGetInWithTheirCertificates() throws Exception {
        try (Connection c = connect(LINK_TLS, REPL, true, tlsWith("aws-replication"))) {
            assertThat(c.isValid(5)).isTrue();
        }
        try (Connection c = connect(LINK_TLS, PEER, false, tlsWith("aws-pg-agent"));
                ResultSet r = c.createStatement().executeQuery("SELECT host(a.client_addr) || ' ' || s.ssl::text "
                        + "FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.pid = pg_backend_pid()")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).isEqualTo("127.0.2.2 true");
        }
    }

    @Test
    void theSitesOwnSuperuserKeepsLoopback() {
        assertThat(gcp.queryString("SELECT current_user || ' ' || coalesce(host(inet_client_addr()), 'socket')"))
                .isEqualTo("postgres 127.0.0.1");
    }

    @Test
    void withoutTlsOnlyTheSourceAddressChanges() throws Exception {
        try (Connection c = connect(LINK_PLAIN, "postgres", false, Map.of("sslmode", "disable"));
                ResultSet r = c.createStatement().executeQuery("SELECT host(inet_client_addr())")) {
            assertThat(r.next()).isTrue();
            assertThat(r.getString(1)).isEqualTo("127.0.2.2");
        }
        try (Connection c = connect(LINK_PLAIN, "postgres", true, Map.of("sslmode", "disable"))) {
            assertThat(c.isValid(5)).as("replication through the link, as the plain lab streams").isTrue();
        }
        assertThat(plain.queryString("SELECT current_user")).isEqualTo("postgres");
    }

    private static Map<String, String> tlsWith(String name) {
        return Map.of("sslmode", "verify-full", "sslrootcert", tls.caCertificate().toString(),
                "sslcert", tls.certificate(name).toString(), "sslkey", tls.key(name).toString(), "pemKeyAlgorithm", "EC");
    }

    private static Connection connect(int port, String user, boolean replication, Map<String, String> props) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("connectTimeout", "10");
        props.forEach(p::setProperty);
        if (replication) {
            p.setProperty("replication", "true");
            p.setProperty("assumeMinServerVersion", "9.4");
            p.setProperty("preferQueryMode", "simple");
        }
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", p);
    }
}
