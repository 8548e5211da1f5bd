package dev.twincloud.agent.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.Observation;
import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The agent's gauges read its last observation of the database at each scrape (the alert rules' inputs). */
class AgentGaugesTest {
    final AtomicReference<Observation> seen = new AtomicReference<>(Observation.down());
    final PostgresDriver driver = (PostgresDriver) Proxy.newProxyInstance(PostgresDriver.class.getClassLoader(),
            new Class<?>[] {PostgresDriver.class}, (proxy, m, args) -> {
                if (m.getName().equals("observe")) {
                    return seen.get();
                }
                throw new UnsupportedOperationException(m.getName());
            });
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final AgentMetrics metrics = new AgentMetrics(registry);
    final Agent agent = new Agent(SiteId.of("gcp"), driver, r -> {
        throw new java.io.IOException("arbiter unreachable");
    }, List.of("public"), System::nanoTime, metrics);

    double gauge(String name, String... tags) {
        return registry.get(name).tags(tags).gauge().value();
    }

    @Test
    void aWriterWithAStandbyBehindShowsItsLagAndStandbys() {
        new AgentGauges(agent, registry);
        seen.set(new Observation(DbRole.PRIMARY, 7, 1, new Lsn(5_000_000), new Lsn(5_000_000), List.of(
                new ReplicaInfo("aws", "streaming", "sync", new Lsn(4_000_000), new Lsn(3_000_000), Optional.of(40L)))));
        agent.tick();
        assertThat(gauge("twincloud.agent.database.up")).isEqualTo(1);
        assertThat(gauge("twincloud.agent.database.role", "role", "PRIMARY")).isEqualTo(1);
        assertThat(gauge("twincloud.agent.database.role", "role", "DOWN")).isZero();
        assertThat(gauge("twincloud.agent.replication.lag.bytes")).isEqualTo(2_000_000);
        assertThat(gauge("twincloud.agent.replication.replay.lag.seconds")).isEqualTo(0.04);
        assertThat(gauge("twincloud.agent.replication.streaming.replicas")).isEqualTo(1);
        assertThat(gauge("twincloud.agent.replication.sync.replicas")).isEqualTo(1);
        assertThat(gauge("twincloud.agent.state", "state", "INIT")).isEqualTo(1);
        assertThat(gauge("twincloud.agent.lease.remaining.seconds")).as("no lease written yet").isNaN();
        assertThat(registry.get("twincloud.agent.heartbeat.failures").counter().count()).isEqualTo(1);
        assertThat(registry.get("twincloud.agent.heartbeats").counter().count()).isZero();
    }

    @Test
    void theArchiveBacklogIsShownOnEitherRoleAndNaNWhenUnknown() {
        new AgentGauges(agent, registry);
        seen.set(new Observation(DbRole.STANDBY, 7, 1, new Lsn(5_000_000), new Lsn(5_000_000), List.of())
                .withArchiveBacklog(Optional.of(12)));
        agent.tick();
        assertThat(gauge("twincloud.agent.wal.archive.backlog")).as("a standby archives too").isEqualTo(12);
        seen.set(new Observation(DbRole.PRIMARY, 7, 1, new Lsn(5_000_000), new Lsn(5_000_000), List.of()));
        agent.tick();
        assertThat(gauge("twincloud.agent.wal.archive.backlog")).as("not readable by the agent's role").isNaN();
    }

    @Test
    void aDownDatabaseShowsDownAndNoReplication() {
        new AgentGauges(agent, registry);
        agent.tick();
        assertThat(gauge("twincloud.agent.database.up")).isZero();
        assertThat(gauge("twincloud.agent.database.role", "role", "DOWN")).isEqualTo(1);
        assertThat(gauge("twincloud.agent.replication.streaming.replicas")).as("only a primary has standbys").isNaN();
        assertThat(gauge("twincloud.agent.replication.lag.bytes")).isNaN();
    }

    @Test
    void countersAnAlertWatchesExistFromZero() {
        assertThat(registry.get("twincloud.agent.failsafe.lease.extensions").counter().count()).isZero();
        assertThat(registry.get("twincloud.agent.failsafe.promises.refused").counter().count()).isZero();
        assertThat(registry.get("twincloud.agent.fast.path.proofs").counter().count()).isZero();
        metrics.heartbeatAnswered();
        assertThat(registry.get("twincloud.agent.heartbeats").counter().count()).isEqualTo(1);
    }
}
