package dev.twincloud.core.decide;

import static dev.twincloud.core.decide.Fixture.AWS;
import static dev.twincloud.core.decide.Fixture.CONFIG;
import static dev.twincloud.core.decide.Fixture.GCP;
import static dev.twincloud.core.decide.Fixture.streaming;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.LeaseGrant;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * docs/design.md rule 10, the arbiter's side: in sync mode the eligible standby gets a read lease with
 * each heartbeat, and the writer is never told to run async while one may still hold (plus the margin).
 * Fixture timing: standby-loss timeout 500 ms, margin 250 ms; read lease 1000 ms here.
 */
class ReadLeaseTest {
    static final Duration TTL = Duration.ofMillis(1000);
    static final ArbiterConfig WITH_READ_LEASES = CONFIG.withReadLeaseTtl(TTL);
    /** A read lease through a promotion lasts as long as a write lease (the fixture's: 2000 ms). */
    static final long LEASE_TTL_MS = CONFIG.leaseTtl().toMillis();

    static Fixture steady(Durability mode) {
        var f = new Fixture(mode, WITH_READ_LEASES);
        f.steadySync();
        return f;
    }

    static Optional<LeaseGrant> readLease(Decision d, dev.twincloud.core.protocol.SiteId site) {
        return d.assignmentFor(site).readLease();
    }

