package dev.twincloud.arbiter.service;

import static dev.twincloud.arbiter.SimCluster.AWS;
import static dev.twincloud.arbiter.SimCluster.GCP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.arbiter.SimCluster;
import dev.twincloud.arbiter.TestClock;
import dev.twincloud.arbiter.store.EventLog;
import dev.twincloud.arbiter.store.FileStateStore;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The arbiter's loop on real files with a hand-driven clock, no Spring: restart, storage failures, alerts. */
class ArbiterServiceTest {

    static final Duration TTL = Duration.ofMillis(2500);
    static final Duration MARGIN = Duration.ofMillis(250);
    static final ArbiterConfig CONFIG = new ArbiterConfig(List.of(GCP, AWS), TTL, MARGIN, Duration.ofMillis(1500),
            Duration.ofMillis(1000), 16L << 20, Duration.ofSeconds(10));

    @TempDir
    Path dir;

    final TestClock clock = new TestClock(Instant.parse("2026-11-28T12:00:00Z"));
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    FileStateStore store;
    EventLog history;
    ArbiterService arbiter;

    ArbiterService start() {
        store = FileStateStore.open(dir, CONFIG);
        history = new EventLog(dir, 1000);
        arbiter = new ArbiterService(new Decider(CONFIG), store, history, clock, new ArbiterMetrics(registry),
                () -> DurableState.initial(GCP, Durability.SYNC));
        return arbiter;
    }

    void stop() {
        if (arbiter != null) {
            arbiter.close();
            history.close();
            store.close();
            arbiter = null;
        }
    }

    @AfterEach
    void tearDown() {
        stop();
    }

    SimCluster cluster(SiteId writer) {
        return new SimCluster(writer, r -> arbiter.heartbeat(r), clock, TTL, MARGIN,
                () -> arbiter.snapshot().state().durable().standbyEligible());
    }

    List<EventKind> kinds() {
        return arbiter.events(1000).stream().map(Event::kind).toList();
    }

    @Test
    void grantsTheFirstLeaseOnlyAfterOneTtl() {
        Instant started = clock.instant();
        start();
        SimCluster c = cluster(GCP);

        c.roundsUntil(() -> c.gcp.last.lease().isPresent(), 50);

        assertThat(c.lastLeaseOf(GCP)).isAfter(started.plus(TTL));
        assertThat(c.gcp.state.isWriter()).isTrue();
        assertThat(kinds()).startsWith(EventKind.ARBITER_STARTED).contains(EventKind.LEASE_FIRST_GRANT);
        c.steady(true);
        assertThat(kinds()).contains(EventKind.RESTORE_SYNC, EventKind.STANDBY_IN_SYNC);
    }

    @Test
    void restartKeepsEpochAndWaitsOneTtlBeforeANewWriter() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        SimAgent aws = c.aws;

        // The arbiter restarts, and at the same moment gcp falls silent.
        stop();
        Instant restarted = clock.instant();
        start();
        assertThat(arbiter.snapshot().state().durable()).satisfies(d -> {
            assertThat(d.epoch()).isEqualTo(1);
            assertThat(d.writer()).isEqualTo(GCP);
            assertThat(d.standbyEligible()).as("eligibility is durable").isTrue();
        });
        c.gcp.silent = true;

        int rounds = c.roundsUntil(() -> aws.state == SiteState.PRIMARY_ASYNC, 50);

