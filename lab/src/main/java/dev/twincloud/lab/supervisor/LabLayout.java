package dev.twincloud.lab.supervisor;

import dev.twincloud.core.protocol.SiteId;
import java.nio.file.Path;
import java.util.List;

/**
 * Where everything of one lab lives: a self-contained root directory and deterministic ports
 * derived from one base port (default 7400).
 *
 * <pre>
 *   base+0  arbiter          base+10/20  gcp/aws PostgreSQL
 *   base+1  edge (entry)     base+11/21  gcp/aws agent (HTTPS with TLS on: the failsafe link)
 *   base+2  link control     base+12/22  gcp/aws api
 *   base+3  lab control      base+13/23  gcp/aws api writer health (the edge probes it)
 *   base+4  Prometheus       base+14/24  gcp/aws agent actuator (plain, loopback)
 *   base+5  Alertmanager
 *   base+6  object store gcs base+7  object store s3   base+8  lab restore's scratch PostgreSQL (default)
 *   base+9  arbiter HTTPS (TLS on: the agents' links end here, at the arbiter or the front; base+0 stays plain for
 *           the lab's tools)
 *                            base+30..35 links (site->arbiter, site->peer:pg, site->peer:agent)
 *   with read-local active-active (lab up --active-active):
 *   base+15/25  home edge entries ("gcp's users" / "aws's users")   base+36/37  links gcp->aws:api / aws->gcp:api
 *   with two arbiter replicas (lab up --arbiter-replicas 2), base+0 is the front that sends every request to
 *   the acting replica (with TLS on, base+9 too: the front's HTTPS for the agents), and:
 *   base+40/41  arbiter-1/2      base+42/44/46  etcd-1/2/3 clients    base+43/45/47  etcd-1/2/3 peers
 *   base+48/49  arbiter-1/2 HTTPS (TLS on: what the front forwards to; base+40/41 then plain, loopback, the lab's tools)
 * </pre>
 */
public record LabLayout(Path root, int basePort) {
    public static final List<SiteId> SITES = List.of(SiteId.of("gcp"), SiteId.of("aws"));

    public LabLayout {
        root = root.toAbsolutePath().normalize();
        if (basePort < 1024 || basePort > 65000) {
            throw new IllegalArgumentException("base port must be between 1024 and 65000, got " + basePort);
        }
    }

    public int arbiterPort() {
        return basePort;
    }

    public int edgePort() {
        return basePort + 1;
    }

    public int linkControlPort() {
        return basePort + 2;
    }

    public int labControlPort() {
        return basePort + 3;
    }

    /**
     * The arbiter's HTTPS listener with TLS on (the arbiter's, or with two replicas the front's): what the agents' links
     * reach; {@link #arbiterPort()} then stays plain HTTP on loopback for the lab's own tools (its CLI, the status page,
     * Prometheus).
     */
    public int arbiterTlsPort() {
        return basePort + 9;
    }

    /** The lab's Prometheus (docs/observability.md). */
    public int prometheusPort() {
        return basePort + 4;
    }

    /** The lab's Alertmanager. */
    public int alertmanagerPort() {
        return basePort + 5;
    }

    public String prometheusUrl() {
        return "http://127.0.0.1:" + prometheusPort();
    }

    public String alertmanagerUrl() {
        return "http://127.0.0.1:" + alertmanagerPort();
    }

    /** The port of object store {@code gcs} (base+6) or {@code s3} (base+7): docs/backups.md. */
    public int objectStorePort(String store) {
        return switch (store) {
            case "gcs" -> basePort + 6;
            case "s3" -> basePort + 7;
            default -> throw new IllegalArgumentException("unknown store '" + store + "': the lab's stores are gcs, s3");
        };
    }

    /** Where {@code lab restore} starts its scratch PostgreSQL unless told otherwise. */
    public int restorePort() {
        return basePort + 8;
    }

    /** The object stores' data (one directory per store). */
    public Path objectStores() {
        return root.resolve("objectstores");
    }

