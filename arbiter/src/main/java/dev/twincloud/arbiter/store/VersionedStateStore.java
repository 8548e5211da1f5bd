package dev.twincloud.arbiter.store;

import dev.twincloud.arbiter.StartupRefused;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link StateStore} on a service that versions what it stores and can replace it only if the
 * version is still the expected one (etcd: a transaction comparing the key's mod revision;
 * Kubernetes: an update carrying the object's resourceVersion). The state is the same JSON as the
 * file store's ({@link StateCodec}).
 *
 * <p>When a replace is refused, the stored value is read once more: if it is byte for byte what this
 * replica tried to store (an answer lost and the request retried by the client, or an earlier save
 * whose outcome was unknown), that write was this replica's own and is adopted — each stored value
 * carries the time of its save to the nanosecond, so another replica's never matches. Otherwise the
 * save fails with {@link StateChangedElsewhere}. Adopting an earlier save of unknown outcome is safe:
 * the arbiter did not act on it (rule 3 only asks that nothing is acted on before it is stored), and
 * without it one lost answer would make every later save fail.
 */
abstract class VersionedStateStore implements StateStore {

    private static final Logger log = LoggerFactory.getLogger(VersionedStateStore.class);

    /** What is stored and its version (opaque). */
    record Versioned(byte[] bytes, String version) {
    }

    private final StateCodec codec;
    /** The version this replica last loaded or stored; null before the first load. */
    private String version;
    /** The bytes of a save whose outcome is unknown (a timeout, a lost connection); null if none. */
    private byte[] unsure;

    VersionedStateStore(ArbiterConfig config) {
        this.codec = new StateCodec(config);
    }

    /** The stored value; empty when nothing is stored. */
    protected abstract Optional<Versioned> read() throws IOException;

    /** Stores {@code bytes} if nothing is stored yet: the new version, or empty when something is. */
    protected abstract Optional<String> create(byte[] bytes) throws IOException;

    /** Stores {@code bytes} if the stored version is still {@code expected}: the new version, or empty when not. */
    protected abstract Optional<String> replace(byte[] bytes, String expected) throws IOException;

    /** How a human edits the stored state (for the repair advice), e.g. "etcdctl get/put KEY". */
    protected abstract String repairHow();

    /** What to check when the service cannot be reached. */
    protected abstract String reachAdvice();

    @Override
    public synchronized DurableState loadOrCreate(Supplier<DurableState> initial) {
        try {
            Optional<Versioned> stored = read();
            if (stored.isEmpty()) {
                DurableState fresh = initial.get();
                Optional<String> created = create(codec.encode(fresh));
                if (created.isPresent()) {
                    version = created.get();
                    log.info("no state in {}: created epoch {} with writer {} ({})", describe(), fresh.epoch(), fresh.writer(),
                            fresh.mode());
                    return fresh;
                }
                stored = read();
                if (stored.isEmpty()) {
                    throw new IOException("another replica created the state and it was deleted again");
                }
                log.info("another replica created {} at the same moment: loading its state", describe());
            }
            DurableState loaded = codec.decode(stored.get().bytes(), describe(), StateCodec.repairAction(repairHow()));
            version = stored.get().version();
            log.info("loaded state from {}: epoch {}, writer {}, mode {}", describe(), loaded.epoch(), loaded.writer(),
                    loaded.mode());
            return loaded;
        } catch (IOException e) {
            throw new StartupRefused("cannot read " + describe() + ": " + e.getMessage(),
                    reachAdvice() + " The arbiter never starts over without its stored epoch.", e);
        }
    }

    @Override
    public synchronized void save(DurableState state) {
        if (version == null) {
            throw new IllegalStateException("save before the state was loaded from " + describe());
        }
        byte[] bytes = codec.encode(state);
        try {
            Optional<String> stored = replace(bytes, version);
            if (stored.isEmpty()) {
                stored = ownWrite(bytes);
            }
            if (stored.isEmpty()) {
                throw new StateChangedElsewhere(describe());
            }
            version = stored.get();
            unsure = null;
        } catch (IOException e) {
            unsure = bytes;
            throw new UncheckedIOException("could not store the arbiter state in " + describe()
                    + " (it may or may not be stored): " + e.getMessage(), e);
        }
    }

    /** After a refused replace: the version if what is stored is this replica's own write, else empty. */
    private Optional<String> ownWrite(byte[] attempted) throws IOException {
        Optional<Versioned> now = read();
        if (now.isEmpty()) {
            return Optional.empty();
        }
        if (Arrays.equals(now.get().bytes(), attempted)) {
            return Optional.of(now.get().version()); // stored; the answer was lost and the client retried
        }
        if (unsure != null && Arrays.equals(now.get().bytes(), unsure)) {
            log.warn("a save to {} whose outcome was unknown had been stored (nothing was acted on); storing the new state over it",
                    describe());
            version = now.get().version();
            unsure = null;
            return replace(attempted, version);
        }
        return Optional.empty();
    }
}
