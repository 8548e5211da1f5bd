package dev.twincloud.agent.app;

import dev.twincloud.agent.core.AgentListener;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.Transition;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Every transition observable: a metric per transition, heartbeats answered and failed, lease writes
 * (the gauges of the agent's state are in {@link AgentGauges}; names in docs/observability.md).
 */
@Component
public class AgentMetrics implements AgentListener {
    private static final Logger log = LoggerFactory.getLogger(AgentMetrics.class);

    private final MeterRegistry registry;
    private final Counter heartbeatFailures;
    private final Counter heartbeats;
    private final AtomicLong leaseEpoch = new AtomicLong();
    private final AtomicLong writesRefused = new AtomicLong();
    private volatile String lastFailure = "";
    private volatile String lastRefusal = "";

    public AgentMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.heartbeatFailures = Counter.builder("twincloud.agent.heartbeat.failures")
                .description("heartbeats to the arbiter that got no answer").register(registry);
        this.heartbeats = Counter.builder("twincloud.agent.heartbeats")
                .description("heartbeats the arbiter answered").register(registry);
        // From zero, so that a rule's increase() sees the first one too (a series born at 1 shows no increase)
        fastPathProofs();
        promisesRefused();
        leaseExtensions();
        io.micrometer.core.instrument.Gauge.builder("twincloud.agent.lease.epoch", leaseEpoch, AtomicLong::get)
                .description("the epoch of the last lease written into the database").register(registry);
        io.micrometer.core.instrument.Gauge.builder("twincloud.agent.writes.refused", writesRefused, AtomicLong::get)
                .description("1 while the agent reports its stopped database refuses writes on any start (fast path)")
                .register(registry);
    }

    @Override
    public void heartbeatAnswered() {
        heartbeats.increment();
    }

    @Override
    public void transitioned(Transition t, long epoch, String detail) {
        Counter.builder("twincloud.agent.transitions")
                .description("state transitions the agent made, by from and to state")
                .tags("from", t.from().name(), "to", t.to().name()).register(registry).increment();
    }

    @Override
    public void heartbeatFailed(String reason) {
        heartbeatFailures.increment();
        if (!reason.equals(lastFailure)) {
            log.warn("heartbeat to the arbiter failed: {}", reason);
            lastFailure = reason;
        }
    }

    @Override
    public void leaseWritten(long epoch, boolean applied) {
        Counter.builder("twincloud.agent.lease.writes")
                .description("grants mirrored into the database's lease row (applied=false: a newer row was there)")
                .tags("applied", Boolean.toString(applied)).register(registry).increment();
        if (applied) {
            leaseEpoch.set(epoch);
        }
        lastFailure = "";
    }

    @Override
    public void databaseRestarted(SiteState state) {
        Counter.builder("twincloud.agent.database.restarts")
                .description("times the database was found down in a lasting assigned state and started again")
                .tags("state", state.name()).register(registry).increment();
    }

    @Override
    public void writesRefused(long epoch, boolean refused) {
        writesRefused.set(refused ? 1 : 0);
        if (refused) {
            fastPathProofs().increment();
        }
    }

    @Override
    public void promiseRefused(String why) {
        promisesRefused().increment();
        if (!why.equals(lastRefusal)) {
            log.warn("failsafe: the standby refused a promise: {}", why);
            lastRefusal = why;
        }
    }

    @Override
    public void leaseKeptByPromise(long epoch) {
        leaseExtensions().increment();
        lastRefusal = "";
    }

    @Override
    public void promiseConsidered(PromiseRequest request, PromiseAnswer answer) {
        Counter.builder("twincloud.agent.failsafe.promises.considered")
                .description("failsafe, the standby's side: promise requests judged, by answer")
                .tags("granted", Boolean.toString(answer.granted())).register(registry).increment();
    }

    @Override
    public void actionFailed(Transition t, String reason) {
        Counter.builder("twincloud.agent.action.failures")
                .description("actions (promote, fence, rewind, ...) that failed, by action")
                .tags("action", t.action().name()).register(registry).increment();
    }

    private Counter fastPathProofs() {
        return Counter.builder("twincloud.agent.fast.path.proofs")
                .description("times the fast path's proof (writes refused on any start) was put in place").register(registry);
    }

    private Counter promisesRefused() {
        return Counter.builder("twincloud.agent.failsafe.promises.refused")
                .description("failsafe, the writer's side: promises the standby refused").register(registry);
    }

    private Counter leaseExtensions() {
        return Counter.builder("twincloud.agent.failsafe.lease.extensions")
                .description("failsafe, the writer's side: lease rows extended on a promise while the arbiter gave no grant")
                .register(registry);
    }
}
