package dev.twincloud.core.decide;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A tiny in-memory arbiter loop around the pure decider, with a hand-driven clock. */
final class Fixture {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final long SYSID = 7_000_000_001L;
    static final ArbiterConfig CONFIG = new ArbiterConfig(List.of(GCP, AWS), Duration.ofMillis(2000),
            Duration.ofMillis(250), Duration.ofMillis(1000), Duration.ofMillis(500), 1024 * 1024, Duration.ofSeconds(10));

    final ArbiterConfig config;
    final Decider decider;
    Instant now = Instant.parse("2026-11-28T12:00:00Z");
    ClusterState state;
    final Map<SiteId, Observed> reports = new HashMap<>();
    final Map<SiteId, Long> sequences = new HashMap<>();
    Decision last;
    /** Every event of every decision, oldest first. */
    final List<Event> history = new java.util.ArrayList<>();

    Fixture(Durability mode) {
        this(mode, CONFIG);
    }

    Fixture(Durability mode, ArbiterConfig config) {
        this.config = config;
        this.decider = new Decider(config);
        state = ClusterState.loaded(DurableState.initial(GCP, mode), now, config);
    }

    static Fixture syncWithGcpWriting() {
        var f = new Fixture(Durability.SYNC);
        f.steadySync();
        return f;
    }

    /** Run the cluster to its steady state: gcp PRIMARY_SYNC with aws confirmed in sync. */
    void steadySync() {
        for (int i = 0; i < 30; i++) { // the first lease waits one ttl after the arbiter starts
            heartbeat(writer(GCP, currentWriterGoal(GCP), 100, streaming(AWS, 100, "sync")));
            heartbeat(standby(AWS, 100));
            advance(100);
        }
    }

    List<EventKind> kinds() {
        return history.stream().map(Event::kind).toList();
    }

    SiteState currentWriterGoal(SiteId site) {
        return last == null ? SiteState.PRIMARY_ASYNC : last.assignmentFor(site).goal();
    }

    void advance(long millis) {
        now = now.plusMillis(millis);
    }

    /**
     * A heartbeat from a current agent: a report built without ordering is stamped with the site's
     * next sequence number (incarnation 1), as the agent does before it sends it.
     */
    Decision heartbeat(AgentReport r) {
        return deliver(stamp(r));
    }

    /** {@code r} stamped with its site's next sequence number, unless it carries an order already. */
    AgentReport stamp(AgentReport r) {
        if (r.incarnation() != 0 || r.sequence() != 0) {
            return r;
        }
        return r.withOrder(1, sequences.merge(r.site(), 1L, Long::sum));
    }

    /**
     * {@code r} exactly as given reaches the decider now, as the newest report of its site: a report
     * of an older agent (no order), or one that was sent earlier and delivered late (the arbiter's
     * service drops those; the decider must stay safe if one gets through).
     */
    Decision deliver(AgentReport r) {
        reports.put(r.site(), new Observed(r, now));
        last = decider.decide(state, reports, now, Optional.of(r.site()));
        assertEpochsOnlyGrow(last);
        state = last.state();
        history.addAll(last.events());
        return last;
    }

    /** {@code millis} pass with {@code r} sent every 100 ms (a site heartbeating on its own). */
    Decision keepReporting(long millis, AgentReport r) {
        for (long t = 0; t < millis; t += 100) {
            advance(Math.min(100, millis - t));
            heartbeat(r);
        }
        return last;
    }

    Decision tick() {
        last = decider.decide(state, reports, now, Optional.empty());
        assertEpochsOnlyGrow(last);
        state = last.state();
        history.addAll(last.events());
        return last;
    }

    private void assertEpochsOnlyGrow(Decision d) {
        if (d.state().durable().epoch() < state.durable().epoch()) {
            throw new AssertionError("epoch went back: " + state.durable().epoch() + " -> " + d.state().durable().epoch());
        }
    }

    long epoch() {
        return state.durable().epoch();
    }

    AgentReport writer(SiteId site, SiteState st, long lsn, ReplicaInfo... replicas) {
        return new AgentReport(site, epoch(), st, DbRole.PRIMARY, SYSID, 1, new Lsn(lsn), new Lsn(lsn), List.of(replicas), Lsn.ZERO, "",
                Optional.empty());
    }

    AgentReport standby(SiteId site, long received) {
        return new AgentReport(site, epoch(), SiteState.STANDBY, DbRole.STANDBY, SYSID, 1, new Lsn(received), new Lsn(received), List.of(),
                Lsn.ZERO, "", Optional.empty());
    }

    AgentReport report(SiteId site, long epoch, SiteState st, DbRole role, long lsn) {
        return new AgentReport(site, epoch, st, role, SYSID, 1, new Lsn(lsn), new Lsn(lsn), List.of(), Lsn.ZERO, "", Optional.empty());
    }

    AgentReport fenced(SiteId site, long stopLsn) {
        return fenced(site, stopLsn, Optional.empty());
    }

    /** A site stopped cleanly for a switchover; {@code demotionToken} as a CloudNativePG site reports it. */
    AgentReport fenced(SiteId site, long stopLsn, Optional<String> demotionToken) {
        return new AgentReport(site, epoch(), SiteState.FENCED, DbRole.DOWN, SYSID, 1, new Lsn(stopLsn), new Lsn(stopLsn), List.of(),
                new Lsn(stopLsn), "", demotionToken);
    }

    /**
     * A CloudNativePG site demoted for a switchover, as its driver observes it: the Cluster is now a
     * replica, its server runs in recovery (STANDBY), and the demotion token is published.
     */
    AgentReport demoted(SiteId site, long stopLsn, String demotionToken) {
        return new AgentReport(site, epoch(), SiteState.FENCED, DbRole.STANDBY, SYSID, 1, new Lsn(stopLsn), new Lsn(stopLsn), List.of(),
                new Lsn(stopLsn), "", Optional.of(demotionToken));
    }

    /** The writer's report once its postmaster is gone and its data directory refuses writes (fast path). */
    AgentReport refusing(SiteId site, SiteState st, long lsn) {
        return new AgentReport(site, epoch(), st, DbRole.DOWN, SYSID, 1, new Lsn(lsn), new Lsn(lsn), List.of(), Lsn.ZERO, "",
                Optional.empty()).withWritesRefused(true);
    }

    static ReplicaInfo streaming(SiteId site, long flush, String syncState) {
        return new ReplicaInfo(site.name(), "streaming", syncState, new Lsn(flush), new Lsn(flush));
    }
}
