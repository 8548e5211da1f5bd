package dev.twincloud.arbiter.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.twincloud.arbiter.ArbiterProperties.LeaderElection;
import dev.twincloud.arbiter.service.ArbiterMetrics;
import dev.twincloud.arbiter.service.ArbiterService;
import dev.twincloud.arbiter.service.OpenArbiter;
import dev.twincloud.arbiter.store.EtcdCluster;
import dev.twincloud.arbiter.store.EtcdStateStore;
import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EtcdElectedArbiter}: two arbiter replicas in this JVM electing through a real three-member
 * etcd cluster on loopback (ports 25400-25405, Debian's etcd-server binary), each opening an
 * {@link EtcdStateStore} when it wins. Timing is checked with wide margins; takeover speed is a
 * benchmark's business, not this test's. Skipped, saying why, only when the etcd binary is missing.
 */
class EtcdElectionTest {

    static final SiteId GCP = SiteId.of("gcp");
    static final ArbiterConfig CONFIG = new ArbiterConfig(List.of(GCP, SiteId.of("aws")), Duration.ofMillis(2500),
            Duration.ofMillis(250), Duration.ofMillis(1500), Duration.ofMillis(1000), 16L << 20, Duration.ofSeconds(10));
    static final Duration LEASE = Duration.ofSeconds(3);
    static final Duration RENEW_DEADLINE = Duration.ofMillis(2000);
    static final Duration RETRY = Duration.ofMillis(400);

    @TempDir
    static Path root;
    static EtcdCluster etcd;
    static int round;

    @TempDir
    Path dir;
    final List<EtcdElectedArbiter> replicas = new ArrayList<>();
    String prefix;

    @BeforeAll
    static void startEtcd() {
        assumeTrue(EtcdCluster.binary().isPresent(), EtcdCluster.MISSING);
        etcd = EtcdCluster.start(root, 25400, 3);
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @AfterEach
    void stopReplicas() {
        replicas.forEach(r -> {
            if (r.isRunning()) {
                r.stop();
            }
        });
    }

    EtcdElectedArbiter replica(String identity) {
        if (prefix == null) {
            prefix = "/election-test/" + (++round) + "/";
        }
        var settings = new LeaderElection(true, "", "", identity, LEASE, RENEW_DEADLINE, RETRY, false);
        Path history = dir.resolve(identity);
        var r = new EtcdElectedArbiter(etcd.endpoints(), prefix, settings, (mayAct, note, fence) -> open(history, mayAct, note, fence));
        replicas.add(r);
        r.start();
        return r;
    }

    OpenArbiter open(Path history, BooleanSupplier mayAct, String note, EtcdStateStore.Fence fence) {
        EtcdStateStore store = EtcdStateStore.open(etcd.endpoints(), prefix, Duration.ofSeconds(1), CONFIG, fence);
        try {
            EventLog events = new EventLog(history, 100);
            return new OpenArbiter(new ArbiterService(new Decider(CONFIG), store, events, InstantSource.system(),
                    new ArbiterMetrics(new SimpleMeterRegistry()), () -> DurableState.initial(GCP, Durability.SYNC),
                    mayAct, note), events, store);
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
    }

    static void await(Duration timeout, String what, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(20);
        }
    }

    static boolean acts(EtcdElectedArbiter r) {
        return r.leading().isPresent();
    }

    @Test
    void exactlyOneReplicaActsAndACleanStopHandsOverAtOnce() throws Exception {
        EtcdElectedArbiter a = replica("arbiter-a");
        await(Duration.ofSeconds(20), "a acts", () -> acts(a));
        EtcdElectedArbiter b = replica("arbiter-b");
        await(Duration.ofSeconds(20), "b learns who leads", () -> b.leader().equals("arbiter-a"));
        for (int i = 0; i < 10; i++) {
            assertThat(acts(b)).as("only the holder acts").isFalse();
            Thread.sleep(RETRY.toMillis());
        }
        assertThat(b.describe()).contains("not the elected arbiter", "the leader is arbiter-a");
        a.leading().orElseThrow().setMode(Durability.ASYNC);

        long stopped = System.nanoTime();
        a.stop(); // revokes its lease: the key goes at once, not after the lease duration
        await(Duration.ofSeconds(20), "b takes over", () -> acts(b));
        assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("sooner than a lease duration would allow")
                .isLessThan(LEASE);
        assertThat(acts(a)).isFalse();
        ArbiterService s = b.leading().orElseThrow();
        assertThat(s.snapshot().state().durable().mode()).as("the state a stored").isEqualTo(Durability.ASYNC);
    }

    @Test
    void aHolderWhoseStoredStateAnotherReplicaReplacedGivesTheKeyBackAndLoadsItAgain() throws Exception {
        EtcdElectedArbiter a = replica("arbiter-a");
        await(Duration.ofSeconds(20), "a acts", () -> acts(a));
        ArbiterService first = a.leading().orElseThrow();
        try (EtcdStateStore other = EtcdStateStore.open(etcd.endpoints(), prefix, Duration.ofSeconds(2), CONFIG)) {
            DurableState s = other.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC));
            other.save(new DurableState(5, GCP, Durability.SYNC, false, false, java.util.Optional.empty(), s.systemId(),
                    s.leaseEpoch(), false));
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> first.setMode(Durability.ASYNC))
                .isInstanceOf(dev.twincloud.arbiter.service.StateNotStored.class);
        await(Duration.ofSeconds(20), "a acts again on the stored state",
                () -> a.leading().filter(s -> s != first).isPresent());
        assertThat(a.leading().orElseThrow().snapshot().state().durable().epoch()).isEqualTo(5);
    }

    @Test
    void aCrashedHoldersKeyIsTakenOnlyAfterItsLeaseRanOut() throws Exception {
        EtcdElectedArbiter a = replica("arbiter-a");
        await(Duration.ofSeconds(20), "a acts", () -> acts(a));
        EtcdElectedArbiter b = replica("arbiter-b");
        await(Duration.ofSeconds(20), "b learns who leads", () -> b.leader().equals("arbiter-a"));

        long crashed = System.nanoTime();
        a.abandon(); // like kill -9: no revoke, no more keep-alives
        await(Duration.ofSeconds(30), "b takes over", () -> acts(b));
        // a's last keep-alive was sent at most one retry period before the crash: the lease holds the key
        // at least lease-duration after that.
        assertThat(Duration.ofNanos(System.nanoTime() - crashed)).isGreaterThanOrEqualTo(LEASE.minus(RETRY).minusMillis(100));
    }

    @Test
    void aHolderThatCannotRenewItsLeaseStopsActingWithinTheRenewDeadline() throws Exception {
        EtcdElectedArbiter a = replica("arbiter-a");
        await(Duration.ofSeconds(20), "a acts", () -> acts(a));
        try {
            etcd.kill(1);
            etcd.kill(2); // no majority: no keep-alive can succeed
            long cut = System.nanoTime();
            await(RENEW_DEADLINE.plusSeconds(3), "a stops acting", () -> !acts(a));
            assertThat(Duration.ofNanos(System.nanoTime() - cut)).as("it had a renewal at most a retry period before")
                    .isLessThanOrEqualTo(RENEW_DEADLINE.plusSeconds(3));
            Thread.sleep(RETRY.toMillis() * 3);
            assertThat(acts(a)).as("and does not act again without etcd").isFalse();
        } finally {
            etcd.restart(1);
            etcd.restart(2);
        }
        await(Duration.ofSeconds(30), "a acts again once etcd has a majority", () -> acts(a));
    }
}
