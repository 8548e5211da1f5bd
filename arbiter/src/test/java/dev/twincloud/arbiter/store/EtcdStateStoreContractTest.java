package dev.twincloud.arbiter.store;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.etcd.jetcd.ByteSequence;
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

    static List<String> endpoints() {
        return etcd.endpoints();
    }
}
