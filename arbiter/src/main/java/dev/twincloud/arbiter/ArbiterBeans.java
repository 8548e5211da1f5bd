package dev.twincloud.arbiter;

import dev.twincloud.arbiter.service.ArbiterMetrics;
import dev.twincloud.arbiter.service.ArbiterService;
import dev.twincloud.arbiter.service.Ticker;
import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.arbiter.store.StateStore;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.DurableState;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Wires the core's decider to the store, the history, the clock and the metrics. */
@Configuration(proxyBeanMethods = false)
class ArbiterBeans {

    private static final Logger log = LoggerFactory.getLogger(ArbiterBeans.class);

    /** How many events {@code GET /v1/events} can return (the whole history is in events.jsonl). */
    static final int HISTORY_IN_MEMORY = 1000;

    @Bean
    InstantSource arbiterClock() {
        return new MonotonicClock();
    }

    @Bean
    ArbiterConfig arbiterConfig(ArbiterProperties props) {
        return props.toConfig();
    }

    @Bean
    Decider decider(ArbiterConfig config) {
        return new Decider(config);
    }

    @Bean(destroyMethod = "close")
    StateStore stateStore(ArbiterProperties props, ArbiterConfig config) {
        return StateStore.open(props.stateDir(), config);
    }

    @Bean(destroyMethod = "close")
    EventLog eventLog(StateStore store) {
        return new EventLog(store.dir(), HISTORY_IN_MEMORY);
    }

    @Bean
    ArbiterMetrics arbiterMetrics(MeterRegistry registry) {
        return new ArbiterMetrics(registry);
    }

    @Bean(destroyMethod = "close")
    ArbiterService arbiterService(Decider decider, StateStore store, EventLog history, InstantSource clock,
                                  ArbiterMetrics metrics, ArbiterProperties props) {
        var arbiter = new ArbiterService(decider, store, history, clock, metrics,
                () -> DurableState.initial(props.initialWriterId(), props.mode()));
        var stored = arbiter.snapshot().state().durable().mode();
        if (stored != props.mode()) {
            log.warn("twincloud.arbiter.mode is {} but the stored mode is {}: the stored mode applies "
                    + "(the setting only seeds a new state; change the mode with POST /v1/mode)", props.mode(), stored);
        }
        return arbiter;
    }

    @Bean
    Ticker ticker(ArbiterService arbiter, ArbiterProperties props) {
        return new Ticker(arbiter::tick, props.tickInterval());
    }
}
