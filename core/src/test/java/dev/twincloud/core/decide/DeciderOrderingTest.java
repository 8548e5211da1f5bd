package dev.twincloud.core.decide;

import static dev.twincloud.core.decide.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Durability;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * docs/design.md rule 7 (reports are ordered) in the pure decider: eligibility is judged only from a
 * writer report newer than the last event that could have made the standby fall behind; async
 * eligibility follows the writer's own replication row; the fast path of a writer that proves its
 * database refuses writes.
 */
class DeciderOrderingTest {

    static final long MIB = 1024 * 1024;

    // ---------------------------------------------------------------- barrier (sync)

    @Test
    void aWriterReportSentBeforeADropToAsyncAndDeliveredAfterItDoesNotMakeTheStandbyEligibleAgain() {
        var f = Fixture.syncWithGcpWriting();
        // sent while aws is 'sync' and caught up, then held up on the way (e.g. behind a slow fsync)
        AgentReport late = f.stamp(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        // aws stops streaming: gcp drops to async and acknowledges writes aws does not have
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(500);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        assertThat(f.kinds()).contains(EventKind.DROP_TO_ASYNC);
        f.advance(100);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300));
        int before = f.history.size();

        f.advance(100);
        f.deliver(late);
        for (int i = 0; i < 5; i++) {
            f.advance(100);
            f.tick();
            assertThat(f.state.durable().standbyEligible()).as("eligible from a report older than the drop").isFalse();
        }
        assertThat(f.history.subList(before, f.history.size())).extracting(Event::kind)
                .doesNotContain(EventKind.RESTORE_SYNC, EventKind.STANDBY_IN_SYNC);

