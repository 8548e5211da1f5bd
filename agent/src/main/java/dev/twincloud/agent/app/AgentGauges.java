package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.Observation;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.ReplicaInfo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.ToDoubleFunction;
import org.springframework.stereotype.Component;

/**
 * The agent's state as gauges, read from the agent whenever scraped (docs/observability.md): what the
 * alerts on a site's role, lease, database and replication need. Replication gauges have a value only
 * on a primary (NaN, so no sample, elsewhere); the lag is the writer's view of its standby.
 */
@Component
public class AgentGauges {

    public AgentGauges(Agent agent, MeterRegistry registry) {
        for (SiteState s : SiteState.values()) {
            Gauge.builder("twincloud.agent.state", agent, a -> a.state() == s ? 1 : 0)
                    .description("1 for the state this site's agent has reached (one series per state)")
                    .tag("state", s.name()).register(registry);
        }
        Gauge.builder("twincloud.agent.epoch", agent, Agent::epoch)
                .description("the epoch of the state this agent has reached").register(registry);
        Gauge.builder("twincloud.agent.lease.remaining.seconds", agent,
                        a -> a.leaseRemaining().map(d -> d.toNanos() / 1e9).orElse(Double.NaN))
                .description("how long the lease row this agent last wrote still runs (0 once ended; NaN before the first)")
                .baseUnit("seconds").register(registry);
        for (DbRole r : DbRole.values()) {
            Gauge.builder("twincloud.agent.database.role", agent, a -> a.lastObservation().role() == r ? 1 : 0)
                    .description("1 for the role the last reading of the local PostgreSQL found (DOWN: not reachable)")
                    .tag("role", r.name()).register(registry);
        }
        Gauge.builder("twincloud.agent.database.up", agent, a -> a.lastObservation().role() == DbRole.DOWN ? 0 : 1)
                .description("1 when the last reading of the local PostgreSQL reached it").register(registry);
        Gauge.builder("twincloud.agent.wal.archive.backlog", agent,
                        a -> a.lastObservation().archiveBacklog().map(Integer::doubleValue).orElse(Double.NaN))
                .description("WAL files the local PostgreSQL has not archived yet (.ready in pg_wal/archive_status; a standby "
                        + "archives too; NaN when the agent's role may not read it)")
                .baseUnit("files").register(registry);
        primaryOnly(registry, agent, "twincloud.agent.replication.lag.bytes", "bytes",
                "on the writer: WAL bytes written and not yet replayed by the furthest-behind standby (NaN without one)",
                o -> o.replicas().stream().mapToLong(r -> o.writeLsn().bytesAfter(r.replayLsn())).max().orElse(-1));
        primaryOnly(registry, agent, "twincloud.agent.replication.replay.lag.seconds", "seconds",
                "on the writer: the standby's replay_lag, the largest (NaN when PostgreSQL shows none)",
                o -> o.replicas().stream().flatMap(r -> r.replayLagMillis().stream()).mapToLong(Long::longValue).max()
                        .orElse(-1) / 1e3);
        primaryOnly(registry, agent, "twincloud.agent.replication.streaming.replicas", null,
                "on the writer: standbys streaming from it", o -> o.replicas().stream().filter(ReplicaInfo::isStreaming).count());
        primaryOnly(registry, agent, "twincloud.agent.replication.sync.replicas", null,
                "on the writer: standbys streaming synchronously", o -> o.replicas().stream().filter(ReplicaInfo::isSync).count());
    }

    /** A gauge with a value only while the local database is a primary; negative values mean none either. */
    private static void primaryOnly(MeterRegistry registry, Agent agent, String name, String unit, String description,
                                    ToDoubleFunction<Observation> f) {
        Gauge.builder(name, agent, a -> {
                    Observation o = a.lastObservation();
                    if (o.role() != DbRole.PRIMARY) {
                        return Double.NaN;
                    }
                    double v = f.applyAsDouble(o);
                    return v < 0 ? Double.NaN : v;
                })
                .description(description).baseUnit(unit).register(registry);
    }
}
