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

/** Every transition observable: a metric per transition, heartbeat failures, lease writes. */
@Component
class AgentMetrics implements AgentListener {
    private static final Logger log = LoggerFactory.getLogger(AgentMetrics.class);

    private final MeterRegistry registry;
    private final Counter heartbeatFailures;
    private final AtomicLong leaseEpoch = new AtomicLong();
    private final AtomicLong writesRefused = new AtomicLong();
    private volatile String lastFailure = "";
    private volatile String lastRefusal = "";

    AgentMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.heartbeatFailures = Counter.builder("twincloud.agent.heartbeat.failures").register(registry);
        registry.gauge("twincloud.agent.lease.epoch", leaseEpoch);
        registry.gauge("twincloud.agent.writes.refused", writesRefused);
    }

    @Override
    public void transitioned(Transition t, long epoch, String detail) {
        registry.counter("twincloud.agent.transitions", "from", t.from().name(), "to", t.to().name()).increment();
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
        registry.counter("twincloud.agent.lease.writes", "applied", Boolean.toString(applied)).increment();
        if (applied) {
            leaseEpoch.set(epoch);
        }
        lastFailure = "";
    }

    @Override
    public void databaseRestarted(SiteState state) {
        registry.counter("twincloud.agent.database.restarts", "state", state.name()).increment();
    }

    @Override
    public void writesRefused(long epoch, boolean refused) {
        writesRefused.set(refused ? 1 : 0);
        if (refused) {
            registry.counter("twincloud.agent.fast.path.proofs").increment();
        }
    }

    @Override
    public void promiseRefused(String why) {
        registry.counter("twincloud.agent.failsafe.promises.refused").increment();
        if (!why.equals(lastRefusal)) {
            log.warn("failsafe: the standby refused a promise: {}", why);
            lastRefusal = why;
        }
    }

    @Override
    public void leaseKeptByPromise(long epoch) {
        registry.counter("twincloud.agent.failsafe.lease.extensions").increment();
        lastRefusal = "";
    }

    @Override
    public void promiseConsidered(PromiseRequest request, PromiseAnswer answer) {
        registry.counter("twincloud.agent.failsafe.promises.considered", "granted", Boolean.toString(answer.granted())).increment();
    }

    @Override
    public void actionFailed(Transition t, String reason) {
        registry.counter("twincloud.agent.action.failures", "action", t.action().name()).increment();
    }
}
