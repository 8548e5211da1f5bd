package dev.twincloud.arbiter.store;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.ArbiterConfig;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The arbiter's state under the etcd key {@code <key-prefix>state}, through jetcd (docs/adr, "the etcd client is jetcd").
 * etcd acknowledges a write once a majority of its members has it in their fsynced log, and reads
 * are linearizable, so a replica loads what the last acknowledged save stored whichever member it
 * asks. A save is a transaction: put the new state if the key's mod revision is still the one this
 * replica last loaded or stored; creating it compares the create revision with 0 (no such key).
 * Every request is bounded by {@code timeout}; an answer that does not come in time is an unknown
 * outcome (see {@link VersionedStateStore}).
 *
 * <p>With a {@link Fence} (the replicas elect in the same etcd), every write also requires that the
 * leader key still has the create revision it had when this replica won it: a write that a deposed
 * replica sent before it stopped acting, but that reaches etcd after another replica took the key,
 * is refused by etcd itself, whatever the timing.
 */
public final class EtcdStateStore extends VersionedStateStore {

    /** The key under the prefix that holds the state. */
    public static final String STATE_KEY = "state";

    /**
     * Writes are allowed only while {@code key} (the election's leader key) has {@code createRevision},
     * i.e. is still the one this replica created when it won.
     */
    public record Fence(String key, long createRevision) {
    }

    private final Client client;
    private final KV kv;
    private final String keyName;
    private final ByteSequence key;
    private final Duration timeout;
    private final List<String> endpoints;
    private final Optional<Cmp> fence;

    private EtcdStateStore(Client client, List<String> endpoints, String keyPrefix, Duration timeout, ArbiterConfig config,
                           Optional<Fence> fence) {
        super(config);
        this.fence = fence.map(f -> new Cmp(ByteSequence.from(f.key(), StandardCharsets.UTF_8), Cmp.Op.EQUAL,
                CmpTarget.createRevision(f.createRevision())));
        this.client = client;
        this.kv = client.getKVClient();
        this.endpoints = List.copyOf(endpoints);
        this.keyName = keyPrefix + STATE_KEY;
        this.key = ByteSequence.from(keyName, StandardCharsets.UTF_8);
        this.timeout = timeout;
    }

    /**
     * A client for {@code endpoints} (e.g. {@code http://10.0.0.5:2379}); nothing is sent until the
     * first load.
     */
    public static EtcdStateStore open(List<String> endpoints, String keyPrefix, Duration timeout, ArbiterConfig config) {
        return open(endpoints, keyPrefix, timeout, config, null);
    }

    /** As {@link #open(List, String, Duration, ArbiterConfig)}, every write fenced by {@code fence} (null: none). */
    public static EtcdStateStore open(List<String> endpoints, String keyPrefix, Duration timeout, ArbiterConfig config,
                                      Fence fence) {
        Client client;
        try {
            client = client(endpoints, timeout);
        } catch (RuntimeException e) {
            throw new StartupRefused("cannot set up an etcd client for " + endpoints + ": " + e.getMessage(),
                    "Check twincloud.arbiter.etcd.endpoints (http://host:port, comma-separated).", e);
        }
        return new EtcdStateStore(client, endpoints, keyPrefix, timeout, config, Optional.ofNullable(fence));
    }

    /** A jetcd client whose own retries (of reads; it does not repeat writes) end within {@code timeout}. */
    public static Client client(List<String> endpoints, Duration timeout) {
        long delay = Math.max(10, timeout.toMillis() / 10); // jetcd's retry policy wants delay < max delay < max duration
        return Client.builder().endpoints(endpoints.toArray(String[]::new))
                .connectTimeout(timeout)
                .retryDelay(delay)
                .retryMaxDelay(Math.max(delay + 1, timeout.toMillis() / 2))
                .retryMaxDuration(timeout)
                .keepaliveTime(Duration.ofSeconds(10))
                .keepaliveTimeout(timeout)
                .build();
    }

    @Override
    public String describe() {
        return "the etcd key " + keyName + " (" + String.join(",", endpoints) + ")";
    }

    @Override
    protected String repairHow() {
        return "etcdctl --endpoints=" + String.join(",", endpoints) + " get/put " + keyName;
    }

    @Override
    protected String reachAdvice() {
        return "Check that etcd answers at " + endpoints + " (etcdctl endpoint health) and that a majority of its members is up.";
    }

    @Override
    protected Optional<Versioned> read() throws IOException {
        GetResponse r = await(kv.get(key), "read");
        if (r.getKvs().isEmpty()) {
            return Optional.empty();
        }
        KeyValue stored = r.getKvs().getFirst();
        return Optional.of(new Versioned(stored.getValue().getBytes(), Long.toString(stored.getModRevision())));
    }

    @Override
    protected Optional<String> create(byte[] bytes) throws IOException {
        return putIf(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)), bytes);
    }

    @Override
    protected Optional<String> replace(byte[] bytes, String expected) throws IOException {
        return putIf(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.modRevision(Long.parseLong(expected))), bytes);
    }

    /** The put's revision (the key's new mod revision) if {@code condition} held, else empty. */
    private Optional<String> putIf(Cmp condition, byte[] bytes) throws IOException {
        Cmp[] conditions = fence.map(f -> new Cmp[] {condition, f}).orElse(new Cmp[] {condition});
        TxnResponse r = await(kv.txn().If(conditions).Then(Op.put(key, ByteSequence.from(bytes), PutOption.DEFAULT)).commit(),
                "compare-and-swap");
        return r.isSucceeded() ? Optional.of(Long.toString(r.getHeader().getRevision())) : Optional.empty();
    }

    private <T> T await(CompletableFuture<T> call, String what) throws IOException {
        try {
            return call.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new IOException("etcd " + what + " on " + keyName + ": no answer within " + timeout.toMillis() + " ms", e);
        } catch (ExecutionException e) {
            throw new IOException("etcd " + what + " on " + keyName + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the etcd " + what + " on " + keyName, e);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
