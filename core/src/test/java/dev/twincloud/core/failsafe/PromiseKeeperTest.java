package dev.twincloud.core.failsafe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PromiseKeeperTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final long MS = 1_000_000;
    static final PromiseKeeper.Self FOLLOWING = new PromiseKeeper.Self(SiteState.STANDBY, DbRole.STANDBY, true, new Lsn(1000));

    /** Started at 0 (ns), promise 2500 ms, margin 250 ms, max lag 100 bytes; told gcp writes epoch 3. */
    static PromiseKeeper keeper() {
        var k = new PromiseKeeper(Duration.ofMillis(2500), Duration.ofMillis(250), 100, 0);
        k.assigned(3, GCP);
        return k;
    }

    static PromiseRequest ask(long epoch, long lsn) {
        return new PromiseRequest(GCP, epoch, new Lsn(lsn));
    }

    @Test
    void aFollowingStandbyPromisesAndHoldsPromotionsUntilThePromiseAndMarginHaveEnded() {
        var k = keeper();
        PromiseAnswer a = k.consider(ask(3, 1050), FOLLOWING, 10_000 * MS);
        assertThat(a.granted()).isTrue();
        assertThat(a.millis()).isEqualTo(2500);
        assertThat(k.promiseMillis(10_000 * MS)).isEqualTo(2500);
        assertThat(k.promotionHeld(12_749 * MS)).isTrue();
        assertThat(k.promotionHeld(12_750 * MS)).isFalse();
        assertThat(k.promiseMillis(12_500 * MS)).isZero();
    }

    @Test
    void aRestartedAgentHoldsPromotionsForOnePromiseAndMarginFromItsStart() {
        var k = keeper();
        assertThat(k.promotionHeld(2_749 * MS)).isTrue();
        assertThat(k.promotionHeld(2_750 * MS)).isFalse();
        assertThat(k.promiseMillis(0)).as("nothing promised by this run").isZero();
    }

    @Test
    void anOlderRequestArrivingLateNeverShortensTheHold() {
        var k = keeper();
        k.consider(ask(3, 1000), FOLLOWING, 20_000 * MS);
        k.consider(ask(3, 1000), FOLLOWING, 19_000 * MS); // a clock value before: must not move the end back
        assertThat(k.promotionHeld(22_749 * MS)).isTrue();
        assertThat(k.promiseMillis(22_000 * MS)).isEqualTo(500);
    }

    @Test
    void refusesWhenItDoesNotFollowThatWriterInThatEpochOrLagsTooMuch() {
        var k = keeper();
        assertThat(k.consider(ask(2, 1000), FOLLOWING, 5_000 * MS).why()).contains("knows epoch 3");
        assertThat(k.consider(new PromiseRequest(AWS, 3, new Lsn(1000)), FOLLOWING, 5_000 * MS).why()).contains("writer of epoch 3 is gcp");
        assertThat(k.consider(ask(3, 1000), new PromiseKeeper.Self(SiteState.STANDBY, DbRole.STANDBY, false, new Lsn(1000)),
                5_000 * MS).why()).contains("not streaming");
        assertThat(k.consider(ask(3, 1000), new PromiseKeeper.Self(SiteState.PRIMARY_SYNC, DbRole.PRIMARY, false, new Lsn(1000)),
                5_000 * MS).why()).contains("not a running standby");
        assertThat(k.consider(ask(3, 1101), FOLLOWING, 5_000 * MS).why()).contains("lagging 101 bytes");
        assertThat(k.consider(ask(3, 1100), FOLLOWING, 5_000 * MS).granted()).isTrue();
    }

    /**
     * A run the arbiter has not answered yet takes the first writer that asks as the writer of the
     * newest epoch; its promise holds promotions like any other, and the arbiter's newer epoch still
     * ends the promises.
     */
    @Test
    void aFreshRunTakesTheAskingWritersEpochUntilTheArbiterSaysMore() {
        var k = new PromiseKeeper(Duration.ofMillis(2500), Duration.ofMillis(250), 100, 0);
        assertThat(k.consider(ask(3, 1101), FOLLOWING, 5_000 * MS).why()).as("still judged").contains("lagging");
        assertThat(k.consider(ask(3, 1000), new PromiseKeeper.Self(SiteState.STANDBY, DbRole.STANDBY, false, new Lsn(1000)),
                5_000 * MS).why()).contains("not streaming");
        assertThat(k.consider(ask(3, 1000), FOLLOWING, 5_000 * MS).granted()).isTrue();
        assertThat(k.consider(ask(2, 1000), FOLLOWING, 5_100 * MS).why()).as("an older epoch after it").contains("knows epoch 3");
        assertThat(k.consider(new PromiseRequest(AWS, 3, new Lsn(1000)), FOLLOWING, 5_100 * MS).why())
                .contains("writer of epoch 3 is gcp");
        k.assigned(4, AWS);
        assertThat(k.consider(ask(3, 1000), FOLLOWING, 6_000 * MS).granted()).isFalse();
        assertThat(k.promotionHeld(7_749 * MS)).as("the promise given before the arbiter answered").isTrue();
        assertThat(k.promotionHeld(7_750 * MS)).isFalse();
    }

    /** The assignment that promotes this site is recorded before the promotion check: later requests are refused. */
    @Test
    void onceToldOfANewEpochItPromisesTheOldWriterNothingMore() {
        var k = keeper();
        k.consider(ask(3, 1000), FOLLOWING, 10_000 * MS);
        k.assigned(4, AWS);
        assertThat(k.consider(ask(3, 1000), FOLLOWING, 11_000 * MS).granted()).isFalse();
        assertThat(k.promotionHeld(12_749 * MS)).as("the promise already given still holds").isTrue();
        assertThat(k.promotionHeld(12_750 * MS)).isFalse();
        k.assigned(3, GCP); // a late answer of an older epoch changes nothing
        assertThat(k.consider(ask(3, 1000), FOLLOWING, 13_000 * MS).granted()).isFalse();
    }
}
