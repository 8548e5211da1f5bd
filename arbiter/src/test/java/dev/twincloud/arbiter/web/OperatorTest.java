package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.arbiter.SimCluster;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.Timing;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OperatorTest extends ArbiterHttpTest {

    @Test
    void switchoverMovesTheWriterWithoutWaitingOutTheLease() {
        SimAgent old = steady();
        SimAgent next = cluster.peer(old);
        long epoch = epoch();
        Instant oldLease = cluster.lastLeaseOf(old.site);

        Http.Response r = operator.post("/v1/switchover", new OperatorRequest.Switchover(next.site));

        assertThat(r.status()).isEqualTo(202);
        assertThat(r.json().path("kind").asString()).isEqualTo(EventKind.SWITCHOVER_STARTED.name());
        assertThat(r.json().path("site").asString()).isEqualTo(next.site.name());
        assertThat(status().switchover().map(ArbiterStatus.Switchover::to)).contains(next.site);
        Http.Response again = operator.post("/v1/switchover", new OperatorRequest.Switchover(next.site));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().path("detail").asString()).contains("already in progress");

        cluster.roundsUntil(() -> next.last.lease().isPresent(), 10);

        assertThat(next.epoch).isEqualTo(epoch + 1);
        assertThat(cluster.lastLeaseOf(next.site)).as("the old writer released its lease by fencing itself")
                .isBefore(oldLease.plus(TTL));
        assertThat(old.state).isIn(SiteState.FENCED, SiteState.STANDBY);
        assertThat(steady()).isSameAs(next);
        assertThat(old.state).isEqualTo(SiteState.STANDBY);
        assertThat(kinds()).containsSubsequence(EventKind.SWITCHOVER_STARTED, EventKind.SWITCHOVER_PROMOTE, EventKind.LEASE_FIRST_GRANT);
    }

    @Test
    void refusesASwitchoverToTheCurrentWriterWithTheDecidersReason() {
        SimAgent writer = steady();

        Http.Response r = operator.post("/v1/switchover", new OperatorRequest.Switchover(writer.site));

        assertThat(r.status()).isEqualTo(409);
        assertThat(r.contentType()).startsWith("application/problem+json");
        assertThat(r.json().path("detail").asString()).contains(writer.site + " is already the writer");
    }

    @Test
    void forcedPromotionIsRecordedWithWhoAndWhy() {
        SimAgent old = steady();
        SimAgent next = cluster.peer(old);
        long epoch = epoch();

        Http.Response notForced = operator.post("/v1/promote", new OperatorRequest.Promote(next.site, false,
                "testing", "alice"));
        assertThat(notForced.status()).isEqualTo(400);
        assertThat(notForced.json().path("detail").asString()).contains("only forced promotions", "the arbiter promotes automatically");

        Http.Response r = operator.post("/v1/promote", OperatorRequest.Promote.forced(next.site,
                "region lost, confirmed by the provider", "alice"));

        assertThat(r.status()).isEqualTo(202);
        assertThat(r.json().path("kind").asString()).isEqualTo(EventKind.FORCED_PROMOTION.name());
        assertThat(r.json().path("epoch").asLong()).isEqualTo(epoch + 1);
        assertThat(r.json().path("why").asString()).contains("forced by alice", "region lost, confirmed by the provider");
        assertThat(storedState().path("epoch").asLong()).isEqualTo(epoch + 1);
        assertThat(storedState().path("writer").asString()).isEqualTo(next.site.name());
        Event last = events(1).get(0);
        assertThat(last.kind()).isEqualTo(EventKind.FORCED_PROMOTION);
        assertThat(last.why()).contains("alice");

        // Even forced, the new writer gets no lease while the old one may still hold one (checked by SimCluster).
        assertThat(steady()).isSameAs(next);
        assertThat(old.state).isEqualTo(SiteState.STANDBY);
    }

    @Test
    void modeChangesAreStoredAndTheWriterFollows() {
        SimAgent writer = steady();
        assertThat(status().mode()).isEqualTo(Durability.SYNC);

        Http.Response r = operator.post("/v1/mode", new OperatorRequest.Mode(Durability.ASYNC));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json().path("kind").asString()).isEqualTo(EventKind.MODE_CHANGED.name());
        assertThat(r.json().path("why").asString()).isEqualTo("durability SYNC -> ASYNC");
        assertThat(storedState().path("mode").asString()).isEqualTo("ASYNC");
        assertThat(status().standbyEligible()).isFalse();
        cluster.round();
        // Rule 10: the standby's read lease (granted on its last heartbeat) may still hold, so the writer
        // stays synchronous until it has ended by the arbiter's clock plus the margin, then follows.
        assertThat(writer.last.goal()).as("read lease may hold").isEqualTo(SiteState.PRIMARY_SYNC);
        int rounds = 1;
        while (writer.last.goal() != SiteState.PRIMARY_ASYNC && rounds < 40) {
            cluster.round();
            rounds++;
        }
        assertThat(rounds * SimCluster.ROUND_MILLIS).as("waited out the read lease and the margin")
                .isGreaterThanOrEqualTo(Timing.READ_LEASE_TTL.plus(MARGIN).toMillis() - SimCluster.ROUND_MILLIS);
        assertThat(writer.last.goal()).isEqualTo(SiteState.PRIMARY_ASYNC);

        Http.Response same = operator.post("/v1/mode", new OperatorRequest.Mode(Durability.ASYNC));
        assertThat(same.status()).isEqualTo(409);
        assertThat(same.json().path("detail").asString()).isEqualTo("durability mode is already ASYNC");
        assertThat(operator.post("/v1/mode", Map.of("mode", "EVENTUAL")).status()).isEqualTo(400);

        assertThat(operator.post("/v1/mode", new OperatorRequest.Mode(Durability.SYNC)).status()).isEqualTo(200);
        steady();
        assertThat(status().standbyEligible()).isTrue();
        assertThat(writer.last.goal()).isEqualTo(SiteState.PRIMARY_SYNC);
    }

    java.util.List<EventKind> kinds() {
        return events(1000).stream().map(Event::kind).toList();
    }
}
