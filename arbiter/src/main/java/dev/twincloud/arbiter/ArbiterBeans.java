package dev.twincloud.arbiter;

import dev.twincloud.arbiter.election.ElectedArbiter;
import dev.twincloud.arbiter.election.EtcdElectedArbiter;
import dev.twincloud.arbiter.service.ArbiterMetrics;
import dev.twincloud.arbiter.service.ArbiterService;
import dev.twincloud.arbiter.service.Leadership;
import dev.twincloud.arbiter.service.OpenArbiter;
import dev.twincloud.arbiter.service.Ticker;
import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.arbiter.store.EtcdStateStore;
import dev.twincloud.arbiter.store.FileStateStore;
import dev.twincloud.arbiter.store.KubernetesStateStore;
import dev.twincloud.arbiter.store.StateStore;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.DurableState;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.InstantSource;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the core's decider to the store, the history, the clock and the metrics: one arbiter that
 * always acts, or (leader election enabled) an {@link ElectedArbiter} that acts only while it holds
 * the Kubernetes Lease — or, with the etcd store, an {@link EtcdElectedArbiter} that acts only while
 * it holds the leader key in etcd.
 */
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

    @Bean
    ArbiterMetrics arbiterMetrics(MeterRegistry registry, InstantSource clock) {
        return new ArbiterMetrics(registry, clock);
    }

    /** One replica: open the (locked) state directory now; start-up fails when it cannot be trusted. */
    @Bean
    Leadership leadership(ArbiterProperties props, Decider decider, InstantSource clock, ArbiterMetrics metrics,
                          ObjectProvider<KubernetesClient> kubernetes) {
        Leadership leadership;
        // A KubernetesClient bean wins (tests: the mock API server); else in-cluster or kubeconfig. Made only when needed.
        Supplier<KubernetesClient> client = memoize(() -> kubernetes.getIfAvailable(() -> new KubernetesClientBuilder().build()));
        if (props.leaderElection().enabled() && props.storeKind() == ArbiterProperties.StoreKind.ETCD) {
            // VMs and the lab: elect in the etcd that holds the state (a lease and a leader key).
            leadership = new EtcdElectedArbiter(props.etcd().endpoints(), props.etcd().keyPrefix(), props.leaderElection(),
                    (mayAct, note, fence) -> open(props, decider, clock, metrics, true, mayAct, note, client, fence));
        } else if (props.leaderElection().enabled()) {
            leadership = new ElectedArbiter(client.get(), props.leaderElection(),
                    (mayAct, note) -> open(props, decider, clock, metrics, true, mayAct, note, client, null));
        } else {
            leadership = new SoleArbiter(open(props, decider, clock, metrics, false, () -> true, "", client, null));
        }
        metrics.bind(decider.config().sites(), () -> leadership.leading().map(ArbiterService::published).orElse(null),
                () -> leadership.leading().map(ArbiterService::alertCount).orElse(0),
                () -> leadership.leading().isPresent());
        return leadership;
    }

    static OpenArbiter open(ArbiterProperties props, Decider decider, InstantSource clock, ArbiterMetrics metrics,
                            boolean shared, BooleanSupplier mayAct, String note, Supplier<KubernetesClient> kubernetes,
                            EtcdStateStore.Fence fence) {
        StateStore store = openStore(props, decider.config(), shared, kubernetes, fence);
        EventLog history = null;
        try {
            history = new EventLog(props.stateDir(), HISTORY_IN_MEMORY); // the history stays local, whatever the store
            var arbiter = new ArbiterService(decider, store, history, clock, metrics,
                    () -> DurableState.initial(props.initialWriterId(), props.mode()), mayAct, note);
            var stored = arbiter.snapshot().state().durable().mode();
            if (stored != props.mode()) {
                log.warn("twincloud.arbiter.mode is {} but the stored mode is {}: the stored mode applies "
                        + "(the setting only seeds a new state; change the mode with POST /v1/mode)", props.mode(), stored);
            }
            return new OpenArbiter(arbiter, history, store);
        } catch (RuntimeException e) {
            if (history != null) {
                history.close();
            }
            store.close();
            throw e;
        }
    }

    /**
     * The configured store ({@code twincloud.arbiter.store}). The file store is locked to this process
     * unless {@code shared} (several replicas on one volume, elected); etcd and Kubernetes stores
     * fence by compare-and-swap (etcd's writes also by the election's key, when {@code fence} is given).
     */
    static StateStore openStore(ArbiterProperties props, ArbiterConfig config, boolean shared,
                                Supplier<KubernetesClient> kubernetes, EtcdStateStore.Fence fence) {
        return switch (props.storeKind()) {
            case FILE -> shared ? FileStateStore.openShared(props.stateDir(), config) : FileStateStore.open(props.stateDir(), config);
            case ETCD -> EtcdStateStore.open(props.etcd().endpoints(), props.etcd().keyPrefix(), props.etcd().timeout(), config,
                    fence);
            case KUBERNETES -> new KubernetesStateStore(kubernetes.get(), props.kubernetes().namespace(),
                    props.kubernetes().configMap(), config);
        };
    }

    private static <T> Supplier<T> memoize(Supplier<T> make) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = make.get();
                }
                return value;
            }
        };
    }

    @Bean
    Ticker ticker(Leadership leadership, ArbiterProperties props) {
        return new Ticker(() -> leadership.leading().ifPresent(ArbiterService::tick), props.tickInterval());
    }

    /** The one-replica case: the arbiter opened at start-up, closed (ARBITER_STOPPED) at shutdown. */
    static final class SoleArbiter implements Leadership, AutoCloseable {
        private final OpenArbiter arbiter;
        private final Leadership sole;

        SoleArbiter(OpenArbiter arbiter) {
            this.arbiter = arbiter;
            this.sole = Leadership.sole(arbiter.service());
        }

        @Override
        public java.util.Optional<ArbiterService> leading() {
            return sole.leading();
        }

        @Override
        public String leader() {
            return sole.leader();
        }

        @Override
        public String describe() {
            return sole.describe();
        }

        @Override
        public void close() {
            arbiter.close();
        }
    }
}
