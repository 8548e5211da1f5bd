package dev.twincloud.arbiter.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.arbiter.ArbiterProperties.LeaderElection;
import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.arbiter.service.ArbiterMetrics;
import dev.twincloud.arbiter.service.ArbiterService;
import dev.twincloud.arbiter.service.OpenArbiter;
import dev.twincloud.arbiter.service.StateNotStored;
import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.arbiter.store.FileStateStore;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ElectedArbiter} in this JVM against fabric8's mock Kubernetes API server in CRUD mode: what
 * the elected replica does when it cannot load the state, and on a clean shutdown.
 */
@EnableKubernetesMockClient(crud = true)
class ElectedArbiterOnMockApiServerCrudTest {

    static final SiteId GCP = SiteId.of("gcp");
    static final ArbiterConfig CONFIG = new ArbiterConfig(List.of(GCP, SiteId.of("aws")), Duration.ofMillis(2500),
            Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofMillis(1000), 16L << 20, Duration.ofSeconds(10));
    static final LeaderElection ELECTION = new LeaderElection(true, "twincloud", "twincloud-arbiter", "arbiter-a",
            Duration.ofSeconds(1), Duration.ofMillis(700), Duration.ofMillis(200), false);

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    OpenArbiter open(BooleanSupplier mayAct, String note) {
        FileStateStore store = FileStateStore.openShared(dir, CONFIG);
        try {
            EventLog history = new EventLog(dir, 100);
            return new OpenArbiter(new ArbiterService(new Decider(CONFIG), store, history, InstantSource.system(),
                    new ArbiterMetrics(new SimpleMeterRegistry()), () -> DurableState.initial(GCP, Durability.SYNC),
                    mayAct, note), history, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    String holder() {
        var lease = client.leases().inNamespace("twincloud").withName("twincloud-arbiter").get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    /** fabric8 releases a Lease by writing no holder and a 1 s duration (the mock keeps the old holder field). */
    boolean released() {
        var lease = client.leases().inNamespace("twincloud").withName("twincloud-arbiter").get();
        return lease != null && (lease.getSpec().getHolderIdentity() == null || lease.getSpec().getHolderIdentity().isEmpty()
                || lease.getSpec().getLeaseDurationSeconds() == 1);
    }

    static void await(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + timeout);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void aWinnerThatCannotLoadTheStateGivesTheLeaseBackAndTriesAgainLaterOnMockApiServerCrud() throws Exception {
        Files.writeString(dir.resolve("state.json"), "{ torn");
        AtomicInteger attempts = new AtomicInteger();
        BiFunction<BooleanSupplier, String, OpenArbiter> opener = (mayAct, note) -> {
            attempts.incrementAndGet();
            return open(mayAct, note);
        };
        var elected = new ElectedArbiter(client, ELECTION, opener);
        elected.start();
        try {
            await(Duration.ofSeconds(10), () -> attempts.get() == 1);
            // The Lease is given back (empty holder): it does not keep the others out while it cannot act.
            await(Duration.ofSeconds(5), this::released);
            assertThat(elected.leading()).isEmpty();
            assertThat(elected.describe()).contains("is not the elected arbiter");
            Thread.sleep(ELECTION.leaseDuration().toMillis() / 2);
            assertThat(attempts.get()).as("waits one lease duration before competing again").isEqualTo(1);

            // A human repairs the file (here: removes it, as for a new system): the next attempt acts.
            Files.delete(dir.resolve("state.json"));
            await(Duration.ofSeconds(10), () -> elected.leading().isPresent());
            assertThat(attempts.get()).isEqualTo(2);
            assertThat(holder()).isEqualTo("arbiter-a");
        } finally {
            elected.stop();
        }
    }

    @Test
    void aHolderWhoseStoredStateAnotherReplicaReplacedGivesTheLeaseBackAndLoadsItAgainOnMockApiServerCrud() throws Exception {
        // A Lease long enough not to lapse on a loaded machine while the test replaces the state.
        var elected = new ElectedArbiter(client, new LeaderElection(true, "twincloud", "twincloud-arbiter", "arbiter-a",
                Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofMillis(200), false), this::open);
        elected.start();
        try {
            await(Duration.ofSeconds(10), () -> elected.leading().isPresent());
            ArbiterService first = elected.current();
            // A late save of a deposed replica lands after this one loaded: the stored state is no longer its own.
            try (FileStateStore other = FileStateStore.openShared(dir, CONFIG)) {
                DurableState s = other.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
                other.save(new DurableState(5, GCP, Durability.SYNC, false, false, java.util.Optional.empty(),
                        s.systemId(), s.leaseEpoch(), false));
            }
            assertThatThrownBy(() -> first.setMode(Durability.ASYNC)).isInstanceOf(StateNotStored.class);
            // It stops acting rather than refusing every save while it holds the Lease, gives the Lease
            // back, and the next holder (here itself again) loads the stored state.
            await(Duration.ofSeconds(15), () -> elected.leading().filter(s -> s != first).isPresent());
            assertThat(elected.current().snapshot().state().durable().epoch()).isEqualTo(5);
            elected.current().setMode(Durability.ASYNC);
        } finally {
            elected.stop();
        }
    }

    @Test
    void aCleanShutdownRecordsTheStopAndReleasesTheLeaseAtOnceOnMockApiServerCrud() throws Exception {
        var slow = new LeaderElection(true, "twincloud", "twincloud-arbiter", "arbiter-a",
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofMillis(200), false);
        var elected = new ElectedArbiter(client, slow, this::open);
        elected.start();
        await(Duration.ofSeconds(10), () -> elected.leading().isPresent());
        ArbiterService service = elected.current();
        assertThat(service.events(10)).anySatisfy(e -> assertThat(e.why()).contains("elected replica arbiter-a"));
        var next = new ElectedArbiter(client, new LeaderElection(true, "twincloud", "twincloud-arbiter", "arbiter-b",
                slow.leaseDuration(), slow.renewDeadline(), slow.retryPeriod(), false), this::open);
        next.start();
        try {
            Thread.sleep(1000);
            assertThat(next.leading()).as("kept out while arbiter-a renews").isEmpty();

            long stoppedAt = System.nanoTime();
            elected.stop();
            assertThat(elected.leading()).isEmpty();
            List<String> lines = Files.readAllLines(dir.resolve(EventLog.EVENTS_FILE));
            assertThat(lines.getLast()).contains("ARBITER_STOPPED");
            // Released: the other replica takes over well before the 10 s lease would have let it
            // (released, fabric8 leaves a 1 s lease; 8 s leaves room for a loaded machine).
            await(Duration.ofSeconds(8), () -> next.leading().isPresent());
            assertThat(Duration.ofNanos(System.nanoTime() - stoppedAt)).isLessThan(slow.leaseDuration());
            assertThat(holder()).isEqualTo("arbiter-b");
        } finally {
            next.stop();
        }
        // A stopped replica no longer acts, even through a reference it handed out before.
        org.assertj.core.api.Assertions.assertThatThrownBy(service::tick)
                .isInstanceOf(dev.twincloud.arbiter.service.NotLeader.class);
    }
}
