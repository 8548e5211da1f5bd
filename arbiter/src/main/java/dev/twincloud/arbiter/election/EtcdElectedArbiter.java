package dev.twincloud.arbiter.election;

import dev.twincloud.arbiter.ArbiterProperties.LeaderElection;
import dev.twincloud.arbiter.service.ArbiterService;
import dev.twincloud.arbiter.service.Leadership;
import dev.twincloud.arbiter.service.OpenArbiter;
import dev.twincloud.arbiter.store.EtcdStateStore;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Several arbiter replicas without Kubernetes (VMs, the lab), one acting, elected in etcd: a replica
 * is the leader while the key {@code <key-prefix>leader} exists with its identity, put under an etcd
 * lease of {@code lease-duration} (whole seconds) that it alone keeps alive. A candidate takes the key
 * with a transaction that puts it only if it does not exist (create revision 0), so at most one
 * holds it; when the holder's lease ends (it crashed, or cannot reach a majority of etcd), etcd
 * deletes the key and the next candidate's attempt (every {@code retry-period}) wins.
 *
 * <p><b>The holder stops before anyone else may start</b>, as with the Kubernetes Lease: each keep-alive
 * extends the lease to a full {@code lease-duration} from when etcd receives it, so no other replica
 * can hold the key earlier than {@code lease-duration} after this replica <i>sent</i> its last
 * successful keep-alive. This replica acts only until {@code renew-deadline} after that send time, on
 * its own monotonic clock, checked before each decision, store and answer ({@code mayAct}). Unlike the
 * Lease, etcd times the lease on its own clock, so the replicas' clock skew does not matter. Each
 * round the holder also checks that the key is still its own (same create revision), and steps down
 * at once if not.
 *
 * <p>The state's writes are fenced by the key ({@link EtcdStateStore.Fence}): etcd refuses a write
 * that reaches it after the key was taken over, however late it arrives.
 *
 * <p>A replica that wins but cannot load the state revokes its lease (giving the key back) and waits
 * one lease duration before competing again. A clean shutdown records ARBITER_STOPPED and revokes the
 * lease, so another replica takes over at once.
 */
