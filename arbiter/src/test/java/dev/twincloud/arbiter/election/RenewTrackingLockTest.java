package dev.twincloud.arbiter.election;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Until when a replica may act, from the renewals it wrote: pure, with a fake clock and a fake Lease lock. */
class RenewTrackingLockTest {

    static final ZonedDateTime T0 = ZonedDateTime.of(2026, 11, 28, 12, 0, 0, 0, ZoneOffset.UTC);
    final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    ZonedDateTime wall = T0;
    boolean fail;

    final Lock fake = new Lock() {
        @Override
        public LeaderElectionRecord get(KubernetesClient client) {
            return null;
        }

        @Override
        public void create(KubernetesClient client, LeaderElectionRecord record) {
            update(client, record);
        }

        @Override
        public void update(KubernetesClient client, LeaderElectionRecord record) {
            if (fail) {
                throw new KubernetesClientException("Conflict", 409, null);
            }
        }

        @Override
        public String identity() {
            return "arbiter-a";
        }

        @Override
        public String describe() {
            return "twincloud/twincloud-arbiter";
        }
    };

    final RenewTrackingLock lock = new RenewTrackingLock(fake, Duration.ofSeconds(10), nanos::get, () -> wall);

    static LeaderElectionRecord record(String holder, ZonedDateTime renewed) {
        return new LeaderElectionRecord(holder, Duration.ofSeconds(15), renewed, renewed, 0);
    }

    void advance(Duration d) {
        nanos.addAndGet(d.toNanos());
        wall = wall.plus(d);
    }

    @Test
    void actsOnlyAfterASuccessfulWriteAsHolderAndUntilTheRenewDeadline() {
        assertThat(lock.valid()).as("nothing written yet").isFalse();
        lock.create(null, record("arbiter-a", wall));
        assertThat(lock.valid()).isTrue();
        advance(Duration.ofMillis(9_999));
        assertThat(lock.valid()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(lock.valid()).as("renew deadline reached").isFalse();
        lock.update(null, record("arbiter-a", wall));
        assertThat(lock.valid()).as("renewed").isTrue();
    }

    @Test
    void theDeadlineRunsFromTheRenewTimeInTheRecordNotFromTheAnswer() {
        ZonedDateTime renewTime = wall;
        advance(Duration.ofSeconds(3)); // the write was sent 3 s after the renew time it carries
        lock.update(null, record("arbiter-a", renewTime));
        advance(Duration.ofMillis(6_999));
        assertThat(lock.valid()).isTrue();
        advance(Duration.ofMillis(1));
        assertThat(lock.valid()).isFalse();
    }

    @Test
    void aFailedRenewalExtendsNothing() {
        lock.update(null, record("arbiter-a", wall));
        advance(Duration.ofSeconds(8));
        fail = true;
        assertThatThrownBy(() -> lock.update(null, record("arbiter-a", wall))).isInstanceOf(KubernetesClientException.class);
        assertThat(lock.valid()).as("still within the first deadline").isTrue();
        advance(Duration.ofSeconds(2));
        assertThat(lock.valid()).isFalse();
    }

    @Test
    void releasingOrInvalidatingStopsAtOnce() {
        lock.update(null, record("arbiter-a", wall));
        lock.update(null, record("", wall)); // fabric8's release writes an empty holder
        assertThat(lock.valid()).isFalse();
        lock.update(null, record("arbiter-a", wall));
        lock.invalidate();
        assertThat(lock.valid()).isFalse();
    }

    @Test
    void aReleaseThatFailsStillStopsThisReplica() {
        lock.update(null, record("arbiter-a", wall));
        fail = true;
        assertThatThrownBy(() -> lock.update(null, record(null, wall))).isInstanceOf(KubernetesClientException.class);
        assertThat(lock.valid()).isFalse();
    }
}
