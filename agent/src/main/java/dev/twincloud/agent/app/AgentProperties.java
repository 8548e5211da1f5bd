package dev.twincloud.agent.app;

import java.net.URI;
import java.nio.file.Path;
import dev.twincloud.core.protocol.Timing;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Agent settings ({@code twincloud.agent.*}; environment variables in application.yml).
 *
 * @param site              this site's name
 * @param peer              the other site's name
 * @param arbiterUrl        base URL of the arbiter
 * @param token             bearer token for the arbiter (agent token)
 * @param heartbeatInterval time between heartbeats
 * @param httpTimeout       timeout of one heartbeat request
 * @param driver            {@code local} (PostgreSQL processes on this machine) or {@code cnpg}
 * @param guardedSchemas    schemas whose tables the lease guard protects
 * @param local             settings of the local driver
 * @param cnpg              settings of the CloudNativePG driver
 * @param peerAgentUrl      base URL of the other site's agent, for the failsafe (docs/design.md rule 9);
 *                          unset: this agent asks for no promises (its writer's lease then lasts only as
 *                          long as the arbiter renews it) — it still answers the peer's requests
 * @param failsafe          how long this site's promises last, the margin before a promotion after one,
 *                          the largest lag with which it promises
 */
@ConfigurationProperties("twincloud.agent")
public record AgentProperties(
        String site,
        String peer,
        URI arbiterUrl,
        String token,
        @DefaultValue(Timing.HEARTBEAT_INTERVAL_MS + "ms") Duration heartbeatInterval,
        @DefaultValue("500ms") Duration httpTimeout,
        @DefaultValue("local") String driver,
        @DefaultValue("public") List<String> guardedSchemas,
        @DefaultValue Local local,
        @DefaultValue Cnpg cnpg,
        URI peerAgentUrl,
        @DefaultValue Failsafe failsafe) {

    public AgentProperties {
        heartbeatInterval = heartbeatInterval == null ? Timing.HEARTBEAT_INTERVAL : heartbeatInterval;
        failsafe = failsafe == null ? new Failsafe(null, null, null) : failsafe;
    }

    /** Unset values are core's {@link Timing}: the promise lasts one lease ttl. */
    public record Failsafe(Duration promise, Duration margin, Long maxLagBytes) {
        public Failsafe {
            promise = promise == null ? Timing.LEASE_TTL : promise;
            margin = margin == null ? Timing.MARGIN : margin;
            maxLagBytes = maxLagBytes == null ? Timing.MAX_LAG_BYTES : maxLagBytes;
            if (promise.isNegative() || promise.isZero() || margin.isNegative() || maxLagBytes < 0) {
                throw new IllegalArgumentException("twincloud.agent.failsafe: promise must be positive, margin and "
                        + "max-lag-bytes not negative");
            }
        }

        dev.twincloud.agent.core.Agent.Failsafe toAgent() {
            return new dev.twincloud.agent.core.Agent.Failsafe(promise, margin, maxLagBytes);
        }
    }

    /**
     * @param namespace   namespace of this site's CloudNativePG {@code Cluster}
     * @param cluster     its name
     * @param dbUrl       JDBC URL of the cluster's read-write service (superuser)
     * @param dbUser      superuser name
     * @param dbPassword  superuser password (the superuser Secret, the same at both sites)
     * @param ensureRoles whether the agent creates the production roles' privileges (pgctl
     *                    {@code DatabaseRoles}: twincloud_owner owns the tables, twincloud_app may only
     *                    read and write them) on its database each time it installs the lease guard as
     *                    the writer; CloudNativePG's managed roles hold their passwords
     */
    public record Cnpg(String namespace, String cluster, String dbUrl, String dbUser, String dbPassword,
                       @DefaultValue("false") boolean ensureRoles) {
    }

    /**
     * @param dataDir     the site's PostgreSQL data directory
     * @param port        its port on 127.0.0.1
     * @param binDir      PostgreSQL binaries (empty: discover)
     * @param superuser   superuser name
     * @param peerHost    host to reach the other site's PostgreSQL (replication, rewind)
     * @param peerPort    port to reach it (in the lab: a fault-injectable link)
     * @param peerDataDir lab only: the other site's data directory, for re-cloning without pg_basebackup
     * @param settings    server settings written at every start (with {@code twincloud.site} always
     *                    this site: a rewind or re-clone copies the other site's configuration files)
     * @param logFile     the server log (default: next to the data directory)
     * @param jsonLog     the server's {@code jsonlog} file, ending in {@code .json} (docs/logging.md); empty: plain text
     *                    to {@code logFile} only
     * @param tls         TLS between the sites' databases; off unless {@code tls.ca} is set
     * @param crossSiteNetwork lab only: the network (CIDR) the other site's connections come from (the links'
     *                    source addresses, docs/links.md); pg_hba admits from there only the other site's roles
     *                    over TLS with a certificate (with TLS) or trusts it as loopback (without). Empty: loopback only
     */
    public record Local(Path dataDir, @DefaultValue("0") int port, String binDir, @DefaultValue("postgres") String superuser,
                        @DefaultValue("127.0.0.1") String peerHost, @DefaultValue("0") int peerPort, Path peerDataDir,
                        java.util.Map<String, String> settings, Path logFile, Path jsonLog, @DefaultValue Tls tls,
                        String crossSiteNetwork) {
    }

    /**
     * TLS between the sites' databases (docs/lab.md, "What is encrypted"): this site's PostgreSQL serves TLS with
     * {@code serverCertificate} and admits the other site's roles ({@code replicationRole}, {@code peerRole}) only
     * with a certificate of {@code ca}; this agent reaches the other site's PostgreSQL with {@code sslmode=verify-full}:
     * streaming and copies as {@code replicationRole} with the replication certificate, pg_rewind and its checks as
     * {@code peerRole} with the agent's. Every file PEM; keys PKCS#8, mode 0600.
     *
     * @param ca                     the CA of every certificate (empty: no TLS, trust on loopback, as before)
     * @param serverCertificate      this site's PostgreSQL server certificate (SAN 127.0.0.1)
     * @param serverKey              its key
     * @param replicationCertificate the client certificate with CN {@code replicationRole}
     * @param replicationKey         its key
     * @param peerCertificate        the client certificate with CN {@code peerRole}
     * @param peerKey                its key
     * @param replicationRole        the role that streams and copies (LOGIN REPLICATION)
     * @param peerRole               the role the agent uses on the other site's database (LOGIN SUPERUSER: pg_rewind, CHECKPOINT)
     */
    public record Tls(Path ca, Path serverCertificate, Path serverKey, Path replicationCertificate, Path replicationKey,
                      Path peerCertificate, Path peerKey, @DefaultValue("twincloud_replication") String replicationRole,
                      @DefaultValue("twincloud_agent") String peerRole) {

        public boolean enabled() {
            return ca != null && !ca.toString().isBlank();
        }
    }
}