public final class EtcdElectedArbiter implements Leadership, SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(EtcdElectedArbiter.class);

    /** The key under the prefix that names the leader. */
    public static final String LEADER_KEY = "leader";

    private final Client client;
    private final LeaderElection settings;
    private final ByteSequence key;
    private final String keyName;
    private final ByteSequence me;
    private final Opener opener;
    private final LongSupplier nanoTime;

    private volatile OpenArbiter active;
    private volatile String leader = "";
    private volatile boolean running;
    /** Monotonic time until which this replica may act; meaningful only while {@link #held}. */
    private volatile long validUntil;
    private volatile boolean held;
    private volatile long leaseId;
    private Thread campaign;

    /** Opens the store, the history and the service for a replica that just won. */
    @FunctionalInterface
    public interface Opener {
        /**
         * @param mayAct whether this replica may still act
         * @param note   for the start event
         * @param fence  the won key, to fence the state's writes with ({@link EtcdStateStore.Fence})
         */
        OpenArbiter open(BooleanSupplier mayAct, String note, EtcdStateStore.Fence fence);
    }

    public EtcdElectedArbiter(List<String> endpoints, String keyPrefix, LeaderElection settings, Opener opener) {
        this.client = EtcdStateStore.client(endpoints, settings.retryPeriod());
        this.settings = settings;
        this.keyName = keyPrefix + LEADER_KEY;
        this.key = ByteSequence.from(keyName, StandardCharsets.UTF_8);
        this.me = ByteSequence.from(settings.identity(), StandardCharsets.UTF_8);
        this.opener = opener;
        this.nanoTime = System::nanoTime;
    }

    @Override
    public Optional<ArbiterService> leading() {
        OpenArbiter a = active;
        return a != null && valid() && !a.service().deposed() ? Optional.of(a.service()) : Optional.empty();
    }

    private boolean valid() {
        return held && nanoTime.getAsLong() - validUntil < 0;
    }

    @Override
    public String leader() {
        return leader;
    }

    @Override
    public String describe() {
        return Replica.describe(settings.identity(), leading().isPresent(), leader, "etcd key " + keyName);
    }

    @Override
    public void start() {
        running = true;
        campaign = Thread.ofVirtual().name("arbiter-etcd-election").start(this::campaign);
        log.info("leader election: competing for the etcd key {} as {} (lease {} s, renew deadline {} ms, retry {} ms)",
                keyName, settings.identity(), settings.leaseDuration().toSeconds(), settings.renewDeadline().toMillis(),
                settings.retryPeriod().toMillis());
    }

    /** Compete; lead until the key is lost; compete again; until stopped. */
    private void campaign() {
        while (running) {
            long pause = settings.retryPeriod().toMillis();
            try {
                if (tryToWin()) {
                    pause = lead();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Exception e) {
                log.warn("leader election: etcd round failed, trying again: {}", String.valueOf(e));
            }
            stepDown("the election round ended", true);
            if (running && !Replica.sleep(pause)) {
                break;
            }
        }
    }

    /** Grants a lease and tries to take the key with it; true when this replica holds the key. */
    private boolean tryToWin() throws Exception {
        long sent = nanoTime.getAsLong();
        long id = await(client.getLeaseClient().grant(settings.leaseDuration().toSeconds())).getID();
        TxnResponse r;
        try {
            r = await(client.getKVClient().txn()
                    .If(new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
                    .Then(Op.put(key, me, PutOption.builder().withLeaseId(id).build()))
                    .Else(Op.get(key, GetOption.DEFAULT))
                    .commit());
        } catch (Exception e) {
            revokeQuietly(id); // the outcome is unknown: if the key became ours, it goes with the lease
            throw e;
        }
        if (!r.isSucceeded()) {
            List<KeyValue> kvs = r.getGetResponses().isEmpty() ? List.of() : r.getGetResponses().getFirst().getKvs();
            newLeader(kvs.isEmpty() ? "" : kvs.getFirst().getValue().toString(StandardCharsets.UTF_8));
            revokeQuietly(id);
            return false;
        }
        leaseId = id;
        validUntil = sent + settings.renewDeadline().toNanos(); // the lease runs from no earlier than `sent`
        held = true;
        newLeader(settings.identity());
        return true;
    }

    /** Acts while the lease is kept alive; returns how long to wait before competing again. */
    private long lead() throws InterruptedException {
        long createRevision;
        try {
            createRevision = ownKey().orElseThrow(() -> new IllegalStateException("the key vanished right after winning"))
                    .getCreateRevision();
        } catch (Exception e) {
            log.warn("leader election: won {} but could not read it back: {}", keyName, String.valueOf(e));
            return settings.retryPeriod().toMillis();
        }
        try {
            OpenArbiter opened = opener.open(this::mayAct, "; elected replica " + settings.identity() + " (etcd key "
                    + keyName + ")", new EtcdStateStore.Fence(keyName, createRevision));
            active = opened;
            log.info("elected: {} acts as the arbiter from now on", settings.identity());
        } catch (RuntimeException e) {
            log.error("elected, but the state cannot be loaded, so this replica gives the key back and waits {} s: {}",
                    settings.leaseDuration().toSeconds(), e.getMessage());
            return settings.leaseDuration().toMillis();
        }
        while (running && valid()) {
            Thread.sleep(settings.retryPeriod().toMillis());
            if (active != null && active.service().deposed()) {
                log.warn("the stored state was replaced by another replica: {} gives the key back and competes again",
                        settings.identity());
                return settings.retryPeriod().toMillis();
            }
            long sent = nanoTime.getAsLong();
            try {
                long ttl = await(client.getLeaseClient().keepAliveOnce(leaseId)).getTTL();
                if (ttl <= 0) {
                    log.warn("leader election: the etcd lease of {} has expired", settings.identity());
                    return settings.retryPeriod().toMillis();
                }
                Optional<KeyValue> kv = ownKey();
                if (kv.isEmpty() || kv.get().getCreateRevision() != createRevision || kv.get().getLease() != leaseId) {
                    log.warn("leader election: the etcd key {} is no longer this replica's", keyName);
                    return settings.retryPeriod().toMillis();
                }
                validUntil = sent + settings.renewDeadline().toNanos();
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                log.warn("leader election: keeping the etcd lease alive failed ({} ms left to act): {}",
                        Math.max(0, (validUntil - nanoTime.getAsLong()) / 1_000_000), String.valueOf(e));
            }
        }
        if (running) {
            log.warn("leader election: no successful keep-alive for {} ms: {} stops acting", settings.renewDeadline().toMillis(),
                    settings.identity());
        }
        return settings.retryPeriod().toMillis();
    }

    private Optional<KeyValue> ownKey() throws Exception {
        List<KeyValue> kvs = await(client.getKVClient().get(key)).getKvs();
        return kvs.isEmpty() || !kvs.getFirst().getValue().equals(me) ? Optional.empty() : Optional.of(kvs.getFirst());
    }

    private boolean mayAct() {
        return running && valid();
    }

    private void newLeader(String identity) {
        if (!identity.equals(leader)) {
            leader = identity;
            log.info("leader election: the leader is now {}", identity.isEmpty() ? "nobody" : identity);
        }
    }

    /** Stops acting; with {@code giveBack}, revokes the lease so that the key goes at once. */
    private synchronized void stepDown(String why, boolean giveBack) {
        held = false;
        OpenArbiter a = active;
        active = null;
        if (a != null) {
            Replica.closeStepping(a, settings.identity(), why, log);
        }
        long id = leaseId;
        leaseId = 0;
        if (giveBack && id != 0) {
            revokeQuietly(id);
        }
    }

    private void revokeQuietly(long id) {
        try {
            await(client.getLeaseClient().revoke(id));
        } catch (Exception e) {
            log.debug("revoking etcd lease {}: {} (it runs out by itself)", id, e.toString());
        }
    }

    private <T> T await(CompletableFuture<T> call) throws Exception {
        try {
            return call.get(settings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception c ? c : e;
        } finally {
            call.cancel(true);
        }
    }


    @Override
    public void stop() {
        OpenArbiter a = active;
        if (a != null && valid()) {
            a.service().close(); // ARBITER_STOPPED, while still the elected replica
        }
        running = false;
        Thread t = campaign;
        if (t != null) {
            t.interrupt();
            try {
                t.join(settings.retryPeriod().toMillis() * 3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stepDown("shutting down", true); // revokes the lease: another replica takes over at once
        client.close();
    }

    /** For tests: stop as a crashed process would, without giving the key back (the lease runs out). */
    void abandon() {
        running = false;
        Thread t = campaign;
        if (t != null) {
            t.interrupt();
        }
        held = false;
        active = null;
        client.close();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