    @Test
    void theSynchronousStandbyGetsAReadLeaseWithEachHeartbeatAndTheWriterNone() {
        var f = steady(Durability.SYNC);
        var d = f.heartbeat(f.standby(AWS, 100));
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(f.epoch(), 1000));
        assertThat(readLease(d, GCP)).isEmpty();
        assertThat(d.state().readLeaseUntil()).isEqualTo(f.now.plus(TTL));
        // the writer's heartbeat grants none, and does not move the standby's
        var w = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(readLease(w, AWS)).isEmpty();
        // a periodic tick answers nobody
        assertThat(readLease(f.tick(), AWS)).isEmpty();
    }

    @Test
    void noReadLeaseInAsyncModeNorWithoutTheSetting() {
        var async = new Fixture(Durability.ASYNC, WITH_READ_LEASES);
        async.steadySync();
        assertThat(readLease(async.heartbeat(async.standby(AWS, 100)), AWS)).isEmpty();
        var off = Fixture.syncWithGcpWriting(); // the fixture's config: readLeaseTtl 0
        assertThat(readLease(off.heartbeat(off.standby(AWS, 100)), AWS)).isEmpty();
    }

    @Test
    void theDropToAsyncWaitsForTheLastReadLeasePlusTheMargin() {
        var f = steady(Durability.SYNC);
        f.heartbeat(f.standby(AWS, 100)); // the last lease: until now + 1000
        var lastGrant = f.now;
        // aws dies: the writer reports it gone (its commits block meanwhile)
        for (int t = 0; t < 1200; t += 100) {
            f.advance(100);
            var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
            assertThat(d.state().durable().writerSync()).as("at +%d ms", t + 100).isTrue();
            assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        }
        f.advance(100); // +1300 > 1000 + 250
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
        assertThat(d.state().durable().writerSync()).isFalse();
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(Duration.between(lastGrant, f.now)).isGreaterThan(TTL.plus(CONFIG.margin()));
        assertThat(f.kinds()).contains(EventKind.DROP_TO_ASYNC);
    }

    @Test
    void aStandbyTheWriterReportsMissingGetsNoMoreLeasesSoTheDropComes() {
        // the replication link is cut; both sites still reach the arbiter
        var f = steady(Durability.SYNC);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150)); // aws missing from its rows
        for (int t = 0; t < 2000; t += 100) {
            f.advance(50);
            var s = f.heartbeat(f.standby(AWS, 100));
            assertThat(readLease(s, AWS)).as("at +%d ms", t).isEmpty();
            f.advance(50);
            f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
        }
        assertThat(f.state.durable().writerSync()).isFalse();
        assertThat(f.state.durable().standbyEligible()).isFalse();
        // and none while ineligible, even with the standby streaming again, until confirmed in sync
        f.advance(100);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 200, streaming(AWS, 150, "async")));
        assertThat(readLease(f.heartbeat(f.standby(AWS, 150)), AWS)).isEmpty();
    }

    @Test
    void aDeadWriterDoesNotStopTheLeasesAndTheFailoverStillComes() {
        var f = steady(Durability.SYNC);
        long epoch = f.epoch();
        boolean leasedThroughout = true;
        for (int t = 0; t < 4000 && f.state.durable().writer().equals(GCP); t += 100) {
            f.advance(100);
            var d = f.heartbeat(f.standby(AWS, 100));
            if (d.state().durable().writer().equals(GCP)) {
                leasedThroughout &= readLease(d, AWS).isPresent();
            }
        }
        assertThat(leasedThroughout).as("the standby held a read lease until it was promoted").isTrue();
        assertThat(f.state.durable().writer()).isEqualTo(AWS);
        assertThat(f.epoch()).isEqualTo(epoch + 1);
    }

    @Test
    void aRestartedArbiterAssumesALeaseGrantedJustBeforeItStopped() {
        var f = steady(Durability.SYNC);
        f.heartbeat(f.standby(AWS, 100));
        f.advance(50);
        f.state = ClusterState.loaded(f.state.durable(), f.now, WITH_READ_LEASES); // forgets what it granted
        var restart = f.now;
        assertThat(f.state.readLeaseUntil()).isEqualTo(restart.plus(TTL));
        // the writer reports aws gone from now on; the drop waits for restart + ttl + margin
        f.reports.remove(AWS);
        while (f.state.durable().writerSync()) {
            f.advance(100);
            f.heartbeat(f.writer(GCP, f.currentWriterGoal(GCP), 150));
        }
        assertThat(Duration.between(restart, f.now)).isGreaterThan(TTL.plus(CONFIG.margin()));
    }

    @Test
    void switchingToAsyncModeWaitsForTheReadLease() {
        var f = steady(Durability.SYNC);
        f.heartbeat(f.standby(AWS, 100));
        var granted = f.now;
        var r = f.decider.setMode(f.state, Durability.ASYNC, f.now);
        f.state = r.state().orElseThrow();
        while (f.state.durable().writerSync()) {
            f.advance(100);
            var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150, streaming(AWS, 150, "sync")));
            assertThat(readLease(d, AWS)).isEmpty();
        }
        assertThat(Duration.between(granted, f.now)).isGreaterThan(TTL.plus(CONFIG.margin()));
    }

    @Test
    void anAbortedSwitchoverLeavesTheWriterSynchronousWhileALeaseMayHold() {
        // A switchover that times out at once: a lease granted while it was under way may still hold.
        var quick = new Fixture(Durability.SYNC, new ArbiterConfig(CONFIG.sites(), CONFIG.leaseTtl(), CONFIG.margin(),
                CONFIG.reportTimeout(), CONFIG.standbyLossTimeout(), CONFIG.maxLagBytes(), Duration.ofMillis(300), TTL));
        quick.steadySync();
        quick.state = quick.decider.requestSwitchover(quick.state, quick.reports, AWS, quick.now).state().orElseThrow();
        assertThat(readLease(quick.heartbeat(quick.standby(AWS, 100)), AWS)).contains(new LeaseGrant(quick.epoch(), 1000));
        quick.advance(400);
        Decision d = quick.tick();
        assertThat(quick.kinds()).contains(EventKind.SWITCHOVER_ABORTED);
        assertThat(d.state().durable().writerSync()).isTrue();
        Assignment a = d.assignmentFor(GCP);
        assertThat(a.goal()).isEqualTo(SiteState.PRIMARY_SYNC);
    }

    @Test
    void aSwitchoversTargetReadsThroughTheSwitchoverAndItsPromotionUntilItsFirstWriteLease() {
        var f = steady(Durability.SYNC);
        long old = f.epoch();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        // under way, the target is still the synchronous standby: each heartbeat renews its read lease
        var d = f.heartbeat(f.standby(AWS, 100));
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(old, 1000));
        assertThat(d.state().readLeaseUntil()).isEqualTo(f.now.plus(TTL));
        f.advance(50);
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.state().durable().writerSync()).as("fenced, still told to run synchronous").isTrue();
        f.advance(50);
        assertThat(readLease(f.heartbeat(f.standby(AWS, 100)), AWS)).as("fenced writer: renewed").contains(new LeaseGrant(old, 1000));
        f.advance(50);
        f.heartbeat(f.fenced(GCP, 180));
        // the answer that tells aws to promote renews its lease for as long as a write lease, in the epoch it reported
        f.advance(50);
        d = f.heartbeat(f.standby(AWS, 200));
        assertThat(f.kinds()).contains(EventKind.SWITCHOVER_PROMOTE);
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(old, LEASE_TTL_MS));
        assertThat(d.state().promotionReads()).contains(new ClusterState.PromotionReads(old + 1, AWS, f.now.plusMillis(LEASE_TTL_MS)));
        // still promoting: renewed
        f.advance(100);
        d = f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 200));
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(old, LEASE_TTL_MS));
        // promoted: the first write lease and a last read lease; then the write lease decides
        f.advance(100);
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 200));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(old, LEASE_TTL_MS));
        f.advance(100);
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 200));
        assertThat(readLease(d, AWS)).isEmpty();
        // the old writer, now a standby of the new epoch, reads on a lease only once confirmed in sync again
        assertThat(readLease(f.heartbeat(f.report(GCP, old + 1, SiteState.STANDBY, DbRole.STANDBY, 200)), GCP)).isEmpty();
    }

    @Test
    void aSwitchoverInAsyncModeGivesNoReadLeaseThroughIt() {
        var f = steady(Durability.ASYNC);
        long old = f.epoch();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        assertThat(readLease(f.heartbeat(f.standby(AWS, 100)), AWS)).isEmpty();
        f.advance(50);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        f.advance(50);
        f.heartbeat(f.fenced(GCP, 180));
        f.advance(50);
        var d = f.heartbeat(f.standby(AWS, 200));
        assertThat(f.kinds()).contains(EventKind.SWITCHOVER_PROMOTE);
        assertThat(readLease(d, AWS)).isEmpty();
        assertThat(d.state().promotionReads()).isEmpty();
        f.advance(100);
        assertThat(readLease(f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 200)), AWS)).isEmpty();
    }

    /** gcp dies; aws heartbeats as the standby until the arbiter fails over to it (in the decision answering it). */
    static Fixture failedOverToAws() {
        var f = steady(Durability.SYNC);
        for (int t = 0; t < 4000 && f.state.durable().writer().equals(GCP); t += 100) {
            f.advance(100);
            f.heartbeat(f.standby(AWS, 100));
        }
        assertThat(f.state.durable().writer()).isEqualTo(AWS);
        return f;
    }

    @Test
    void thePromotedStandbyKeepsReadingThroughItsPromotionUntilItsFirstWriteLease() {
        var f = failedOverToAws();
        long old = f.epoch() - 1;
        // the answer that tells aws to promote renews its read lease, in the epoch it reported (its agent's rule:
        // a standby of that epoch, then the writer promoted from it until its first write lease)
        assertThat(readLease(f.last, AWS)).contains(new LeaseGrant(old, LEASE_TTL_MS));
        var standbyClock = f.state.readLeaseUntil();
        // a promotion that takes a while: still a standby of the old epoch, it keeps being renewed
        f.advance(100);
        var d = f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 100));
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(old, LEASE_TTL_MS));
        assertThat(d.state().promotionReads()).contains(new ClusterState.PromotionReads(old + 1, AWS, f.now.plusMillis(LEASE_TTL_MS)));
        assertThat(d.state().readLeaseUntil()).as("not the standby's clock, which keeps a writer synchronous")
                .isEqualTo(standbyClock);
        // promoted: its report as the primary of the new epoch gets the first write lease and a last read lease
        // (its agent reads on it until it has written that write lease)
        f.advance(100);
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 100));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
        assertThat(readLease(d, AWS)).contains(new LeaseGrant(old, LEASE_TTL_MS));
        assertThat(f.kinds()).contains(EventKind.LEASE_FIRST_GRANT);
        // then none: the write lease decides
        f.advance(100);
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 100));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
        assertThat(readLease(d, AWS)).isEmpty();
        // nor for a late report as the standby
        f.advance(100);
        assertThat(readLease(f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 100)), AWS)).isEmpty();
    }

    @Test
    void anOperatorsPromotionGivesNoReadLeaseThroughIt() {
        var f = steady(Durability.SYNC);
        long old = f.epoch();
        f.heartbeat(f.standby(AWS, 100));
        f.state = f.decider.forcePromote(f.state, AWS, "op", "test", f.now).state().orElseThrow();
        f.advance(100);
        assertThat(readLease(f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 100)), AWS)).isEmpty();
        assertThat(f.state.promotionReads()).isEmpty();
    }

    @Test
    void aRestartedArbiterGivesNoReadLeaseThroughAPromotionItDidNotDecide() {
        var f = failedOverToAws();
        long old = f.epoch() - 1;
        f.state = ClusterState.loaded(f.state.durable(), f.now, WITH_READ_LEASES);
        f.advance(100);
        assertThat(readLease(f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 100)), AWS)).isEmpty();
    }

    @Test
    void anotherWriterOfALaterEpochGetsNoLeaseWhileThePromotedSitesReadLeaseMayHold() {
        var f = failedOverToAws();
        long old = f.epoch() - 1;
        f.advance(100);
        f.heartbeat(f.report(AWS, old, SiteState.STANDBY, DbRole.STANDBY, 100)); // renewed: reads on aws for a lease ttl
        var lastGrant = f.now;
        // aws's promotion hangs; gcp comes back and the operator forces it back as the writer
        f.state = f.decider.forcePromote(f.state, GCP, "op", "aws hangs", f.now).state().orElseThrow();
        while (f.last.assignmentFor(GCP).lease().isEmpty()) {
            f.advance(50);
            f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 100));
            assertThat(Duration.between(lastGrant, f.now)).as("no first lease yet").isLessThan(Duration.ofSeconds(5));
        }
        assertThat(Duration.between(lastGrant, f.now)).isGreaterThan(CONFIG.leaseTtl().plus(CONFIG.margin()));
    }
}