        Instant promotedAt = clock.instant().minusMillis(SimCluster.ROUND_MILLIS);
        assertThat(promotedAt).as("aws promoted only after one full ttl + margin since the restart")
                .isAfter(restarted.plus(TTL).plus(MARGIN));
        assertThat(rounds).isGreaterThan((int) (TTL.toMillis() / SimCluster.ROUND_MILLIS));
        assertThat(aws.epoch).isEqualTo(2);
        c.roundsUntil(() -> aws.last.lease().isPresent(), 5);
    }

    @Test
    void restartAfterAFailoverGrantsTheNewWriterNoLeaseForOneTtl() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        c.gcp.silent = true;
        c.roundsUntil(() -> c.aws.last.goal() == SiteState.PRIMARY_ASYNC, 50); // epoch 2 stored, no lease yet

        stop();
        Instant restarted = clock.instant();
        start();
        assertThat(arbiter.snapshot().state().durable().epoch()).isEqualTo(2);
        assertThat(arbiter.snapshot().state().durable().writer()).isEqualTo(AWS);

        c.roundsUntil(() -> c.aws.last.lease().isPresent(), 50);
        assertThat(c.lastLeaseOf(AWS)).isAfter(restarted.plus(TTL));
    }

    @Test
    void answersNothingWhenTheNewEpochCannotBeStored() throws IOException {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        c.gcp.silent = true;
        deleteRecursively(dir); // the disk is gone: the next save fails

        // Every decision that changes the durable state fails from now on: aws's heard place, then the
        // failover once gcp's lease has ended; the rounds go on well past that end.
        StateNotStored failure = null;
        Instant until = clock.instant().plus(TTL).plus(MARGIN).plusMillis(1000);
        while (clock.instant().isBefore(until)) {
            clock.advanceMillis(SimCluster.ROUND_MILLIS);
            try {
                c.heartbeat(c.aws);
            } catch (StateNotStored e) {
                failure = e;
            }
        }

        assertThat(failure).as("the failover could not be stored").isNotNull();
        assertThat(c.aws.epoch).as("aws was never told about an unstored epoch").isEqualTo(1);
        assertThat(arbiter.snapshot().state().durable().epoch()).isEqualTo(1);

        Files.createDirectories(dir); // the disk is back
        Assignment a = c.heartbeat(c.aws);
        // (aws's unstored decisions were not adopted either: it counts as just reconnected for a report timeout)
        for (int i = 0; i < 40 && a.epoch() == 1; i++) {
            clock.advanceMillis(SimCluster.ROUND_MILLIS);
            a = c.heartbeat(c.aws);
        }
        assertThat(a.epoch()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve(FileStateStore.STATE_FILE))).contains("\"epoch\" : 2", "\"writer\" : \"aws\"");
    }

    @Test
    void aReplicaWhoseStoredStateAnotherReplicaReplacedStopsActingAndOverwritesNothing() {
        store = FileStateStore.openShared(dir, CONFIG); // any StateStore: each refuses a lost compare-and-swap alike
        history = new EventLog(dir, 1000);
        arbiter = new ArbiterService(new Decider(CONFIG), store, history, clock, new ArbiterMetrics(registry),
                () -> DurableState.initial(GCP, Durability.SYNC));
        DurableState taken;
        try (FileStateStore other = FileStateStore.openShared(dir, CONFIG)) {
            DurableState loaded = other.loadOrCreate(() -> DurableState.initial(AWS, Durability.SYNC));
            taken = new DurableState(loaded.epoch() + 1, AWS, Durability.SYNC, false, false, java.util.Optional.empty(),
                    loaded.systemId(), loaded.leaseEpoch(), false);
            other.save(taken); // the other replica took over and stored a new epoch
        }

        assertThatThrownBy(() -> arbiter.setMode(Durability.ASYNC)).isInstanceOf(StateNotStored.class)
                .hasMessageContaining("changed by another arbiter replica");
        assertThat(arbiter.snapshot().state().durable().mode()).as("not adopted").isEqualTo(Durability.SYNC);
        // From now on it acts on nothing at all — not even a lease renewal, which stores nothing — until
        // it is opened again (an election gives the lock back at once and loads the state anew).
        assertThat(arbiter.deposed()).isTrue();
        assertThatThrownBy(() -> arbiter.setMode(Durability.ASYNC)).isInstanceOf(NotLeader.class)
                .hasMessageContaining("another arbiter replica stored a state");
        assertThatThrownBy(() -> arbiter.tick()).isInstanceOf(NotLeader.class);
        assertThat(kinds()).doesNotContain(EventKind.MODE_CHANGED);
        try (FileStateStore check = FileStateStore.openShared(dir, CONFIG)) {
            assertThat(check.loadOrCreate(() -> DurableState.initial(GCP, Durability.SYNC))).isEqualTo(taken);
        }
    }

    @Test
    void refusesAHeartbeatThatClaimsANewerEpoch() {
        start();
        AgentReport fromTheFuture = new AgentReport(AWS, 7, SiteState.PRIMARY_ASYNC, DbRole.PRIMARY, SimAgent.SYSTEM_ID, 1,
                null, null, null, null, "", null);

        assertThatThrownBy(() -> arbiter.heartbeat(fromTheFuture)).isInstanceOf(Refused.class)
                .hasMessageContaining("aws reports epoch 7 but the arbiter's is 1");
        assertThat(arbiter.snapshot().alerts()).anyMatch(a -> a.contains("epoch 7"));
        assertThat(kinds()).contains(EventKind.ALERT);
    }

    @Test
    void raisesEachAlertOnceNotEveryTick() {
        start();
        clock.advance(TTL.plus(MARGIN).plusMillis(1));
        for (int i = 0; i < 20; i++) {
            arbiter.tick();
            clock.advanceMillis(100);
        }

        assertThat(arbiter.snapshot().alerts()).singleElement().asString().contains("keeping the current writer");
        assertThat(kinds().stream().filter(EventKind.ALERT::equals)).hasSize(1);

        SimCluster c = cluster(GCP);
        c.steady(true);
        assertThat(arbiter.snapshot().alerts()).isEmpty();
        assertThat(kinds()).contains(EventKind.ALERT_CLEARED);
    }

    @Test
    void historySurvivesARestart() {
        start();
        arbiter.setMode(Durability.ASYNC);
        stop();
        start();

        assertThat(kinds()).containsSubsequence(EventKind.ARBITER_STARTED, EventKind.MODE_CHANGED, EventKind.ARBITER_STOPPED, EventKind.ARBITER_STARTED);
        assertThat(arbiter.snapshot().state().durable().mode()).isEqualTo(Durability.ASYNC);
    }

    double ignored(SiteId site) {
        var c = registry.find("twincloud.arbiter.reports.ignored").tag("site", site.name()).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void aWriterReportDeliveredLateAfterADropToAsyncIsIgnoredAndAStandbyLackingWritesIsNeverPromoted() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        // sent while aws is 'sync' and caught up, then held up on the way (behind a slow fsync, a slow link)
        AgentReport late = c.gcp.report(c.aws);
        assertThat(late.replicas()).singleElement().satisfies(r -> assertThat(r.isSync()).isTrue());

        // aws stops streaming: gcp drops to async and goes on acknowledging writes that aws does not get
        c.aws.silent = true;
        c.roundsUntil(() -> c.gcp.state == SiteState.PRIMARY_ASYNC, 40);
        assertThat(kinds()).contains(EventKind.DROP_TO_ASYNC);
        c.gcp.lsn += 0x10000;
        c.round();

        Assignment answer = arbiter.heartbeat(late);
        assertThat(answer.lease()).as("a late report is not answered with a lease").isEmpty();
        assertThat(answer.epoch()).isEqualTo(1);
        assertThat(arbiter.snapshot().reports().get(GCP).report().sequence()).as("not stored").isGreaterThan(late.sequence());
        assertThat(ignored(GCP)).isEqualTo(1);
        clock.advanceMillis(50);
        arbiter.tick(); // the ticker decides every 100 ms on what is stored
        assertThat(arbiter.snapshot().state().durable().standbyEligible()).isFalse();

        // gcp dies; aws comes back, without gcp's async writes: it must never be promoted
        c.gcp.silent = true;
        c.aws.silent = false;
        for (int i = 0; i < 60; i++) {
            c.round();
            arbiter.tick();
        }
        assertThat(arbiter.snapshot().state().durable().writer()).isEqualTo(GCP);
        assertThat(kinds()).doesNotContain(EventKind.FAILOVER);
        assertThat(kinds().stream().filter(EventKind.STANDBY_IN_SYNC::equals)).as("only the first confirmation").hasSize(1);
        assertThat(c.aws.state).isEqualTo(SiteState.STANDBY);
    }

    @Test
    void aRestartedArbiterIsNotFooledByWriterReportsSentBeforeADropToAsync() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        // sent while aws is 'sync' and caught up, then held up on the way across the arbiter's restart
        AgentReport late1 = c.gcp.report(c.aws);
        AgentReport late2 = c.gcp.report(c.aws);
        assertThat(late2.replicas()).singleElement().satisfies(r -> assertThat(r.isSync()).isTrue());

        c.aws.silent = true;
        c.roundsUntil(() -> c.gcp.state == SiteState.PRIMARY_ASYNC, 40);
        assertThat(kinds()).contains(EventKind.DROP_TO_ASYNC);
        c.gcp.lsn += 0x10000;
        c.round();

        stop();
        start(); // the barrier and gcp's heard place come back from state.json
        arbiter.heartbeat(late1);
        clock.advanceMillis(50);
        arbiter.heartbeat(late2);
        clock.advanceMillis(50);
        arbiter.tick();
        assertThat(arbiter.snapshot().state().durable().standbyEligible()).isFalse();

        // gcp dies; aws comes back, without gcp's async writes: it must never be promoted
        c.gcp.silent = true;
        c.aws.silent = false;
        for (int i = 0; i < 60; i++) {
            c.round();
            arbiter.tick();
        }
        assertThat(arbiter.snapshot().state().durable().writer()).isEqualTo(GCP);
        assertThat(kinds()).doesNotContain(EventKind.FAILOVER);
        assertThat(c.aws.state).isEqualTo(SiteState.STANDBY);
    }

    @Test
    void reorderedAndDuplicatedReportsAreIgnoredCountedAndAnsweredWithoutALease() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        AgentReport first = c.gcp.report(c.aws);
        AgentReport second = c.gcp.report(c.aws);
        assertThat(arbiter.heartbeat(second).lease()).isPresent();

        Assignment reordered = arbiter.heartbeat(first);
        assertThat(reordered.lease()).isEmpty();
        assertThat(reordered.goal()).as("still told what to be").isEqualTo(SiteState.PRIMARY_SYNC);
        assertThat(arbiter.heartbeat(second).lease()).as("a duplicate").isEmpty();
        assertThat(ignored(GCP)).isEqualTo(2);
        assertThat(arbiter.snapshot().reports().get(GCP).report()).isEqualTo(second);

        // the agent restarts: a new incarnation starts its sequence over
        c.gcp.incarnation += 1000;
        c.gcp.sequence = 0;
        assertThat(c.heartbeat(c.gcp).lease()).isPresent();
        assertThat(ignored(GCP)).isEqualTo(2);
    }

    @Test
    void reportsOfAnOlderAgentWithoutOrderAreTakenInArrivalOrder() {
        start();
        SimCluster c = cluster(GCP);
        c.gcp.incarnation = 0;
        c.aws.incarnation = 0;
        c.steady(true);
        AgentReport r = c.gcp.report(c.aws);
        assertThat(r.sequence()).isZero();
        assertThat(arbiter.heartbeat(r).lease()).isPresent();
        assertThat(arbiter.heartbeat(r).lease()).as("indistinguishable from a new report").isPresent();
        assertThat(ignored(GCP)).isZero();
        c.gcp.silent = true;
        c.roundsUntil(() -> c.aws.state == SiteState.PRIMARY_ASYNC, 50);
        assertThat(kinds()).contains(EventKind.FAILOVER);
    }

    @Test
    void fastPathPromotesTheStandbyWithoutWaitingOutTheLeaseOfAWriterThatProvesItsDatabaseRefusesWrites() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        Instant leaseEnd = c.lastLeaseOf(GCP).plus(TTL);
        // gcp's postmaster is gone and its data directory refuses writes; its agent says so
        c.gcp.role = DbRole.DOWN;
        c.gcp.writesRefused = true;
        int rounds = c.roundsUntil(() -> c.aws.last.lease().isPresent(), 10);

        assertThat(clock.instant()).as("aws writes before gcp's lease would have ended").isBefore(leaseEnd);
        assertThat(rounds).isLessThanOrEqualTo(3);
        assertThat(arbiter.events(1000)).filteredOn(e -> e.kind() == EventKind.FAILOVER).singleElement()
                .satisfies(e -> assertThat(e.why()).startsWith("fast path:"));
        assertThat(c.gcp.state).isEqualTo(SiteState.DEMOTED);
    }

    /**
     * Rule 7 on the real service, random schedules: reports held up and delivered late, delivered
     * twice, the writer falling silent. A report not newer than the newest delivered from its site is
     * never stored and never answered with a lease; the SimCluster checks that no two leases may be
     * valid at once and the epochs only grow.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "seed {0}")
    @org.junit.jupiter.params.provider.ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void lateAndDuplicatedReportsAreNeverStoredNorLeased(long seed) {
        var rnd = new java.util.Random(seed);
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        List<AgentReport> inFlight = new java.util.ArrayList<>();
        java.util.Map<SiteId, AgentReport> newest = new java.util.HashMap<>();
        long epoch = 1;
        int late = 0;
        for (int round = 0; round < 400; round++) {
            if (rnd.nextInt(60) == 0) {
                SimAgent w = c.writer();
                w.silent = !w.silent;
            }
            for (SimAgent a : List.of(c.gcp, c.aws)) {
                if (a.silent) {
                    continue;
                }
                if (rnd.nextInt(5) == 0) {
                    inFlight.add(a.report(c.peer(a))); // held up on the way; the agent gives up on it
                    continue;
                }
                Assignment answer = c.heartbeat(a);
                newest.merge(a.site, arbiter.snapshot().reports().get(a.site).report(), (x, y) -> y);
                assertThat(answer.epoch()).isGreaterThanOrEqualTo(epoch);
                epoch = answer.epoch();
            }
            while (!inFlight.isEmpty() && rnd.nextInt(3) == 0) {
                AgentReport r = inFlight.remove(rnd.nextInt(inFlight.size()));
                if (rnd.nextInt(4) == 0) {
                    inFlight.add(r); // and delivered again later
                }
                AgentReport before = newest.get(r.site());
                Assignment answer;
                try {
                    answer = arbiter.heartbeat(r);
                } catch (Refused e) {
                    continue; // an old epoch's agent after a reset: not this test's concern
                }
                AgentReport stored = arbiter.snapshot().reports().get(r.site()).report();
                if (before != null && !r.isNewerThan(before)) {
                    late++;
                    assertThat(answer.lease()).as("lease for a late report %s", r).isEmpty();
                    assertThat(stored).as("stored after a late report").isEqualTo(before);
                } else {
                    newest.put(r.site(), r);
                }
            }
            clock.advanceMillis(SimCluster.ROUND_MILLIS);
            arbiter.tick();
        }
        assertThat(late).as("late deliveries exercised").isGreaterThan(10);
        assertThat(ignored(GCP) + ignored(AWS)).isEqualTo(late);
    }

    @Test
    void anAgentWhoseReportsAreAllIgnoredRaisesAnAlert() {
        start();
        SimCluster c = cluster(GCP);
        c.steady(true);
        c.aws.incarnation -= 1; // restarted with its clock set back: every report looks older
        c.aws.sequence = 0;
        for (int i = 0; i < 5; i++) {
            c.round();
        }
        assertThat(arbiter.snapshot().alerts()).as("not yet: within the report timeout").isEmpty();
        for (int i = 0; i < 15; i++) {
            c.round();
        }
        assertThat(arbiter.snapshot().alerts()).singleElement().asString()
                .contains("reports of aws are ignored").contains("smaller incarnation");
        c.aws.incarnation += 1000; // restarted again, clock fixed
        c.round();
        assertThat(arbiter.snapshot().alerts()).isEmpty();
        assertThat(kinds()).contains(EventKind.ALERT, EventKind.ALERT_CLEARED);
    }

    static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
