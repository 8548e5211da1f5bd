package dev.twincloud.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.etcd.jetcd.ByteSequence;
import dev.twincloud.core.decide.DurableState;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The contract on {@link EtcdStateStore} against a real etcd (one member on loopback, ports
 * 25300-25301, started here from Debian's etcd-server binary). Each test stores under a prefix of its own.
 * Skipped, saying why, only when the etcd binary is not installed.
 */
class EtcdStateStoreContractTest extends StateStoreContract {

    static final int BASE_PORT = 25300;

    @TempDir
    static Path root;
    static EtcdCluster etcd;
    static Client raw;

    String prefix;

    @BeforeAll
    static void startEtcd() {
        assumeTrue(EtcdCluster.binary().isPresent(), EtcdCluster.MISSING);
        etcd = EtcdCluster.start(root, BASE_PORT, 1);
        raw = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build();
    }

    @AfterAll
    static void stopEtcd() {
        if (raw != null) {
            raw.close();
        }
        if (etcd != null) {
            etcd.close();
        }
    }

    @BeforeEach
    void freshPrefix() {
        prefix = "/twincloud-test/" + UUID.randomUUID() + "/";
    }

    @Override
    protected StateStore open() {
        return EtcdStateStore.open(etcd.endpoints(), prefix, Duration.ofSeconds(5), CONFIG);
    }

    @Override
    protected void putRaw(String json) {
        try {
            raw.getKVClient().put(ByteSequence.from(prefix + EtcdStateStore.STATE_KEY, StandardCharsets.UTF_8),
                    ByteSequence.from(json, StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not put the raw state", e);
        }
    }

    @org.junit.jupiter.api.Test
    void aSaveFencedByTheLeaderKeyIsRefusedOnceAnotherReplicaHoldsTheKey() throws Exception {
        var kv = raw.getKVClient();
        ByteSequence leader = ByteSequence.from(prefix + "leader", StandardCharsets.UTF_8);
        kv.put(leader, ByteSequence.from("arbiter-a", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
        long held = kv.get(leader).get(10, TimeUnit.SECONDS).getKvs().getFirst().getCreateRevision();
        try (StateStore a = EtcdStateStore.open(etcd.endpoints(), prefix, Duration.ofSeconds(5), CONFIG,
                new EtcdStateStore.Fence(prefix + "leader", held))) {
            DurableState first = a.loadOrCreate(StateStoreContract::initial);
            a.save(withEpoch(first, 2, AWS)); // while the key is a's

            // a's lease ran out, b took the key (a new create revision); a, not knowing yet, saves
            kv.delete(leader).get(10, TimeUnit.SECONDS);
            kv.put(leader, ByteSequence.from("arbiter-b", StandardCharsets.UTF_8)).get(10, TimeUnit.SECONDS);
            assertThatThrownBy(() -> a.save(withEpoch(first, 3, GCP))).isInstanceOf(StateChangedElsewhere.class);
            assertThat(replica().loadOrCreate(StateStoreContract::initial)).isEqualTo(withEpoch(first, 2, AWS));
        }
        try (StateStore late = EtcdStateStore.open(etcd.endpoints(), prefix, Duration.ofSeconds(5), CONFIG,
                new EtcdStateStore.Fence(prefix + "nobody", 1))) {
            late.loadOrCreate(StateStoreContract::initial);
            assertThatThrownBy(() -> late.save(withEpoch(initial(), 9, GCP))).as("a fence key that does not exist")
                    .isInstanceOf(StateChangedElsewhere.class);
        }
    }
}
