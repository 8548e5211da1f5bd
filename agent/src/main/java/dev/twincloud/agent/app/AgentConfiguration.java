package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.agent.local.LocalPostgresDriver;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PgBinaries;
import dev.twincloud.pgctl.PgTls;
import dev.twincloud.pgctl.PostgresServer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import tools.jackson.databind.json.JsonMapper;

@Configuration(proxyBeanMethods = false)
class AgentConfiguration {

    @Bean
    PostgresDriver postgresDriver(AgentProperties props) {
        require(props);
        return switch (props.driver()) {
            case "local" -> localDriver(props);
            case "cnpg" -> cnpgDriver(props);
            default -> throw new IllegalArgumentException("twincloud.agent.driver must be 'local' or 'cnpg', got '"
                    + props.driver() + "'");
        };
    }

    private static PostgresDriver localDriver(AgentProperties props) {
        AgentProperties.Local l = props.local();
        if (l == null || l.dataDir() == null || l.port() <= 0 || l.peerPort() <= 0) {
            throw new IllegalArgumentException("the local driver needs twincloud.agent.local.data-dir, .port and .peer-port");
        }
        PgBinaries bins = Optional.ofNullable(l.binDir()).filter(s -> !s.isBlank())
                .map(d -> PgBinaries.at(Path.of(d))).orElseGet(PgBinaries::locate);
        var settings = new java.util.HashMap<String, String>(l.settings() == null ? java.util.Map.of() : l.settings());
        settings.put("twincloud.site", props.site()); // the lease guard's notion of "this site"
        // A standby reconnects to a writer restarted after a crash within half a second (default 5 s),
        // so a synchronous writer's commits wait that long at most, not until the arbiter drops to async.
        settings.putIfAbsent("wal_retrieve_retry_interval", "500ms");
        // After a crash, PostgreSQL syncs its data directory before recovery: once per file system, not per file, so a
        // writer restarted by its agent is back within its lease on a loaded machine too (CrashStart).
        dev.twincloud.pgctl.CrashStart.settings(bins).forEach(settings::putIfAbsent);
        PostgresServer.Builder serverBuilder = PostgresServer.builder(l.dataDir()).binaries(bins).port(l.port())
                .superuser(l.superuser()).settings(settings).stopOnJvmExit(false);
        if (l.logFile() != null) {
            serverBuilder.logFile(l.logFile());
        }
        if (l.jsonLog() != null) {
            serverBuilder.jsonLog(l.jsonLog());
        }
        if (l.crossSiteNetwork() != null && !l.crossSiteNetwork().isBlank()) {
            serverBuilder.crossSiteNetwork(l.crossSiteNetwork());
        }
        // Only connected to: the peer's own agent starts and stops it.
        PostgresServer.Builder peerBuilder = PostgresServer.builder(l.peerDataDir() != null ? l.peerDataDir()
                        : l.dataDir().resolveSibling("peer-unknown"))
                .binaries(bins).port(l.peerPort()).superuser(l.superuser()).stopOnJvmExit(false);
        AgentProperties.Tls tls = l.tls();
        if (tls != null && tls.enabled()) {
            requireTlsFiles(tls);
            serverBuilder.serverTls(new PgTls.Server(tls.serverCertificate(), tls.serverKey(), tls.ca(), tls.replicationRole(),
                    List.of(tls.replicationRole(), tls.peerRole())));
            peerBuilder.superuser(tls.peerRole())
                    .clientTls(new PgTls.Client(tls.ca(), tls.peerCertificate(), tls.peerKey()))
                    .replication(tls.replicationRole(), new PgTls.Client(tls.ca(), tls.replicationCertificate(), tls.replicationKey()));
        }
        PostgresServer server = serverBuilder.build();
        PostgresServer peer = peerBuilder.build();
        return new LocalPostgresDriver(SiteId.of(props.site()), server, peer);
    }

    private static void requireTlsFiles(AgentProperties.Tls t) {
        java.util.Map<String, Path> files = new java.util.LinkedHashMap<>();
        files.put("server-certificate", t.serverCertificate());
        files.put("server-key", t.serverKey());
        files.put("replication-certificate", t.replicationCertificate());
        files.put("replication-key", t.replicationKey());
        files.put("peer-certificate", t.peerCertificate());
        files.put("peer-key", t.peerKey());
        List<String> missing = files.entrySet().stream().filter(e -> e.getValue() == null || e.getValue().toString().isBlank())
                .map(e -> "twincloud.agent.local.tls." + e.getKey()).toList();
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("twincloud.agent.local.tls.ca is set, so TLS between the databases is on; it also needs "
                    + String.join(", ", missing));
        }
    }

    /**
     * The CloudNativePG driver, acting through this site's {@code Cluster} resource (in-cluster
     * credentials). Demotion tokens travel between the clusters through the arbiter: the old writer's
     * agent reports its token while FENCED, the switchover target's assignment carries it to promote.
     */
    private static PostgresDriver cnpgDriver(AgentProperties props) {
        AgentProperties.Cnpg c = props.cnpg();
        if (c == null || blank(c.namespace()) || blank(c.cluster()) || blank(c.dbUrl()) || blank(c.dbUser())) {
            throw new IllegalArgumentException("the cnpg driver needs twincloud.agent.cnpg.namespace, .cluster, .db-url and .db-user "
                    + "(TWINCLOUD_CNPG_NAMESPACE, TWINCLOUD_CNPG_CLUSTER, TWINCLOUD_DB_URL, TWINCLOUD_DB_USER)");
        }
        var client = new io.fabric8.kubernetes.client.KubernetesClientBuilder().build();
        var target = new dev.twincloud.agent.cnpg.CnpgTarget(c.namespace(), c.cluster(), SiteId.of(props.site()), SiteId.of(props.peer()));
        var sql = new dev.twincloud.agent.cnpg.JdbcSqlProbe(c.dbUrl(), c.dbUser(), c.dbPassword() == null ? "" : c.dbPassword());
        return new dev.twincloud.agent.cnpg.CnpgDriver(client, target, sql);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static void require(AgentProperties p) {
        if (p.site() == null || p.peer() == null || p.arbiterUrl() == null) {
            throw new IllegalArgumentException("twincloud.agent.site, .peer and .arbiter-url are required");
        }
        if (p.token() == null || p.token().length() < 16) {
            throw new IllegalArgumentException("twincloud.agent.token (TWINCLOUD_AGENT_TOKEN) is required, at least 16 characters");
        }
        if (p.site().equals(p.peer())) {
            throw new IllegalArgumentException("twincloud.agent.peer must differ from the site");
        }
    }

    @Bean
    Agent agent(AgentProperties props, PostgresDriver driver, JsonMapper json, AgentMetrics metrics) {
        var client = new HttpArbiterClient(props.arbiterUrl(), props.token(), props.httpTimeout(), json);
        Agent agent = new Agent(SiteId.of(props.site()), driver, client, props.guardedSchemas(), System::nanoTime, metrics,
                props.failsafe().toAgent());
        if ("cnpg".equals(props.driver()) && props.cnpg().ensureRoles()) {
            // The application schema is the first guarded one (docs/fencing.md, "The production roles").
            agent.ensureDatabaseRoles(dev.twincloud.pgctl.roles.DatabaseRoles.Spec.defaults(props.guardedSchemas().getFirst()));
        }
        return agent;
    }
}
