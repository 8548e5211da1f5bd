package dev.twincloud.lab.supervisor;

import dev.twincloud.core.protocol.Durability;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.pgctl.PgBinaries;
import java.nio.file.Path;
import dev.twincloud.core.protocol.Timing;
import java.time.Duration;
import java.util.Map;

/**
 * How to run one lab. The defaults are the lab's reference settings (docs/lab.md): they are what
 * the RTO and switchover figures in docs/benchmarks.md were measured with.
 *
 * @param home              the twincloud checkout, where the apps' runnable jars are built
 * @param leaseTtl          the arbiter's lease ttl
 * @param margin            the arbiter's margin past a lease's end before another writer
 * @param heartbeat         the agents' heartbeat interval
 * @param edgeProfile       the edge's health-check profile ({@code --profile} of the edge)
 * @param dbRoles           which database roles the APIs connect as
 * @param linkLatency       the steady one-way latency per direction, keyed {@code from->to} (endpoints gcp,
 *                          aws, arbiter), set on the links when they start; absent directions have none
 * @param arbiterReplicas   1: one arbiter with the file store (the default); 2: two replicas electing in a
 *                          three-member etcd that holds the state, behind a front that sends every request to
 *                          the acting one (docs/adr/0010-the-lab-reaches-the-acting-arbiter-through-a-front.md)
 * @param monitoring        start Prometheus and Alertmanager with the lab (docs/observability.md) when their
 *                          binaries are found
 * @param tls               TLS on the cross-site links (docs/lab.md, "What is encrypted"): replication and the
 *                          agents' connections to the other site's database with {@code verify-full} and client
 *                          certificates, the failsafe link between the agents over HTTPS; default {@link #TLS_DEFAULT} (docs/lab.md)
 * @param activeActive      read-local active-active ({@code lab up --active-active}, docs/lab.md): each site's API
 *                          forwards to the other's through a cross-site link (base+36/37), and two more edge entries
 *                          (base+15 "gcp's users", base+25 "aws's users") send every request to their home site
 *                          while it can serve reads; off by default
 * @param binaries          the PostgreSQL binaries; null: found as documented ({@link PgBinaries#locate()})
 * @param backups           run the object stores and archive to them; null: as {@link LabBackups#enabled()} says.
 *                          Both are settings, not system properties, so that a lab started inside a JVM (a test's,
 *                          a benchmark's) says what it needs without changing what any other lab of that JVM gets
 */
