package dev.twincloud.core.decide;

import static dev.twincloud.core.decide.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DeciderTest {

    @Test
    void steadyStateRunsGcpSyncWithAwsEligibleAndRenewsTheLease() {
        var f = Fixture.syncWithGcpWriting();
        assertThat(f.state.durable().writerSync()).isTrue();
        assertThat(f.state.durable().standbyEligible()).isTrue();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        assertThat(d.assignmentFor(GCP).syncStandby()).contains(AWS);
        assertThat(d.assignmentFor(GCP).lease()).isPresent();
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.STANDBY);
        assertThat(d.assignmentFor(AWS).lease()).isEmpty();
    }

    @Test
    void promotesStandbyWhenWriterLeaseExpires() {
        var f = Fixture.syncWithGcpWriting();
        long epoch = f.epoch();
        // gcp goes silent; aws keeps reporting.
        for (int i = 0; i < 21; i++) {
            f.advance(100);
            var d = f.heartbeat(f.standby(AWS, 100));
            assertThat(d.state().durable().writer()).as("no failover before ttl+margin").isEqualTo(GCP);
        }
        f.advance(100);
        var d = f.heartbeat(f.standby(AWS, 100));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(d.state().durable().epoch()).isEqualTo(epoch + 1);
        assertThat(d.events()).extracting(Event::kind).contains(EventKind.FAILOVER);
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(d.assignmentFor(AWS).promotionToken()).as("an unplanned failover promotes without a token").isEmpty();
        assertThat(d.state().durable().standbyEligible()).as("old site ineligible until back in sync").isFalse();
        assertThat(d.alerts()).as("no alarm while the new writer is being promoted").isEmpty();
        f.advance(800);
        assertThat(f.heartbeat(f.standby(AWS, 100)).alerts()).as("still promoting, within the report timeout").isEmpty();
        f.advance(400);
        assertThat(f.tick().alerts()).as("promotion taking longer than the report timeout")
                .anySatisfy(a -> assertThat(a).contains("cannot be promoted"));
    }

    @Test
    void promotedSiteGetsItsFirstLeaseOnceItReportsAsPrimaryOfTheNewEpoch() {
        var f = Fixture.syncWithGcpWriting();
        f.keepReporting(2300, f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).isEqualTo(AWS);
        f.advance(100);
        var stillStandby = f.heartbeat(f.standby(AWS, 100));
        assertThat(stillStandby.assignmentFor(AWS).lease()).isEmpty();
        var promoted = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 200));
        assertThat(promoted.assignmentFor(AWS).lease()).hasValueSatisfying(l -> assertThat(l.epoch()).isEqualTo(f.epoch()));
    }

    @Test
    void whenTheArbiterHearsFromBothSitesAgainTheWriterKeepsItsRoleEvenIfTheStandbySpeaksFirst() {
        var f = Fixture.syncWithGcpWriting();
        long epoch = f.epoch();
        f.advance(5000); // the arbiter was cut off from both sites; the writer's lease ended meanwhile
        var d = f.heartbeat(f.standby(AWS, 100));
        assertThat(d.state().durable().writer()).as("standby spoke first, just after the partition healed").isEqualTo(GCP);
        f.advance(100);
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).lease()).isPresent();
        for (int i = 0; i < 30; i++) {
            f.advance(100);
            f.heartbeat(f.standby(AWS, 100));
            f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        }
        assertThat(f.epoch()).isEqualTo(epoch);
    }

    @Test
    void aWriterThatStaysSilentAfterThePartitionHealsIsReplacedOneReportTimeoutLater() {
        var f = Fixture.syncWithGcpWriting();
        f.advance(5000);
        f.heartbeat(f.standby(AWS, 100));
        f.advance(900);
        assertThat(f.heartbeat(f.standby(AWS, 100)).state().durable().writer()).isEqualTo(GCP);
        f.advance(200);
        assertThat(f.heartbeat(f.standby(AWS, 100)).state().durable().writer()).isEqualTo(AWS);
    }

    @Test
    void doesNothingWhenNeitherSiteReports() {
        var f = Fixture.syncWithGcpWriting();
        f.advance(10_000);
        var d = f.tick();
        assertThat(d.state().durable().writer()).isEqualTo(GCP);
        assertThat(d.state().durable().epoch()).isEqualTo(f.epoch());
        assertThat(d.alerts()).anySatisfy(a -> assertThat(a).contains("rule 6"));
    }

    @Test
    void neverPromotesAStandbyThatWasNotConfirmedInSync() {
        var f = new Fixture(Durability.SYNC);
        // gcp writes async (standby never confirmed), then dies.
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 100));
        f.heartbeat(f.standby(AWS, 100));
        for (int i = 0; i < 40; i++) {
            f.advance(100);
            f.heartbeat(f.standby(AWS, 100));
        }
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.last.alerts()).anySatisfy(a -> assertThat(a).contains("not been confirmed in sync"));
    }

    @ParameterizedTest(name = "async mode, lag {0} bytes -> promoted: {1}")
    @CsvSource({"0, true", "1048576, true", "1048577, false"})
    void asyncModePromotesOnlyWithinMaxLag(long lag, boolean promoted) {
        var f = new Fixture(Durability.ASYNC);
        long writerLsn = 10_000_000;
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, writerLsn, streaming(AWS, writerLsn - lag, "async")));
        f.heartbeat(f.standby(AWS, writerLsn - lag));
        f.keepReporting(2300, f.standby(AWS, writerLsn - lag));
        assertThat(f.state.durable().writer()).isEqualTo(promoted ? AWS : GCP);
    }

    @Test
    void dropsToAsyncOnlyAfterMakingTheStandbyIneligible() {
        var f = Fixture.syncWithGcpWriting();
        // aws stops streaming; gcp keeps reporting (its commits block meanwhile).
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
        assertThat(f.state.durable().writerSync()).isTrue();
        f.advance(500);
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
        assertThat(d.state().durable().writerSync()).isFalse();
        assertThat(d.state().durable().standbyEligible()).isFalse();
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(d.events()).extracting(Event::kind).containsExactly(EventKind.DROP_TO_ASYNC);
    }

    @Test
    void restoresSyncThenEligibilityOnceTheStandbyHasFlushedEverything() {
        var f = Fixture.syncWithGcpWriting();
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
        f.advance(600);
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 150));
        assertThat(f.state.durable().writerSync()).isFalse();
        // back, streaming async and caught up -> sync restored, not yet eligible
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 300, streaming(AWS, 300, "async")));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        assertThat(d.state().durable().standbyEligible()).isFalse();
        // sync but behind the writer's position -> still not eligible
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 400, streaming(AWS, 350, "sync")));
        assertThat(d.state().durable().standbyEligible()).isFalse();
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 400, streaming(AWS, 400, "sync")));
        assertThat(d.state().durable().standbyEligible()).isTrue();
    }

    @Test
    void oldWriterReportingAsPrimaryIsToldToDemote() {
        var f = Fixture.syncWithGcpWriting();
        f.keepReporting(2300, f.standby(AWS, 100));
        long oldEpoch = f.epoch() - 1;
        var d = f.heartbeat(f.report(GCP, oldEpoch, SiteState.PRIMARY_SYNC, DbRole.PRIMARY, 120));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.DEMOTED);
        assertThat(d.assignmentFor(GCP).lease()).isEmpty();
    }

    @Test
    void demotedSiteRejoinsOnlyOnceTheNewWriterRuns() {
        var f = Fixture.syncWithGcpWriting();
        f.keepReporting(2300, f.standby(AWS, 100));
        var d = f.heartbeat(f.report(GCP, f.epoch() - 1, SiteState.DEMOTED, DbRole.DOWN, 120));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.DEMOTED);
        f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 200));
        d = f.heartbeat(f.report(GCP, f.epoch() - 1, SiteState.DEMOTED, DbRole.DOWN, 120));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.STANDBY);
    }

    @Test
    void arbiterRestartGrantsNoNewWriterForOneTtlButRenewsTheCurrentOne() {
        var f = Fixture.syncWithGcpWriting();
        // restart: durable state reloaded, timer starts over
        f.state = ClusterState.loaded(f.state.durable(), f.now, CONFIG);
        f.reports.clear();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).lease()).isPresent();
        // now the writer dies right after the restart: no promotion before a full ttl + margin
        f.heartbeat(f.standby(AWS, 100));
        f.keepReporting(2200, f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        f.advance(100);
        f.heartbeat(f.standby(AWS, 100));
        assertThat(f.state.durable().writer()).isEqualTo(AWS);
    }

    @Test
    void forcedPromotionIsRecordedAndStillWaitsForTheOldLease() {
        var f = Fixture.syncWithGcpWriting();
        var r = f.decider.forcePromote(f.state, AWS, "alice", "gcp region lost", f.now);
        assertThat(r.error()).isEmpty();
        assertThat(r.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.FORCED_PROMOTION);
            assertThat(e.why()).contains("alice").contains("gcp region lost");
        });
        f.state = r.state().orElseThrow();
        var d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 200));
        assertThat(d.assignmentFor(AWS).lease()).as("old lease may still be valid").isEmpty();
        f.advance(2300);
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 200));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
    }

    @Test
    void newWriterWaitingForItsFirstLeaseIsNotFailedOverWhenTheOldLeaseEnds() {
        var f = Fixture.syncWithGcpWriting();
        f.state = f.decider.forcePromote(f.state, AWS, "alice", "drill", f.now).state().orElseThrow();
        // gcp stands down and follows at once; aws runs sync with gcp confirmed, waiting out gcp's old lease.
        // In each round gcp's heartbeat happens to arrive first.
        boolean leased = false;
        for (int i = 0; i < 30 && !leased; i++) {
            f.advance(100);
            f.heartbeat(f.standby(GCP, 100));
            assertThat(f.state.durable().writer()).as("no failover away from a healthy writer awaiting its first lease")
                    .isEqualTo(AWS);
            leased = f.heartbeat(f.writer(AWS, f.currentWriterGoal(AWS), 100, streaming(GCP, 100, "sync")))
                    .assignmentFor(AWS).lease().isPresent();
        }
        assertThat(f.state.durable().standbyEligible()).isTrue();
        assertThat(leased).isTrue();
        assertThat(f.epoch()).isEqualTo(2);
    }

    @Test
    void aRestoreBeginsANewEpochEvenForTheSameWriterAndItsLeaseWaitsForTheOldOne() {
        var f = Fixture.syncWithGcpWriting();
        assertThat(f.decider.forcePromote(f.state, GCP, "alice", "x", f.now).error()).as("a forced promotion of the writer is refused")
                .isPresent();
        var r = f.decider.restored(f.state, GCP, "alice", "store gcs, base backup 20261201T0300, WAL to 0/5000000", f.now);
        assertThat(r.error()).isEmpty();
        assertThat(r.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.RESTORED);
            assertThat(e.kind().isPromotion()).isTrue();
            assertThat(e.epoch()).isEqualTo(2);
            assertThat(e.why()).contains("alice").contains("store gcs").contains("previous writer gcp, epoch 1");
        });
        f.state = r.state().orElseThrow();
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.state.durable().standbyEligible()).as("the standby, re-cloned, earns it again").isFalse();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 10));
        assertThat(d.assignmentFor(GCP).lease()).as("the old lease may still be valid").isEmpty();
        f.advance(2300);
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_ASYNC, 10));
        assertThat(d.assignmentFor(GCP).lease()).isPresent();
        assertThat(d.assignmentFor(GCP).epoch()).isEqualTo(2);
        assertThat(f.decider.restored(f.state, GCP, "alice", " ", f.now).error()).hasValueSatisfying(e -> assertThat(e).contains("what was restored"));
        assertThat(f.decider.restored(f.state, dev.twincloud.core.protocol.SiteId.of("azure"), "alice", "x", f.now).error())
                .hasValueSatisfying(e -> assertThat(e).contains("unknown site"));
    }

    @Test
    void forcedPromotionNeedsAReasonAndAKnownSite() {
        var f = Fixture.syncWithGcpWriting();
        assertThat(f.decider.forcePromote(f.state, AWS, "bob", " ", f.now).error()).hasValueSatisfying(e -> assertThat(e).contains("reason"));
        assertThat(f.decider.forcePromote(f.state, dev.twincloud.core.protocol.SiteId.of("azure"), "bob", "x", f.now).error())
                .hasValueSatisfying(e -> assertThat(e).contains("unknown site"));
    }

    @Test
    void switchoverFencesTheWriterAndPromotesOnlyAfterTheStopPointReachedTheTarget() {
        var f = Fixture.syncWithGcpWriting();
        var r = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now);
        assertThat(r.error()).isEmpty();
        f.state = r.state().orElseThrow();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.assignmentFor(GCP).lease()).as("no renewal while fencing").isEmpty();
        f.advance(100);
        f.heartbeat(f.fenced(GCP, 180));
        d = f.heartbeat(f.standby(AWS, 150));
        assertThat(d.state().durable().writer()).as("target has not received the shutdown checkpoint").isEqualTo(GCP);
        d = f.heartbeat(f.standby(AWS, 200));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        // the old writer released its lease: the new one gets a lease at once
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 250));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
        d = f.heartbeat(f.fenced(GCP, 180));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.STANDBY);
    }

    /** gcp writing in sync mode, a switchover to aws asked for, gcp told to fence, 100 ms later. */
    private static Fixture gcpToldToFenceForASwitchoverToAws() {
        var f = Fixture.syncWithGcpWriting();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        f.advance(100);
        return f;
    }

    /**
     * The old writer's stop position is where its shutdown checkpoint record begins: a target that has received
     * exactly up to it has everything before that record but not the record, and promoted then its timeline would
     * fork before the old writer's end (which could follow only after a rewind). One byte past it, it has the record.
     */
    @Test
    void switchoverTargetThatReceivedUpToTheStopPositionButNotPastItIsNotPromoted() {
        var f = gcpToldToFenceForASwitchoverToAws();
        f.heartbeat(f.fenced(GCP, 180));
        var d = f.heartbeat(f.standby(AWS, 180));
        assertThat(d.state().durable().writer()).as("received up to the shutdown checkpoint's start only").isEqualTo(GCP);
        assertThat(d.events()).noneMatch(e -> e.kind() == EventKind.SWITCHOVER_PROMOTE);
        d = f.heartbeat(f.standby(AWS, 181));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
    }

    /**
     * Both sites are asked to hurry their heartbeats from the switchover's start until the new writer
     * has its first lease — every step of a switchover waits for a report (issue 11's half second) —
     * and not in the steady state before or after.
     */
    @Test
    void bothSitesHurryFromTheSwitchoverUntilTheNewWritersFirstLease() {
        var f = Fixture.syncWithGcpWriting();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).hurry()).as("steady").isFalse();
        assertThat(d.assignmentFor(AWS).hurry()).isFalse();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).hurry()).as("fence now").isTrue();
        assertThat(d.assignmentFor(AWS).hurry()).isTrue();
        f.advance(100);
        f.heartbeat(f.fenced(GCP, 180));
        d = f.heartbeat(f.standby(AWS, 200));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(d.assignmentFor(AWS).hurry()).as("promote").isTrue();
        assertThat(d.assignmentFor(GCP).hurry()).isTrue();
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 250));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
        assertThat(d.assignmentFor(AWS).hurry()).as("first lease granted").isFalse();
        assertThat(d.assignmentFor(GCP).hurry()).isFalse();
    }

    /** What a CloudNativePG site reports as its demotion token (opaque to the arbiter). */
    static final Optional<String> GCP_TOKEN = Optional.of("eyJkYXRhYmFzZVN5c3RlbUlkZW50aWZpZXIiOiI3MDAwMDAwMDAxIn0=");

    /** gcp writing in sync mode, a switchover to aws asked for, and gcp stopped cleanly at 180 reporting {@code token}. */
    static Fixture gcpFencedForASwitchoverToAws(Optional<String> token) {
        var f = Fixture.syncWithGcpWriting();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.assignmentFor(GCP).promotionToken()).as("fence, not promote").isEmpty();
        f.advance(100);
        d = f.heartbeat(f.fenced(GCP, 180, token));
        assertThat(d.assignmentFor(AWS).promotionToken()).as("not told to promote yet").isEmpty();
        return f;
    }

    @Test
    void switchoverTargetPromotesWithTheOldWritersDemotionTokenUntilItRunsAsPrimary() {
        var f = gcpFencedForASwitchoverToAws(GCP_TOKEN);
        var d = f.heartbeat(f.standby(AWS, 200));
        assertThat(d.events()).extracting(Event::kind).contains(EventKind.SWITCHOVER_PROMOTE);
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(d.assignmentFor(AWS).promotionToken()).isEqualTo(GCP_TOKEN);
        assertThat(d.assignmentFor(GCP).promotionToken()).as("only the target gets it").isEmpty();

        // the promotion takes a few heartbeats (the agent retries): the token comes with each of them
        for (int i = 0; i < 3; i++) {
            f.advance(100);
            d = f.heartbeat(f.fenced(GCP, 180, GCP_TOKEN));
            assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
            assertThat(d.assignmentFor(GCP).promotionToken()).isEmpty();
            d = f.heartbeat(f.standby(AWS, 200));
            assertThat(d.assignmentFor(AWS).promotionToken()).isEqualTo(GCP_TOKEN);
        }
        // an arbiter restart keeps it: it is read from the old writer's report, not remembered
        f.state = ClusterState.loaded(f.state.durable(), f.now, CONFIG);
        assertThat(f.heartbeat(f.standby(AWS, 200)).assignmentFor(AWS).promotionToken()).isEqualTo(GCP_TOKEN);

        // promoted: the first lease, and no token any more
        d = f.heartbeat(f.writer(AWS, SiteState.PRIMARY_ASYNC, 250));
        assertThat(d.assignmentFor(AWS).lease()).isPresent();
        assertThat(d.assignmentFor(AWS).promotionToken()).isEmpty();
        f.advance(100);
        d = f.heartbeat(f.fenced(GCP, 180, GCP_TOKEN));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.STANDBY);
        assertThat(d.assignmentFor(AWS).promotionToken()).isEmpty();
    }

    /**
     * CloudNativePG does not leave a demoted primary down: it restarts it as a replica of the target
     * (running, in recovery). The switchover must complete on that report (issue 14: it waited for
     * DOWN and timed out on every CloudNativePG switchover). A FENCED site whose database still runs
     * without a token (not demoted, e.g. still primary) does not count as stopped.
     */
    @Test
    void switchoverCompletesWhenCloudNativePgKeepsTheDemotedWriterRunningAsAReplica() {
        var f = gcpToldToFenceForASwitchoverToAws();
        var d = f.heartbeat(f.demoted(GCP, 180, GCP_TOKEN.orElseThrow()));
        d = f.heartbeat(f.standby(AWS, 200));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(d.assignmentFor(AWS).promotionToken()).isEqualTo(GCP_TOKEN);

        var g = Fixture.syncWithGcpWriting();
        g.state = g.decider.requestSwitchover(g.state, g.reports, AWS, g.now).state().orElseThrow();
        g.heartbeat(g.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        g.advance(100);
        var running = new dev.twincloud.core.protocol.AgentReport(GCP, g.epoch(), SiteState.FENCED, DbRole.STANDBY, Fixture.SYSID, 1,
                new dev.twincloud.core.protocol.Lsn(180), new dev.twincloud.core.protocol.Lsn(180), java.util.List.of(),
                new dev.twincloud.core.protocol.Lsn(180), "", Optional.empty());
        g.heartbeat(running);
        assertThat(g.heartbeat(g.standby(AWS, 200)).state().durable().writer()).as("no token: not demoted").isEqualTo(GCP);
        assertThat(Decider.stoppedCleanly(running)).isFalse();
    }

    @Test
    void switchoverFromASiteWithoutADemotionTokenPromotesWithoutOne() {
        var f = gcpFencedForASwitchoverToAws(Optional.empty()); // the local driver: a clean shutdown, no token
        var d = f.heartbeat(f.standby(AWS, 200));
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(d.assignmentFor(AWS).promotionToken()).isEmpty();
    }

    @Test
    void failoverAfterAnAbortedSwitchoverPromotesWithoutTheTokenTheOldWriterStillReports() {
        var f = new Fixture(Durability.ASYNC);
        f.steadySync();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        // gcp stopped cleanly and stays down; aws never receives the shutdown checkpoint
        List<EventKind> kinds = new ArrayList<>();
        Decision d = null;
        for (int i = 0; i < 120 && f.state.durable().writer().equals(GCP); i++) {
            f.advance(100);
            f.heartbeat(f.fenced(GCP, 180, GCP_TOKEN)).events().forEach(e -> kinds.add(e.kind()));
            d = f.heartbeat(f.standby(AWS, 150));
            d.events().forEach(e -> kinds.add(e.kind()));
        }
        assertThat(kinds).containsSubsequence(EventKind.SWITCHOVER_ABORTED, EventKind.FAILOVER);
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(d.assignmentFor(AWS).promotionToken())
                .as("unplanned: aws lacks WAL up to the token's checkpoint and must not wait for it").isEmpty();
    }

    @Test
    void forcedPromotionDuringASwitchoverCarriesNoToken() {
        var f = gcpFencedForASwitchoverToAws(GCP_TOKEN);
        f.state = f.decider.forcePromote(f.state, AWS, "alice", "switchover stuck", f.now).state().orElseThrow();
        var d = f.heartbeat(f.standby(AWS, 150));
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
        assertThat(d.assignmentFor(AWS).promotionToken()).isEmpty();
    }

    @Test
    void switchoverIsAbortedAfterTimeoutAndTheOldWriterResumes() {
        var f = Fixture.syncWithGcpWriting();
        f.state = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now).state().orElseThrow();
        for (int i = 0; i < 105; i++) {
            f.advance(100);
            f.heartbeat(f.fenced(GCP, 180));
            f.heartbeat(f.standby(AWS, 150));
        }
        assertThat(f.state.durable().switchover()).isEmpty();
        assertThat(f.state.durable().writer()).isEqualTo(GCP);
        assertThat(f.last.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_ASYNC);
    }

    @Test
    void switchoverIsRefusedWhenTheTargetIsNotStreaming() {
        var f = Fixture.syncWithGcpWriting();
        f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100));
        var r = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now);
        assertThat(r.error()).hasValueSatisfying(e -> assertThat(e).contains("not streaming"));
        assertThat(f.decider.requestSwitchover(f.state, f.reports, GCP, f.now).error())
                .hasValueSatisfying(e -> assertThat(e).contains("already the writer"));
    }

    @Test
    void leaseIsNeverGrantedToANonWriterOrAStaleEpoch() {
        var f = Fixture.syncWithGcpWriting();
        var d = f.heartbeat(f.report(AWS, f.epoch(), SiteState.PRIMARY_ASYNC, DbRole.PRIMARY, 100));
        assertThat(d.assignmentFor(AWS).lease()).isEmpty();
        assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.DEMOTED);
        d = f.heartbeat(f.report(GCP, f.epoch() - 1, SiteState.PRIMARY_SYNC, DbRole.PRIMARY, 100));
        assertThat(d.assignmentFor(GCP).lease()).isEmpty();
        assertThat(Optional.of(d.state().durable().writer())).contains(GCP);
    }
}