    /** Prometheus' and Alertmanager's configuration and data. */
    public Path monitoring() {
        return root.resolve("monitoring");
    }

    private int siteBase(SiteId site) {
        int i = SITES.indexOf(site);
        if (i < 0) {
            throw new IllegalArgumentException("unknown site '" + site + "'; sites are " + SITES);
        }
        return basePort + 10 * (i + 1);
    }

    public int pgPort(SiteId site) {
        return siteBase(site);
    }

    public int agentPort(SiteId site) {
        return siteBase(site) + 1;
    }

    public int apiPort(SiteId site) {
        return siteBase(site) + 2;
    }

    /** The API's writer-health listener (twincloud.api.health.port): what the edge probes. */
    public int apiHealthPort(SiteId site) {
        return siteBase(site) + 3;
    }

    /** The link a site's agent uses to reach the arbiter. */
    public int arbiterLinkPort(SiteId site) {
        return basePort + 30 + SITES.indexOf(site);
    }

    /** The link {@code from} uses to reach the other site's PostgreSQL (streaming, rewind). */
    public int peerPgLinkPort(SiteId from) {
        return basePort + 32 + SITES.indexOf(from);
    }

    /** The link {@code from}'s agent uses to reach the other site's agent (the failsafe's promises). */
    public int peerAgentLinkPort(SiteId from) {
        return basePort + 34 + SITES.indexOf(from);
    }

    /**
     * Active-active: the edge entry of {@code site}'s users (base+15, base+25), sending every request to that site's API
     * while it can serve reads ({@code --home}).
     */
    public int homeEntryPort(SiteId site) {
        return siteBase(site) + 5;
    }

    public String homeEntryUrl(SiteId site) {
        return "http://127.0.0.1:" + homeEntryPort(site);
    }

    /** Active-active: the link {@code from}'s API forwards to the other site's API through (base+36, base+37). */
    public int peerApiLinkPort(SiteId from) {
        return basePort + 36 + SITES.indexOf(from);
    }

    /** Every port of a lab, with the active-active ones when {@code activeActive}. */
    public List<Integer> ports(int arbiterReplicas, boolean activeActive) {
        List<Integer> ports = new java.util.ArrayList<>(ports(arbiterReplicas));
        if (activeActive) {
            for (SiteId site : SITES) {
                ports.addAll(List.of(homeEntryPort(site), peerApiLinkPort(site)));
            }
        }
        return List.copyOf(ports);
    }

    /** The most arbiter replicas a lab runs (two, on a three-member etcd). */
    public static final int MAX_ARBITER_REPLICAS = 2;
    /** The etcd members of a lab with several arbiter replicas. */
    public static final int ETCD_MEMBERS = 3;

    /** Arbiter replica {@code i} (1 or 2) of a lab with several: base+40, base+41. */
    public int arbiterReplicaPort(int i) {
        if (i < 1 || i > MAX_ARBITER_REPLICAS) {
            throw new IllegalArgumentException("arbiter replica must be 1.." + MAX_ARBITER_REPLICAS + ", got " + i);
        }
        return basePort + 39 + i;
    }

    /**
     * Arbiter replica {@code i}'s HTTPS listener with TLS on (base+48, base+49): where the front sends the agents'
     * requests; {@link #arbiterReplicaPort} then serves plain HTTP on loopback to the lab's own tools.
     */
    public int arbiterReplicaTlsPort(int i) {
        return arbiterReplicaPort(i) + 8;
    }

    /** The client port of etcd member {@code i} (1..3): base+42, +44, +46. */
    public int etcdClientPort(int i) {
        checkEtcdMember(i);
        return basePort + 40 + 2 * i;
    }

    /** The peer (raft) port of etcd member {@code i} (1..3): base+43, +45, +47. */
    public int etcdPeerPort(int i) {
        return etcdClientPort(i) + 1;
    }

    private static void checkEtcdMember(int i) {
        if (i < 1 || i > ETCD_MEMBERS) {
            throw new IllegalArgumentException("etcd member must be 1.." + ETCD_MEMBERS + ", got " + i);
        }
    }

