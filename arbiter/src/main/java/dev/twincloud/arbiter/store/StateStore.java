package dev.twincloud.arbiter.store;

import dev.twincloud.core.decide.DurableState;
import java.util.function.Supplier;

/**
 * Where the arbiter keeps its {@link DurableState} (docs/design.md rule 3: stored before it is acted
 * on). Three kinds (docs/arbiter.md, "Where the state is stored"): a fsynced file
 * ({@link FileStateStore}, one replica), an etcd key ({@link EtcdStateStore}) and a Kubernetes
 * ConfigMap ({@link KubernetesStateStore}).
 *
 * <p>Every save is a compare-and-swap against what this store last loaded or saved: a save after
 * another replica stored a state is refused ({@link StateChangedElsewhere}) and never overwrites it.
 * The caller ({@code ArbiterService}) then acts on nothing and answers 503 {@code state-not-stored};
 * since the refusal repeats on every later save, that replica stops acting until it is restarted or
 * re-elected and loads the state again. Behaviour common to all three kinds is pinned by
 * {@code StateStoreContract}.
 */
public interface StateStore extends AutoCloseable {

    /**
     * The stored state; when there is none yet, {@code initial} stored first (if another replica
     * creates it at the same moment, the one it stored is loaded). Remembers what it loaded for the
     * next save's compare-and-swap.
     *
     * @throws dev.twincloud.arbiter.StartupRefused the state cannot be read, parsed or does not fit
     *         this arbiter's configuration (the arbiter never starts over without its stored epoch)
     */
    DurableState loadOrCreate(Supplier<DurableState> initial);

    /**
     * Stores {@code state} durably if the stored state is still the one this store last loaded or
     * saved; returns only once it is stored.
     *
     * @throws StateChangedElsewhere another replica stored a state since: nothing was written
     * @throws java.io.UncheckedIOException it could not be stored (or it is unknown whether it was);
     *         the caller must not act on {@code state}
     */
    void save(DurableState state);

    /** Where the state is, for messages (e.g. "the state file /var/lib/.../state.json"). */
    String describe();

    @Override
    void close();
}
