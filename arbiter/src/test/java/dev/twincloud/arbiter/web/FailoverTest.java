package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.arbiter.SimCluster;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.Assignment;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class FailoverTest extends ArbiterHttpTest {

    @Test
    void failsOverWhenTheWriterFallsSilent() {
        SimAgent old = steady();
        SimAgent next = cluster.peer(old);
        long epoch = epoch();
        Instant oldLease = cluster.lastLeaseOf(old.site);

        old.silent = true;
        cluster.roundsUntil(() -> next.state == SiteState.PRIMARY_ASYNC, 50);

        Instant promotedAt = clock.instant().minusMillis(SimCluster.ROUND_MILLIS);
        assertThat(promotedAt).as("promoted only after the old lease + margin").isAfter(oldLease.plus(TTL).plus(MARGIN));
        assertThat(next.epoch).isEqualTo(epoch + 1);
        cluster.roundsUntil(() -> next.last.lease().isPresent(), 3);

        // The old writer comes back with its old epoch: it is told to stand down, then to follow.
        old.silent = false;
        cluster.round();
        assertThat(old.last.goal()).isEqualTo(SiteState.DEMOTED);
        assertThat(steady()).isSameAs(next);
        assertThat(old.state).isEqualTo(SiteState.STANDBY);

        Event failover = lastEvent(EventKind.FAILOVER);
        assertThat(failover.site()).isEqualTo(next.site);
        assertThat(failover.epoch()).isEqualTo(epoch + 1);
        assertThat(failover.why()).contains("lease of " + old.site + " ended");
        assertThat(metrics()).contains("twincloud_arbiter_events_total{kind=\"FAILOVER\",site=\"" + next.site + "\"} 1.0");
    }

    @Test
    void storesTheNewEpochBeforeAnsweringTheHeartbeat() {
        SimAgent old = steady();
        SimAgent next = cluster.peer(old);
        long epoch = epoch();
        old.silent = true;

        Assignment promoted = null;
        for (int i = 0; i < 50 && promoted == null; i++) {
            clock.advanceMillis(SimCluster.ROUND_MILLIS);
            Assignment a = cluster.heartbeat(next);
            if (a.epoch() > epoch) {
                promoted = a;
                // Read right after the answer arrived: the file already holds what the answer says.
                JsonNode stored = storedState();
                assertThat(stored.path("epoch").asLong()).isEqualTo(a.epoch());
                assertThat(stored.path("writer").asString()).isEqualTo(next.site.name());
            }
        }
        assertThat(promoted).isNotNull();
        assertThat(promoted.goal()).isEqualTo(SiteState.PRIMARY_ASYNC);

        old.silent = false;
        assertThat(steady()).isSameAs(next);
    }

    Event lastEvent(EventKind kind) {
        Event found = null;
        for (Event e : events(1000)) {
            if (e.kind() == kind) {
                found = e;
            }
        }
        assertThat(found).as("an event %s", kind).isNotNull();
        return found;
    }
}
