package dev.twincloud.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What {@link VersionedStateStore} does when an answer is lost — which a real etcd or API server
 * cannot be made to do on cue, so the service here is a map in memory that can store a write and
 * then fail the call (the answer lost), or fail it before storing.
 */
class VersionedStateStoreTest {

    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");

    /** One stored value with a version counter, shared by the replicas of a test. */
    static final class Service {
        byte[] value;
        long version;
    }

    enum Failure { NONE, AFTER_STORING, BEFORE_STORING, REFUSE_AFTER_STORING }

    static final class Replica extends VersionedStateStore {
        final Service service;
        Failure next = Failure.NONE;

        Replica(Service service) {
            super(StateStoreContract.CONFIG);
            this.service = service;
        }

        @Override
        protected Optional<Versioned> read() {
            synchronized (service) {
                return service.value == null ? Optional.empty()
                        : Optional.of(new Versioned(service.value, Long.toString(service.version)));
            }
        }

        @Override
        protected Optional<String> create(byte[] bytes) throws IOException {
            return write(bytes, null);
        }

        @Override
        protected Optional<String> replace(byte[] bytes, String expected) throws IOException {
            return write(bytes, expected);
        }

        private Optional<String> write(byte[] bytes, String expected) throws IOException {
            synchronized (service) {
                Failure f = next;
                next = Failure.NONE;
                if (f == Failure.BEFORE_STORING) {
                    throw new IOException("connection reset before the request arrived");
                }
                boolean matches = expected == null ? service.value == null : Long.toString(service.version).equals(expected);
                if (!matches) {
                    return Optional.empty();
                }
                service.value = bytes;
                service.version++;
                if (f == Failure.AFTER_STORING) {
                    throw new IOException("no answer within the timeout");
                }
                if (f == Failure.REFUSE_AFTER_STORING) {
                    return Optional.empty(); // a client that retried a write which had landed: the retry's compare fails
                }
                return Optional.of(Long.toString(service.version));
            }
        }

        @Override
        protected String repairHow() {
            return "edit the map";
        }

        @Override
        protected String reachAdvice() {
            return "Check the map.";
        }

        @Override
        public String describe() {
            return "the test map";
        }

        @Override
        public void close() {
        }
    }

    static DurableState epoch(long epoch, SiteId writer) {
        return new DurableState(epoch, writer, Durability.SYNC, false, false, Optional.empty(), 0, 0, false);
    }

    @Test
    void aSaveWhoseAnswerWasLostAfterItWasStoredIsAdoptedByTheNextSave() {
        Service s = new Service();
        Replica r = new Replica(s);
        r.loadOrCreate(() -> epoch(1, GCP));
        r.next = Failure.AFTER_STORING;
        assertThatThrownBy(() -> r.save(epoch(2, AWS))).isInstanceOf(UncheckedIOException.class)
                .isNotInstanceOf(StateChangedElsewhere.class).hasMessageContaining("may or may not be stored");
        r.save(epoch(3, AWS));
        assertThat(new Replica(s).loadOrCreate(() -> epoch(1, GCP))).isEqualTo(epoch(3, AWS));
    }

    @Test
    void aSaveThatFailedBeforeStoringLeavesTheNextSaveAsIfItHadNotBeenTried() {
        Service s = new Service();
        Replica r = new Replica(s);
        r.loadOrCreate(() -> epoch(1, GCP));
        r.next = Failure.BEFORE_STORING;
        assertThatThrownBy(() -> r.save(epoch(2, AWS))).isInstanceOf(UncheckedIOException.class);
        r.save(epoch(3, AWS));
        assertThat(new Replica(s).loadOrCreate(() -> epoch(1, GCP))).isEqualTo(epoch(3, AWS));
    }

    @Test
    void aRefusedReplaceOfWhatThisReplicaHadJustStoredCountsAsStored() {
        Service s = new Service();
        Replica r = new Replica(s);
        r.loadOrCreate(() -> epoch(1, GCP));
        r.next = Failure.REFUSE_AFTER_STORING;
        r.save(epoch(2, AWS));
        r.save(epoch(3, GCP)); // and its version was taken up
        assertThat(new Replica(s).loadOrCreate(() -> epoch(1, GCP))).isEqualTo(epoch(3, GCP));
    }

    @Test
    void anotherReplicasSaveAfterAnAnswerWasLostIsNeverOverwritten() {
        Service s = new Service();
        Replica r = new Replica(s);
        r.loadOrCreate(() -> epoch(1, GCP));
        r.next = Failure.AFTER_STORING;
        assertThatThrownBy(() -> r.save(epoch(2, AWS))).isInstanceOf(UncheckedIOException.class);
        Replica other = new Replica(s);
        other.loadOrCreate(() -> epoch(1, GCP));
        other.save(epoch(5, AWS));

        assertThatThrownBy(() -> r.save(epoch(3, GCP))).isInstanceOf(StateChangedElsewhere.class);
        assertThat(new Replica(s).loadOrCreate(() -> epoch(1, GCP))).isEqualTo(epoch(5, AWS));
    }
}
