package dev.twincloud.core.decide;

import static dev.twincloud.core.decide.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Durability;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * A planned switchover holds the old writer's fence while the writer reports WAL waiting for its
 * archiver (docs/backups.md): the writer keeps its lease and writes meanwhile, the fence goes once a
 * report made after the switchover began shows no backlog, or after {@code switchoverArchiveWait}.
 */
class SwitchoverArchiveWaitTest {

    /** gcp writing, in sync with aws; its reports say {@code backlog} WAL files wait for its archiver. */
    AgentReport gcp(Fixture f, int backlog) {
        return f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")).withArchiveBacklog(Optional.of(backlog));
    }

    Fixture steadyWithBacklog(int backlog) {
        var f = Fixture.syncWithGcpWriting();
        f.heartbeat(gcp(f, backlog));
        f.heartbeat(f.standby(AWS, 100));
        return f;
    }

    static void start(Fixture f) {
        var r = f.decider.requestSwitchover(f.state, f.reports, AWS, f.now);
        assertThat(r.error()).isEmpty();
        f.state = r.state().orElseThrow();
        f.history.addAll(r.events());
    }

    @Test
    void theWriterKeepsWritingWhileItsArchiverHasABacklogAndIsFencedOnceAReportAfterTheStartShowsNone() {
        var f = steadyWithBacklog(3);
        start(f);
        assertThat(f.history.getLast().why()).contains("keeps writing until it reports no WAL waiting");
        for (int i = 0; i < 20; i++) { // 2 s of backlog
            f.advance(100);
            var d = f.heartbeat(gcp(f, 2));
            assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
            assertThat(d.assignmentFor(GCP).lease()).as("renewed while waiting").isPresent();
            assertThat(d.assignmentFor(GCP).hurry()).as("no hurry while waiting").isFalse();
            d = f.heartbeat(f.standby(AWS, 100));
            assertThat(d.assignmentFor(AWS).goal()).isEqualTo(SiteState.STANDBY);
        }
        f.advance(100);
        var d = f.heartbeat(gcp(f, 0));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.assignmentFor(GCP).lease()).as("no renewal once fencing").isEmpty();
        assertThat(d.assignmentFor(GCP).hurry()).isTrue();
        assertThat(d.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.SWITCHOVER_FENCE);
            assertThat(e.why()).contains("no WAL waiting for its archiver").contains("2100 ms after the switchover began");
        });
        // the switchover then completes as before, its timeout counted from the fence
        f.advance(9_000);
        f.heartbeat(f.fenced(GCP, 180));
        d = f.heartbeat(f.standby(AWS, 200));
        assertThat(d.state().durable().writer()).isEqualTo(AWS);
        assertThat(f.kinds()).doesNotContain(EventKind.SWITCHOVER_ABORTED).contains(EventKind.SWITCHOVER_PROMOTE);
    }

    @Test
    void aReportFromBeforeTheStartOrInFlightAtItDoesNotEndTheWait() {
        var f = steadyWithBacklog(3);
        long n = f.sequences.get(GCP); // the newest gcp report the arbiter has at the start
        start(f);
        // a report made before the start, delivered late (the arbiter's service drops it; the decider must hold anyway)
        f.advance(100);
        var d = f.deliver(gcp(f, 0).withOrder(1, n - 1));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        // N+1 may have been on its way when the switchover began: made before it
        f.sequences.put(GCP, n);
        d = f.heartbeat(gcp(f, 0));
        assertThat(d.state().durable().switchover().orElseThrow().awaitingArchive()).isTrue();
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        // N+2 was made after N+1 was answered
        f.advance(100);
        d = f.heartbeat(gcp(f, 0));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
    }

    @Test
    void afterTheBoundTheFenceGoesAnywayAndIsNeverTakenBack() {
        var f = steadyWithBacklog(5);
        start(f);
        Instant started = f.now;
        Decision d = null;
        while (f.now.isBefore(started.plusMillis(9_900))) {
            f.advance(100);
            d = f.heartbeat(gcp(f, 5));
            assertThat(d.assignmentFor(GCP).goal()).as("at %s", f.now).isEqualTo(SiteState.PRIMARY_SYNC);
            f.heartbeat(f.standby(AWS, 100));
        }
        f.advance(100);
        d = f.heartbeat(gcp(f, 5));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.events()).singleElement().satisfies(e -> {
            assertThat(e.kind()).isEqualTo(EventKind.SWITCHOVER_FENCE);
            assertThat(e.why()).contains("still reports 5 WAL file(s) waiting").contains("10000 ms (switchover-archive-wait)")
                    .contains("fence anyway");
        });
        // a writer report with a backlog again (the agent has not fenced yet): still fence
        f.advance(100);
        d = f.heartbeat(gcp(f, 9));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.assignmentFor(GCP).lease()).isEmpty();
        assertThat(f.kinds()).containsOnlyOnce(EventKind.SWITCHOVER_FENCE);
    }

    @Test
    void anOlderAgentWithoutABacklogIsFencedAtOnceAsBefore() {
        var f = Fixture.syncWithGcpWriting();
        start(f);
        assertThat(f.state.durable().switchover().orElseThrow().awaitingArchive()).isFalse();
        var d = f.heartbeat(f.writer(GCP, SiteState.PRIMARY_SYNC, 100, streaming(AWS, 100, "sync")));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(f.kinds()).doesNotContain(EventKind.SWITCHOVER_FENCE);
    }

    @Test
    void anUnknownBacklogInAReportDuringTheWaitEndsIt() {
        var f = steadyWithBacklog(2);
        start(f);
        f.advance(100);
        var d = f.heartbeat(gcp(f, 2).withArchiveBacklog(Optional.empty()));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
        assertThat(d.events()).singleElement().satisfies(e -> assertThat(e.why()).contains("does not report its archive backlog"));
    }

    @Test
    void zeroWaitFencesAtOnce() {
        var config = CONFIG.withSwitchoverArchiveWait(Duration.ZERO);
        var f = steadyWithBacklog(4);
        var r = new Decider(config).requestSwitchover(f.state, f.reports, AWS, f.now);
        assertThat(r.state().orElseThrow().durable().switchover().orElseThrow().awaitingArchive()).isFalse();
        assertThat(r.events().getFirst().why()).contains("fencing gcp");
    }

    @Test
    void aWriterThatFallsSilentDuringTheWaitIsFencedWithoutWaitingOutTheBound() {
        var f = steadyWithBacklog(2);
        start(f);
        f.advance(1_100); // past the report timeout: gcp not fresh
        var d = f.heartbeat(f.standby(AWS, 100));
        assertThat(d.state().durable().switchover().orElseThrow().awaitingArchive()).isFalse();
        assertThat(d.events()).extracting(Event::kind).contains(EventKind.SWITCHOVER_FENCE);
        assertThat(d.events().getFirst().why()).contains("not reporting as a healthy primary");
        // the switchover timeout runs from here: aborted 10 s later, then an ordinary failover can happen
        f.advance(10_100);
        d = f.heartbeat(f.standby(AWS, 100));
        assertThat(f.kinds()).contains(EventKind.SWITCHOVER_ABORTED);
    }

    @Test
    void theWaitSurvivesAnArbiterRestart() {
        var f = steadyWithBacklog(3);
        start(f);
        f.advance(500);
        f.state = ClusterState.loaded(f.state.durable(), f.now, CONFIG);
        f.reports.clear();
        var d = f.heartbeat(gcp(f, 3));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        assertThat(d.assignmentFor(GCP).lease()).as("the restarted arbiter renews the writer of its epoch").isPresent();
        f.advance(100);
        d = f.heartbeat(gcp(f, 0));
        assertThat(d.assignmentFor(GCP).goal()).isEqualTo(SiteState.FENCED);
    }

    // ---- property: delayed and reordered writer reports ----

    /** One writer report: its backlog, and how many heartbeats late it reaches the arbiter (0: on time). */
    record Sent(int backlog, int delay) {
    }

    @Provide
    Arbitrary<List<Sent>> streams() {
        Arbitrary<Integer> backlog = Arbitraries.frequency(net.jqwik.api.Tuple.of(3, 0), net.jqwik.api.Tuple.of(2, 1),
                net.jqwik.api.Tuple.of(1, 4));
        Arbitrary<Integer> delay = Arbitraries.frequency(net.jqwik.api.Tuple.of(6, 0), net.jqwik.api.Tuple.of(2, 1),
                net.jqwik.api.Tuple.of(1, 3));
        return net.jqwik.api.Combinators.combine(backlog, delay).as(Sent::new).list().ofMinSize(1).ofMaxSize(160);
    }

    /**
     * The writer's reports (sent every 100 ms, some delivered late and out of order, as the newest the
     * decider sees when they arrive) carry random backlogs. The fence is sent only once a report made
     * after the switchover began (two sequences past the newest at the start) showed 0, or the bound
     * passed; until then the writer keeps its lease and the target is not promoted; once sent, the
     * fence stays.
     */
    @Property(tries = 300)
    void theFenceWaitsForAFreshEmptyBacklogOrTheBoundAndIsNeverTakenBack(@ForAll("streams") List<Sent> stream,
                                                                          @ForAll boolean staleZeroAtStart) {
        var f = steadyWithBacklog(3);
        long n0 = f.sequences.get(GCP);
        start(f);
        Instant started = f.now;
        if (staleZeroAtStart) {
            f.deliver(gcp(f, 0).withOrder(1, n0 - 1)); // stale, made before the start: must not release
        }
        List<AgentReport> inFlight = new ArrayList<>();
        List<Integer> due = new ArrayList<>();
        boolean fenced = false;
        boolean releasable = false;
        for (int tick = 0; tick < stream.size() + 4; tick++) {
            f.advance(100);
            if (tick < stream.size()) {
                AgentReport r = f.stamp(gcp(f, stream.get(tick).backlog()));
                inFlight.add(r);
                due.add(tick + stream.get(tick).delay());
            }
            for (int i = 0; i < inFlight.size(); i++) {
                if (due.get(i) != tick) {
                    continue;
                }
                AgentReport r = inFlight.get(i);
                Observed seen = f.reports.get(GCP);
                if (!ReportMark.supersedes(r, seen.report())) {
                    continue; // the arbiter's service keeps only the newest report of a site
                }
                boolean madeAfter = r.sequence() >= n0 + 2;
                boolean freshEmpty = madeAfter && r.archiveBacklog().orElseThrow() == 0;
                var d = f.deliver(r);
                releasable |= freshEmpty;
                boolean bound = !f.now.isBefore(started.plusMillis(10_000));
                if (d.state().durable().switchover().isEmpty()) {
                    return; // completed or aborted (its timeout runs from the fence): beyond this property
                }
                SiteState goal = d.assignmentFor(GCP).goal();
                if (fenced) {
                    assertThat(goal).as("the fence is never taken back").isEqualTo(SiteState.FENCED);
                } else if (goal == SiteState.FENCED) {
                    assertThat(releasable || bound).as("fenced at %s ms without a fresh empty backlog",
                            Duration.between(started, f.now).toMillis()).isTrue();
                    fenced = true;
                } else {
                    assertThat(freshEmpty).as("held on a fresh empty backlog").isFalse();
                    assertThat(bound).as("held past the bound").isFalse();
                    assertThat(d.assignmentFor(GCP).lease()).as("renewed while waiting").isPresent();
                }
                assertThat(d.state().durable().writer()).as("no promotion before gcp stopped").isEqualTo(GCP);
            }
            var d = f.heartbeat(f.standby(AWS, 100));
            if (d.state().durable().switchover().isEmpty()) {
                return;
            }
            fenced |= !d.state().durable().switchover().get().awaitingArchive();
        }
    }
}