        // gcp dies; aws, which lacks 100..300, keeps reporting: it must not be promoted
        f.keepReporting(4000, f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.last.alerts()).anySatisfy(a -> assertThat(a).contains("not been confirmed in sync"));
    }

    @Test
    void eligibilityComesBackFromAReportSentAfterTheDrop() {
        var f = Fixture.syncWithGcpWriting();
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(500);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(100);
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300, streaming(AWS, 300, "async")));
        assertThat(d.events()).extracting(Event::kind).containsExactly(EventKind.RESTORE_SYNC);
        // the restore is itself a barrier: the same report, seen again, does not confirm sync
        assertThat(f.tick().state().durable().standbyEligible()).isFalse();
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 300, streaming(AWS, 300, "sync")));
        assertThat(d.events()).extracting(Event::kind).containsExactly(EventKind.STANDBY_IN_SYNC);
    }

    @Test
    void reportsOfAnOlderAgentWithoutOrderAreJudgedByArrival() {
        var f = new Fixture(Durability.SYNC);
        for (int i = 0; i < 30; i++) {
            f.deliver(f.writer(GCP, f.currentWriterGoal(GCP), 100, streaming(AWS, 100, "sync")));
            f.deliver(f.standby(AWS, 100));
            f.advance(100);
        }
        assertThat(f.state.durable().standbyEligible()).isTrue();
        assertThat(f.reports.get(GCP).report().sequence()).isZero();
        f.keepReporting(2400, f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).isEqualTo(AWS);
    }

    @Test
    void afterAnArbiterRestartOnlyAWriterReportSentAfterEverythingThePreviousRunDecidedOnPassesTheBarrier() {
        var f = Fixture.syncWithGcpWriting();
        // sent while aws is caught up, then held up on the way across the arbiter's restart
        AgentReport late = f.stamp(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300, streaming(AWS, 300, "async")));
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(500);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        assertThat(f.kinds()).contains(EventKind.DROP_TO_ASYNC);
        assertThat(f.state.durable().standbyEligible()).isFalse();
        long newest = f.reports.get(GCP).report().sequence();
        ReportOrder heard = f.state.durable().heardOf(GCP);
        assertThat(heard.isAtLeast(new ReportOrder(1, newest))).as("stored at or after every report decided on").isTrue();

        f.state = ClusterState.loaded(f.state.durable(), f.now, CONFIG);
        f.reports.clear();
        f.deliver(late);
        f.advance(100);
        f.tick();
        assertThat(f.state.durable().writerSync()).as("restored from a report older than the restart").isFalse();

        // reports sent since: up to the stored place they may be ones the previous run saw, beyond it they pass
        int restoredAfter = 0;
        for (int i = 1; i <= 2 * DurableState.HEARD_AHEAD + 2 && !f.state.durable().standbyEligible(); i++) {
            f.advance(100);
            f.heartbeat(f.writer(GCP, f.currentWriterGoal(GCP), 300, streaming(AWS, 300, f.state.durable().writerSync() ? "sync" : "async")));
            if (f.state.durable().writerSync() && restoredAfter == 0) {
                restoredAfter = i;
            }
        }
        assertThat(restoredAfter).as("restored by the first report beyond the stored place")
                .isEqualTo((int) (heard.sequence() - newest) + 1);
        assertThat(f.state.durable().standbyEligible()).isTrue();
    }

    // ---------------------------------------------------------------- async eligibility

    /** gcp writing in async mode at {@code lsn}, aws streaming and caught up, gcp leased. */
    static Fixture asyncSteady(long lsn) {
        var f = new Fixture(Durability.ASYNC);
        for (int i = 0; i < 30; i++) {
            f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, lsn, streaming(AWS, lsn, "async")));
            f.heartbeat(f.standby(AWS, lsn));
            f.advance(100);
        }
        assertThat(f.last.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(f.state.durable().standbyEligible()).isTrue();
        assertThat(f.kinds()).contains(EventKind.STANDBY_ELIGIBLE);
        return f;
    }

    @Test
    void asyncStandbyLaggingBeyondMaxLagInTheWritersOwnRowIsIneligibleBeforeTheLeaseIsRenewed() {
        long w = 10 * MIB;
        var f = asyncSteady(w);
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, w + 5 * MIB, streaming(AWS, w, "async")));
        assertThat(d.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.STANDBY_INELIGIBLE);
            assertThat(e.why()).contains(String.valueOf(5 * MIB));
        });
        assertThat(d.state().durable().standbyEligible()).isFalse();
        assertThat(d.assignmentFor(GCP).lease()).as("the writer keeps writing; no failover to aws meanwhile").isPresent();

        // gcp dies; aws catches up to within max_lag of gcp's last *reported* position, but gcp kept
        // committing for a ttl after that report: aws is not proven within max_lag of what gcp acknowledged
        f.keepReporting(4000, f.standby(AWS, w + 5 * MIB - MIB / 2));
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.last.alerts()).anySatisfy(a -> assertThat(a).contains("max_lag"));
    }

    @Test
    void asyncAlertForAnIneligibleStandbyNamesItsLagForTheOperator() {
        long w = 10 * MIB;
        var f = asyncSteady(w);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, w + 5 * MIB, streaming(AWS, w, "async")));
        f.keepReporting(4000, f.standby(AWS, w)); // gcp dies with aws 5 MiB behind its last report
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.last.alerts()).anySatisfy(a -> assertThat(a).contains("aws lags " + 5 * MIB + " bytes").contains("max_lag"));
    }

    @Test
    void asyncStandbyNotStreamingIsIneligible() {
        var f = asyncSteady(10 * MIB);
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 10 * MIB));
        assertThat(d.events()).extracting(Event::kind).containsExactly(EventKind.STANDBY_INELIGIBLE);
        f.keepReporting(4000, f.standby(AWS, 10 * MIB));
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
    }

    @Test
    void asyncStandbyIsEligibleAgainFromANewerReportWithinMaxLagAndIsThenPromoted() {
        long w = 10 * MIB;
        var f = asyncSteady(w);
        AgentReport late = f.stamp(f.writer(GCP, SiteState.PRIMARY_ASYNC, w, streaming(AWS, w, "async")));
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, w + 5 * MIB, streaming(AWS, w, "async")));
        f.advance(100);
        f.deliver(late);
        assertThat(f.tick().state().durable().standbyEligible()).as("a report older than the ineligibility").isFalse();
        f.advance(100);
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, w + 6 * MIB, streaming(AWS, w + 5 * MIB, "async")));
        assertThat(d.events()).extracting(Event::kind).containsExactly(EventKind.STANDBY_ELIGIBLE);
        f.keepReporting(2400, f.standby(AWS, w + 6 * MIB));
        assertThat(f.state.durable().writer()).isEqualTo(AWS);
    }

    @Test
    void asyncFailoverStillNeedsTheStandbyWithinMaxLagOfTheWritersLastPosition() {
        long w = 10 * MIB;
        var f = asyncSteady(w);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, w + MIB, streaming(AWS, w + MIB, "async")));
        f.keepReporting(4000, f.standby(AWS, w - MIB)); // its own report: restarted from an older position
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
    }

    @Test
    void changingTheModeToAsyncNeedsAFreshWriterReportBeforeTheStandbyIsEligible() {
        var f = Fixture.syncWithGcpWriting();
        AgentReport before = f.stamp(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        f.state = f.decider.setMode(f.state, Durability.ASYNC, f.now).state().orElseThrow();
        assertThat(f.state.durable().standbyEligible()).isFalse();
        f.deliver(before);
        assertThat(f.state.durable().standbyEligible()).isFalse();
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 100, streaming(AWS, 100, "async")));
        assertThat(f.state.durable().standbyEligible()).isTrue();
    }

    // ---------------------------------------------------------------- fast path

    @Test
    void fastPathFailsOverAtOnceWhenTheWriterProvesItsDatabaseRefusesWrites() {
        var f = Fixture.syncWithGcpWriting();
        long epoch = f.epoch();
        Instant leaseEnd = f.state.leaseExpiresAt();
        f.advance(100);
        var d = f.heartbeat(f.refusing(GCP, SiteState.PRIMARY_SYNC, 100));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(d.state().durable().epoch()).isEqualTo(epoch + 1);
        assertThat(d.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.FAILOVER);
            assertThat(e.why()).startsWith("fast path:");
        });
        assertThat(f.now).isBefore(leaseEnd);
        f.advance(100);
        assertThat(f.heartbeat(f.standby(AWS, 100)).assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        f.advance(100);
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 100));
        assertThat(d.assignmentFor(AWS).lease()).as("the old lease counts as released").isPresent();
        assertThat(f.now).isBefore(leaseEnd);
        d = f.heartbeat(f.refusing(GCP, SiteState.PRIMARY_SYNC, 100));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.DEMOTED);
    }

    @Test
    void afterAnArbiterRestartAProofSentBeforeWhatThePreviousRunSawIsNoFastPathEvenAfterALeaseOnALateReport() {
        var f = Fixture.syncWithGcpWriting();
        // both sent before the newest report the previous run leased, then held up across the restart
        AgentReport lateHealthy = f.stamp(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        AgentReport lateProof = f.stamp(f.refusing(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(100);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync"))); // leased: the database runs
        assertThat(f.last.assignmentFor(GCP).lease()).isPresent();

        f.state = ClusterState.loaded(f.state.durable(), f.now, CONFIG);
        f.reports.clear();
        f.advance(100);
        f.deliver(f.stamp(f.standby(AWS, 100)));
        assertThat(f.deliver(lateHealthy).assignmentFor(GCP).lease()).as("a lease answers it (its agent gave up on it)")
                .isPresent();
        f.advance(100);
        var d = f.deliver(lateProof);
        assertThat(d.events()).extracting(Event::kind).doesNotContain(EventKind.FAILOVER);
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
    }

    @Test
    void withinAnEpochALeaseOnALateReportDoesNotMoveTheLeaseMarkBack() {
        var f = Fixture.syncWithGcpWriting();
        AgentReport lateHealthy = f.stamp(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        AgentReport lateProof = f.stamp(f.refusing(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(100);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync"))); // its database runs again
        f.advance(100);
        f.deliver(lateHealthy); // late reports reach the decider itself (no ordering in front of it)
        f.advance(100);
        var d = f.deliver(lateProof);
        assertThat(d.events()).extracting(Event::kind).doesNotContain(EventKind.FAILOVER);
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
    }

    @Test
    void aStateFileFromBeforeTheBarrierTakesTheFirstOrderedWriterReportAfterTheRestartPlusTheHeardMarginAsTheBarrier() {
        var f = Fixture.syncWithGcpWriting();
        AgentReport late = f.stamp(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300, streaming(AWS, 300, "async")));
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(500);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        assertThat(f.kinds()).contains(EventKind.DROP_TO_ASYNC);
        DurableState d = f.state.durable();
        // as an older arbiter stored it: no barrier, nothing heard
        DurableState old = new DurableState(d.epoch(), d.writer(), d.mode(), d.writerSync(), d.standbyEligible(), d.switchover(),
                d.systemId(), d.leaseEpoch(), d.leaseReleased(), null, null);
        assertThat(old.barrier()).isEqualTo(ReportOrder.UNKNOWN);

        f.state = ClusterState.loaded(old, f.now, CONFIG);
        f.reports.clear();
        f.deliver(late);
        assertThat(f.state.durable().barrier()).isEqualTo(new ReportOrder(1, late.sequence() + DurableState.HEARD_AHEAD));
        f.advance(100);
        f.tick();
        assertThat(f.state.durable().writerSync()).as("restored from the first report after the restart").isFalse();
        for (int i = 0; i < DurableState.HEARD_AHEAD; i++) {
            f.advance(100);
            f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300, streaming(AWS, 300, "async")));
        }
        assertThat(f.state.durable().writerSync()).as("restored once a report beyond the margin came").isTrue();
    }

    @Test
    void fastPathKeepsTheWriterAndAlertsWhenTheStandbyIsNotEligible() {
        var f = Fixture.syncWithGcpWriting();
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        f.advance(500);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100)); // drop to async: aws ineligible
        f.advance(100);
        var d = f.heartbeat(f.refusing(GCP, SiteState.PRIMARY_ASYNC, 300));
        f.heartbeat(f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(d.events()).extracting(Event::kind).doesNotContain(EventKind.FAILOVER);
        assertThat(d.alerts()).anySatisfy(a -> assertThat(a).contains("fast path").contains("rule 6"));
        // gcp restarts its database: the fast path is off, its lease is renewed
        f.advance(100);
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300));
        assertThat(d.assignmentFor(GCP).lease()).isPresent();
        assertThat(d.alerts()).noneSatisfy(a -> assertThat(a).contains("fast path"));
    }

    @Test
    void aProofOfRefusedWritesOlderThanTheLastLeasedReportIsNoFastPath() {
        var f = Fixture.syncWithGcpWriting();
        long epoch = f.epoch();
        AgentReport refused = f.stamp(f.refusing(GCP, SiteState.PRIMARY_SYNC, 100));
        // gcp's agent restarted its database; this newer report gets a lease
        f.advance(100);
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).lease()).isPresent();
        f.advance(100);
        f.deliver(refused);
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.epoch()).isEqualTo(epoch);
    }

    @Test
    void noFastPathBeforeTheWriterHadALeaseInThisArbiterRun() {
        var f = Fixture.syncWithGcpWriting();
        f.state = ClusterState.loaded(f.state.durable(), f.now, CONFIG);
        f.reports.clear();
        f.advance(100);
        f.heartbeat(f.standby(AWS, 100));
        f.heartbeat(f.refusing(GCP, SiteState.PRIMARY_SYNC, 100));
        assertThat(f.state.durable().writer()).as("a lease granted before the restart may still be valid").isEqualTo(GCP);
        f.keepReporting(2500, f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).as("the normal path, once ttl + margin passed").isEqualTo(AWS);
        assertThat(f.history).filteredOn(e -> e.kind() == EventKind.FAILOVER).singleElement()
                .satisfies(e -> assertThat(e.why()).doesNotStartWith("fast path"));
    }
}