public record LabSettings(LabLayout layout, Path home, Durability mode, Duration leaseTtl, Duration margin,
                          Duration heartbeat, EdgeProfile edgeProfile, DbRoles dbRoles, Map<String, Duration> linkLatency,
                          int arbiterReplicas, boolean monitoring, boolean tls, boolean activeActive,
                          PgBinaries binaries, Boolean backups) {

    /** With the binaries and backups found as documented. */
    public LabSettings(LabLayout layout, Path home, Durability mode, Duration leaseTtl, Duration margin,
                       Duration heartbeat, EdgeProfile edgeProfile, DbRoles dbRoles, Map<String, Duration> linkLatency,
                       int arbiterReplicas, boolean monitoring, boolean tls, boolean activeActive) {
        this(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls,
                activeActive, null, null);
    }

    /** Without active-active (today's follow-the-writer lab). */
    public LabSettings(LabLayout layout, Path home, Durability mode, Duration leaseTtl, Duration margin,
                       Duration heartbeat, EdgeProfile edgeProfile, DbRoles dbRoles, Map<String, Duration> linkLatency,
                       int arbiterReplicas, boolean monitoring, boolean tls) {
        this(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, false);
    }

    public LabSettings {
        linkLatency = linkLatency == null ? Map.of() : Map.copyOf(linkLatency);
        checkArbiterReplicas(arbiterReplicas);
    }

    /** 1 or 2; a clear error otherwise (the CLI shows it, exit 2). */
    public static int checkArbiterReplicas(int n) {
        if (n < 1 || n > LabLayout.MAX_ARBITER_REPLICAS) {
            throw new IllegalArgumentException("arbiter replicas must be 1 (one arbiter, file store) or "
                    + LabLayout.MAX_ARBITER_REPLICAS + " (replicas electing in a three-member etcd), got " + n);
        }
        return n;
    }

    /** Several arbiter replicas (on etcd, behind the front)? */
    public boolean replicated() {
        return arbiterReplicas > 1;
    }

    /**
     * The replicas' leader election in the lab (with two replicas): a crashed holder's etcd lease runs out
     * after {@link #ELECTION_LEASE_DURATION}, its successor tries every {@link #ELECTION_RETRY_PERIOD}; the
     * holder stops acting {@link #ELECTION_RENEW_DEADLINE} after its last successful keep-alive. Shorter than
     * the arbiter's defaults (6 s / 4 s / 1 s), as the Kubernetes takeover was measured (docs/benchmarks.md).
     */
    public static final Duration ELECTION_LEASE_DURATION = Duration.ofSeconds(3);
    public static final Duration ELECTION_RENEW_DEADLINE = Duration.ofSeconds(2);
    public static final Duration ELECTION_RETRY_PERIOD = Duration.ofMillis(500);

    /**
     * The edge's health-check profile (docs/edge.md, "Profiles"); the lab passes {@code --profile} to the
     * edge, which owns the settings. The numbers here are for printing (benchmarks, {@code lab up}); a
     * test holds them equal to the edge's.
     */
    public enum EdgeProfile {
        /** The lab's fast checks: every 100 ms, 80 ms timeout, 1 / 2; a definitive "not the writer" drops a site at once. */
        LAB(100, 80, 1, 2, true),
        /** The GCP global load balancer's check as deploy/terraform sets it: 1 s, 1 s, 1 / 2; every failure counts the same. */
        CLOUD(1000, 1000, 1, 2, false);

        public final Duration interval;
        public final Duration timeout;
        public final int healthy;
        public final int unhealthy;
        public final boolean definitiveDownAtOnce;

        EdgeProfile(long intervalMs, long timeoutMs, int healthy, int unhealthy, boolean definitiveDownAtOnce) {
            this.interval = Duration.ofMillis(intervalMs);
            this.timeout = Duration.ofMillis(timeoutMs);
            this.healthy = healthy;
            this.unhealthy = unhealthy;
            this.definitiveDownAtOnce = definitiveDownAtOnce;
        }

        /** The edge's flag value: {@code lab}, {@code cloud}. */
        public String flag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** {@code lab} / {@code cloud}, any case; a clear error otherwise (picocli shows it). */
        public static EdgeProfile parse(String value) {
            for (EdgeProfile p : values()) {
                if (p.flag().equalsIgnoreCase(value == null ? "" : value.trim())) {
                    return p;
                }
            }
            throw new IllegalArgumentException("edge profile must be lab or cloud, got: " + value);
        }

        /** e.g. {@code lab (100 ms / 80 ms, 1/2, definitive DOWN at once)}. */
        public String describe() {
            return "%s (every %d ms, timeout %d ms, healthy %d / unhealthy %d%s)".formatted(flag(), interval.toMillis(),
                    timeout.toMillis(), healthy, unhealthy, definitiveDownAtOnce ? ", a definitive not-writer at once" : "");
        }
    }

    public Duration edgeInterval() {
        return edgeProfile.interval;
    }

    public int edgeHealthy() {
        return edgeProfile.healthy;
    }

    public int edgeUnhealthy() {
        return edgeProfile.unhealthy;
    }

    /**
     * The roles the APIs use. {@code PRODUCTION}: the lab creates {@code twincloud_owner} and
     * {@code twincloud_app} ({@code DatabaseRoles.ensure}) in the writer's database before the APIs
     * start, and starts each API with {@code DATABASE_USER=twincloud_app} and
     * {@code DATABASE_MIGRATION_USER=twincloud_owner}. {@code SUPERUSER}: the APIs connect (and
     * migrate) as {@code postgres}, as before production roles existed.
     */
    public enum DbRoles {
        PRODUCTION, SUPERUSER;

        /** The lab's default: the roles production uses (docs/fencing.md, "The production roles"). */
        public static final DbRoles DEFAULT = PRODUCTION;
    }

    /**
     * Whether a lab (and a drill's lab) has TLS on its cross-site links unless {@code --tls} or {@code --no-tls} says
     * otherwise. Still off: it is turned on here, in this one place, once a drill with TLS has run quiet
     * (docs/lab.md, "What is encrypted"; docs/adr/0011-tls-in-the-lab.md).
     */
    public static final boolean TLS_DEFAULT = true;

    public static LabSettings defaults(LabLayout layout, Path home) {
        return new LabSettings(layout, home, Durability.SYNC, Timing.LEASE_TTL, Timing.MARGIN,
                Timing.HEARTBEAT_INTERVAL, EdgeProfile.LAB, DbRoles.DEFAULT, Map.of(), 1, true, TLS_DEFAULT);
    }

    public LabSettings withMode(Durability m) {
        return new LabSettings(layout, home, m, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, activeActive, binaries, backups);
    }

    public LabSettings withLeaseTtl(Duration ttl) {
        return new LabSettings(layout, home, mode, ttl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, activeActive, binaries, backups);
    }

    public LabSettings withEdgeProfile(EdgeProfile p) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, p, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, activeActive, binaries, backups);
    }

    public LabSettings withDbRoles(DbRoles r) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, r, linkLatency, arbiterReplicas, monitoring, tls, activeActive, binaries, backups);
    }

    /** With or without Prometheus and Alertmanager ({@code lab up --no-monitoring}). */
    public LabSettings withMonitoring(boolean on) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, on, tls, activeActive, binaries, backups);
    }

    /** With these steady one-way latencies ({@code from->to} to duration), see {@link LinkLatency}. */
    public LabSettings withLinkLatency(Map<String, Duration> latency) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, latency, arbiterReplicas, monitoring, tls, activeActive, binaries, backups);
    }

    /** With or without TLS on the cross-site links ({@code lab up --tls / --no-tls}; default {@link #TLS_DEFAULT}). */
    public LabSettings withTls(boolean on) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, on, activeActive, binaries, backups);
    }

    /** With {@code n} arbiter replicas (1 or 2). */
    public LabSettings withArbiterReplicas(int n) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, n, monitoring, tls, activeActive, binaries, backups);
    }

    /** With or without read-local active-active ({@code lab up --active-active}; off by default). */
    public LabSettings withActiveActive(boolean on) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, on, binaries, backups);
    }

    /** With these PostgreSQL binaries (for example {@link PgBinaries#embedded()}). */
    public LabSettings withBinaries(PgBinaries b) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, activeActive, b, backups);
    }

    /** With or without the object stores and WAL archiving, whatever {@link LabBackups#enabled()} says. */
    public LabSettings withBackups(boolean on) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeProfile, dbRoles, linkLatency, arbiterReplicas, monitoring, tls, activeActive, binaries, on);
    }

    /** Whether a lab with these settings runs its object stores (when their tools are found). */
    public boolean backupsOn() {
        return backups != null ? backups : LabBackups.enabled();
    }
}
