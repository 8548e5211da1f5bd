package dev.twincloud.lab.supervisor;

import dev.twincloud.core.protocol.Durability;
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
 * @param edgeInterval      the edge's health-check interval
 * @param edgeHealthy       consecutive successes before the edge sends traffic to a site
 * @param edgeUnhealthy     consecutive failures before the edge stops
 * @param dbRoles           which database roles the APIs connect as
 * @param linkLatency       the steady one-way latency per direction, keyed {@code from->to} (endpoints gcp,
 *                          aws, arbiter), set on the links when they start; absent directions have none
 */
public record LabSettings(LabLayout layout, Path home, Durability mode, Duration leaseTtl, Duration margin,
                          Duration heartbeat, Duration edgeInterval, int edgeHealthy, int edgeUnhealthy, DbRoles dbRoles,
                          Map<String, Duration> linkLatency) {

    public LabSettings {
        linkLatency = linkLatency == null ? Map.of() : Map.copyOf(linkLatency);
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

    public static LabSettings defaults(LabLayout layout, Path home) {
        return new LabSettings(layout, home, Durability.SYNC, Timing.LEASE_TTL, Timing.MARGIN,
                Timing.HEARTBEAT_INTERVAL, Duration.ofMillis(100), 1, 2, DbRoles.DEFAULT, Map.of());
    }

    public LabSettings withMode(Durability m) {
        return new LabSettings(layout, home, m, leaseTtl, margin, heartbeat, edgeInterval, edgeHealthy, edgeUnhealthy, dbRoles, linkLatency);
    }

    public LabSettings withLeaseTtl(Duration ttl) {
        return new LabSettings(layout, home, mode, ttl, margin, heartbeat, edgeInterval, edgeHealthy, edgeUnhealthy, dbRoles, linkLatency);
    }

    public LabSettings withDbRoles(DbRoles r) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeInterval, edgeHealthy, edgeUnhealthy, r, linkLatency);
    }

    /** With these steady one-way latencies ({@code from->to} to duration), see {@link LinkLatency}. */
    public LabSettings withLinkLatency(Map<String, Duration> latency) {
        return new LabSettings(layout, home, mode, leaseTtl, margin, heartbeat, edgeInterval, edgeHealthy, edgeUnhealthy, dbRoles,
                latency);
    }
}