    /** Every port this lab listens on with one arbiter (the APIs' health ports aside): all must be free before it starts. */
    public List<Integer> ports() {
        return ports(1);
    }

    /** Every port of a lab with {@code arbiterReplicas} arbiter replicas; with two, their ports and etcd's too. */
    public List<Integer> ports(int arbiterReplicas) {
        List<Integer> ports = new java.util.ArrayList<>(List.of(arbiterPort(), edgePort(), linkControlPort(), labControlPort(),
                prometheusPort(), alertmanagerPort(), objectStorePort("gcs"), objectStorePort("s3"), arbiterTlsPort()));
        for (SiteId site : SITES) {
            ports.addAll(List.of(pgPort(site), agentPort(site), apiPort(site), arbiterLinkPort(site), peerPgLinkPort(site),
                    peerAgentLinkPort(site), agentManagementPort(site)));
        }
        if (arbiterReplicas > 1) {
            for (int i = 1; i <= arbiterReplicas; i++) {
                ports.add(arbiterReplicaPort(i));
            }
            for (int i = 1; i <= arbiterReplicas; i++) {
                ports.add(arbiterReplicaTlsPort(i));
            }
            for (int i = 1; i <= ETCD_MEMBERS; i++) {
                ports.addAll(List.of(etcdClientPort(i), etcdPeerPort(i)));
            }
        }
        return List.copyOf(ports);
    }

    public static SiteId peer(SiteId site) {
        return SITES.get(1 - SITES.indexOf(site));
    }

    public Path pgData(SiteId site) {
        return root.resolve("pg").resolve(site.name());
    }

    public Path logs() {
        return root.resolve("logs");
    }

    public Path arbiterState() {
        return root.resolve("arbiter");
    }

    /** Arbiter replica {@code i}'s own directory (its event history; the state is in etcd). */
    public Path arbiterReplicaState(int i) {
        return root.resolve("arbiter-" + i);
    }

    /** etcd member {@code i}'s data directory. */
    public Path etcdData(int i) {
        checkEtcdMember(i);
        return root.resolve("etcd").resolve("etcd-" + i);
    }

    /**
     * Records how many arbiter replicas the root was created with: one keeps the arbiter's state in
     * {@link #arbiterState()}, two in etcd, and a root cannot switch (the other store would start over at epoch 1).
     */
    public Path arbiterReplicasFile() {
        return root.resolve("arbiter-replicas");
    }

    /** The lab's CA and certificates ({@link LabTls}). */
    public Path tlsDir() {
        return root.resolve("tls");
    }

    /** The base port the lab in this root was last started with: the default of every later {@code lab} verb on the root. */
    public Path basePortFile() {
        return root.resolve(BASE_PORT_FILE);
    }

    private static final String BASE_PORT_FILE = "base-port";

    /** The base port recorded in {@code root} ({@link #basePortFile()}), when there is a readable one. */
    public static java.util.OptionalInt rememberedBasePort(Path root) {
        try {
            return java.util.OptionalInt.of(Integer.parseInt(java.nio.file.Files.readString(root.resolve(BASE_PORT_FILE)).trim()));
        } catch (java.io.IOException | NumberFormatException e) {
            return java.util.OptionalInt.empty();
        }
    }

    /** Records whether the root was created with TLS on the cross-site links (a root cannot switch). */
    public Path tlsModeFile() {
        return root.resolve("tls-mode");
    }

    /** A site's agent's actuator (health, metrics), plain HTTP, while its API port serves HTTPS (TLS on): base+14, base+24. */
    public int agentManagementPort(SiteId site) {
        return siteBase(site) + 4;
    }

    public Path secretsFile() {
        return root.resolve("secrets.properties");
    }

    public Path publicKeyPem() {
        return root.resolve("jwt-public.pem");
    }

    public String entryUrl() {
        return "http://127.0.0.1:" + edgePort();
    }
}
