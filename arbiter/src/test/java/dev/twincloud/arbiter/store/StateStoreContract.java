package dev.twincloud.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.ReportOrder;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link StateStore} guarantees, run against each kind by a subclass: the file store
 * (shared mode, several replicas on one directory), etcd (a real etcd server) and Kubernetes
 * (fabric8's mock API server, a stand-in for a real one). Each test gets a fresh, empty place to
 * store the state; {@link #replica()} opens another replica's store on it.
 */
abstract class StateStoreContract {

    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final ArbiterConfig CONFIG = new ArbiterConfig(List.of(GCP, AWS), Duration.ofMillis(2500), Duration.ofMillis(250),
            Duration.ofMillis(1500), Duration.ofMillis(1000), 1 << 20, Duration.ofSeconds(10));

    private final List<StateStore> opened = new ArrayList<>();

    /** A new replica's store on this test's state (the same state for every call within one test). */
    protected abstract StateStore open();

    /** Writes {@code json} as the stored state, past any store (a human's or another program's edit). */
    protected abstract void putRaw(String json);

    StateStore replica() {
        StateStore s = open();
        opened.add(s);
        return s;
    }

    @AfterEach
    void closeReplicas() {
        opened.forEach(StateStore::close);
    }

    static DurableState initial() {
        return DurableState.initial(GCP, Durability.SYNC);
    }

    static DurableState withEpoch(DurableState s, long epoch, SiteId writer) {
        return new DurableState(epoch, writer, s.mode(), false, false, Optional.empty(), s.systemId(), s.leaseEpoch(), false);
    }

    @Test
    void aMissingStateIsCreatedFromTheInitialOneAndLoadedByTheNextReplica() {
        DurableState created = replica().loadOrCreate(StateStoreContract::initial);
        assertThat(created).isEqualTo(initial());
        assertThat(replica().loadOrCreate(() -> DurableState.initial(AWS, Durability.ASYNC)))
                .as("the stored state, not the other replica's initial one").isEqualTo(created);
    }

    @Test
    void whatIsSavedLoadsWhole() {
        var full = new DurableState(7, AWS, Durability.ASYNC, true, true,
                Optional.of(new DurableState.Switchover(AWS, GCP, Instant.parse("2026-11-28T12:00:00.123456789Z"))),
                42, 6, true, new ReportOrder(1764400000123L, 77),
                Map.of(AWS, new ReportOrder(1764400000123L, 109), GCP, new ReportOrder(1764400000456L, 3)));
        StateStore first = replica();
        first.loadOrCreate(StateStoreContract::initial);
        first.save(full);
        first.save(withEpoch(full, 8, GCP)); // the replica that stored last may go on
        assertThat(replica().loadOrCreate(StateStoreContract::initial)).isEqualTo(withEpoch(full, 8, GCP));
    }

    @Test
    void aSaveAfterAnotherReplicaSavedIsRefusedAndChangesNothing() {
        StateStore old = replica();
        DurableState first = old.loadOrCreate(StateStoreContract::initial);
        StateStore next = replica();
        assertThat(next.loadOrCreate(StateStoreContract::initial)).isEqualTo(first);
        DurableState takenOver = withEpoch(first, 2, AWS);
        next.save(takenOver);

        assertThatThrownBy(() -> old.save(withEpoch(first, 3, GCP)))
                .isInstanceOf(StateChangedElsewhere.class)
                .hasMessageContaining("changed by another arbiter replica");
        assertThatThrownBy(() -> old.save(withEpoch(first, 3, GCP))).as("and on every later try")
                .isInstanceOf(StateChangedElsewhere.class);
        assertThat(replica().loadOrCreate(StateStoreContract::initial)).isEqualTo(takenOver);
        next.save(withEpoch(first, 4, AWS));
        assertThat(replica().loadOrCreate(StateStoreContract::initial)).isEqualTo(withEpoch(first, 4, AWS));
    }

    @Test
    void ofConcurrentSavesExactlyOneWins() throws Exception {
        int n = 4;
        List<StateStore> replicas = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            StateStore r = replica();
            r.loadOrCreate(StateStoreContract::initial);
            replicas.add(r);
        }
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                StateStore r = replicas.get(i);
                DurableState mine = withEpoch(initial(), 10 + i, i % 2 == 0 ? GCP : AWS);
                results.add(pool.submit((Callable<Boolean>) () -> {
                    go.await();
                    try {
                        r.save(mine);
                        return true;
                    } catch (StateChangedElsewhere lost) {
                        return false;
                    }
                }));
            }
            go.countDown();
            List<Integer> winners = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (results.get(i).get(30, TimeUnit.SECONDS)) {
                    winners.add(i);
                }
            }
            assertThat(winners).hasSize(1);
            int w = winners.getFirst();
            assertThat(replica().loadOrCreate(StateStoreContract::initial))
                    .isEqualTo(withEpoch(initial(), 10 + w, w % 2 == 0 ? GCP : AWS));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void ofReplicasCreatingTheStateAtOnceAllLoadTheSameOne() throws Exception {
        int n = 3;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<DurableState>> loaded = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                StateStore r = replica();
                SiteId writer = i % 2 == 0 ? GCP : AWS;
                loaded.add(pool.submit(() -> {
                    go.await();
                    return r.loadOrCreate(() -> DurableState.initial(writer, Durability.SYNC));
                }));
            }
            go.countDown();
            DurableState stored = replica().loadOrCreate(StateStoreContract::initial);
            for (Future<DurableState> f : loaded) {
                assertThat(f.get(30, TimeUnit.SECONDS)).isEqualTo(stored);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aStateThatDoesNotFitTheConfigurationRefusesToLoadAndIsKept() {
        String azure = """
                {"format":1,"state":{"epoch":3,"writer":"azure","mode":"SYNC","writerSync":false,"standbyEligible":false,
                 "switchover":null,"systemId":0,"leaseEpoch":3,"leaseReleased":false}}""";
        putRaw(azure);
        StateStore store = replica();
        assertThatThrownBy(() -> store.loadOrCreate(StateStoreContract::initial))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining(store.describe() + " is corrupt or unusable")
                .hasMessageContaining("writer 'azure' is not one of the configured sites [gcp, aws]");
        putRaw("{\"format\":1,\"state\":{\"epoch\":3,\"wri");
        assertThatThrownBy(() -> replica().loadOrCreate(StateStoreContract::initial))
                .isInstanceOf(StartupRefused.class)
                .hasMessageContaining("is corrupt or unusable: it is not valid state JSON")
                .satisfies(e -> assertThat(((StartupRefused) e).action()).contains("epoch at least as high"));
    }

    @Test
    void aSaveBeforeAnyLoadIsRefused() {
        replica().loadOrCreate(StateStoreContract::initial);
        StateStore unloaded = replica();
        assertThatThrownBy(() -> unloaded.save(withEpoch(initial(), 5, AWS))).isInstanceOf(RuntimeException.class);
        assertThat(replica().loadOrCreate(StateStoreContract::initial)).isEqualTo(initial());
    }
}
