package dev.twincloud.core.decide;

import static dev.twincloud.core.decide.Fixture.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.TransitionTable;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Simulated clusters of two well-behaved agents (they follow the transition table) under random
 * faults — silent sites, broken replication, operator switchovers and forced promotions — checked
 * against the safety rules after every step.
 */
class DeciderPropertiesTest {

    enum Step { TICK_100MS, GCP_SILENT, AWS_SILENT, GCP_BACK, AWS_BACK, CUT_REPLICATION, HEAL_REPLICATION, SWITCHOVER, FORCE_PROMOTE, WRITE }

    @Provide
    Arbitrary<List<Step>> schedules() {
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(30, Arbitraries.just(Step.TICK_100MS)),
                        net.jqwik.api.Tuple.of(10, Arbitraries.just(Step.WRITE)),
                        net.jqwik.api.Tuple.of(2, Arbitraries.of(Step.GCP_SILENT, Step.AWS_SILENT, Step.CUT_REPLICATION)),
                        net.jqwik.api.Tuple.of(3, Arbitraries.of(Step.GCP_BACK, Step.AWS_BACK, Step.HEAL_REPLICATION)),
                        net.jqwik.api.Tuple.of(1, Arbitraries.of(Step.SWITCHOVER, Step.FORCE_PROMOTE)))
                .list().ofMinSize(50).ofMaxSize(400);
    }

    @Property(tries = 300)
    void neverTwoWritersNeverAnUnknownEdgeEpochsOnlyGrow(@ForAll("schedules") List<Step> schedule, @ForAll boolean sync) {
        var sim = new Sim(sync ? Durability.SYNC : Durability.ASYNC);
        for (Step step : schedule) {
            sim.apply(step);
            sim.checkInvariants();
        }
    }

    @Property(tries = 100)
    void inSyncModeNoAcknowledgedWriteIsLostByAnAutomaticFailover(@ForAll("schedules") List<Step> schedule) {
        var sim = new Sim(Durability.SYNC);
        for (Step step : schedule) {
            if (step == Step.FORCE_PROMOTE) {
                continue; // a human override may lose writes by definition
            }
            sim.apply(step);
            sim.checkInvariants();
        }
        assertThat(sim.lostAcknowledged).as("acknowledged writes missing from the writer's history").isZero();
    }

    /** Two simulated agents plus a simulated database history per site. */
    static final class Sim {
        final Fixture f;
        final Map<SiteId, SiteState> state = new HashMap<>();
        final Map<SiteId, Long> epochOf = new HashMap<>();
        final Map<SiteId, Boolean> silent = new HashMap<>();
        final Map<SiteId, Instant> leaseUntil = new HashMap<>();
        final Map<SiteId, Long> lsn = new HashMap<>();          // each site's WAL end
        final Map<SiteId, Long> ackedUpTo = new HashMap<>();   // highest acknowledged write per writer site
        final Map<SiteState, Map<SiteState, Boolean>> seen = new EnumMap<>(SiteState.class);
        final Map<SiteId, Long> stopLsn = new HashMap<>();
        final Map<Long, EventKind> begunBy = new HashMap<>();     // epoch -> the event that started it
        boolean replicationCut;
        long highestAcked;
        long lostAcknowledged;
        long lastEpoch;

        Sim(Durability mode) {
            f = new Fixture(mode);
            for (SiteId s : List.of(GCP, AWS)) {
                state.put(s, SiteState.INIT);
                epochOf.put(s, 0L);
                silent.put(s, false);
                lsn.put(s, 100L);
            }
        }

        void apply(Step step) {
            switch (step) {
                case TICK_100MS -> {
                    f.advance(100);
                    heartbeats();
                }
                case GCP_SILENT -> silent.put(GCP, true);
                case AWS_SILENT -> silent.put(AWS, true);
                case GCP_BACK -> silent.put(GCP, false);
                case AWS_BACK -> silent.put(AWS, false);
                case CUT_REPLICATION -> replicationCut = true;
                case HEAL_REPLICATION -> replicationCut = false;
                case SWITCHOVER -> {
                    SiteId target = f.CONFIG.other(f.state.durable().writer());
                    f.decider.requestSwitchover(f.state, f.reports, target, f.now).state().ifPresent(s -> f.state = s);
                }
                case FORCE_PROMOTE -> {
                    SiteId target = f.CONFIG.other(f.state.durable().writer());
                    var r = f.decider.forcePromote(f.state, target, "sim", "test", f.now);
                    r.state().ifPresent(s -> f.state = s);
                    r.events().forEach(e -> begunBy.putIfAbsent(e.epoch(), e.kind()));
                }
                case WRITE -> write();
            }
        }

        /** A client write: commits only where the site is a running primary with a valid lease. */
        void write() {
            List<SiteId> writers = new ArrayList<>();
            for (SiteId s : List.of(GCP, AWS)) {
                if (!silent.get(s) && state.get(s).isWriter() && leaseUntil.getOrDefault(s, Instant.MIN).isAfter(f.now)) {
                    writers.add(s);
                }
            }
            assertThat(writers).as("sites that can commit at " + f.now).hasSizeLessThanOrEqualTo(1);
            if (writers.isEmpty()) {
                return;
            }
            SiteId w = writers.get(0);
            SiteId other = f.CONFIG.other(w);
            long next = lsn.get(w) + 10;
            lsn.put(w, next);
            boolean syncStandby = state.get(w) == SiteState.PRIMARY_SYNC;
            boolean streams = streaming(w);
            if (streams) {
                lsn.put(other, next);
            }
            if (syncStandby && !streams) {
                return; // the commit waits for the synchronous standby: not acknowledged
            }
            highestAcked = Math.max(highestAcked, next);
            ackedUpTo.merge(w, next, Math::max);
        }

        boolean streaming(SiteId writer) {
            SiteId other = f.CONFIG.other(writer);
            return !replicationCut && !silent.get(other) && state.get(other) == SiteState.STANDBY;
        }

        void heartbeats() {
            for (SiteId s : List.of(GCP, AWS)) {
                if (silent.get(s)) {
                    continue;
                }
                var d = f.heartbeat(report(s));
                d.events().forEach(e -> begunBy.putIfAbsent(e.epoch(), e.kind()));
                d.assignments().forEach(this::checkPromotionToken);
                act(s, d.assignmentFor(s));
            }
        }

        AgentReport report(SiteId s) {
            SiteState st = state.get(s);
            DbRole role = switch (st) {
                case PRIMARY_SYNC, PRIMARY_ASYNC -> DbRole.PRIMARY;
                case STANDBY -> DbRole.STANDBY;
                default -> DbRole.DOWN;
            };
            List<ReplicaInfo> replicas = new ArrayList<>();
            if (role == DbRole.PRIMARY && streaming(s)) {
                SiteId o = f.CONFIG.other(s);
                replicas.add(new ReplicaInfo(o.name(), "streaming", st == SiteState.PRIMARY_SYNC ? "sync" : "async",
                        new Lsn(lsn.get(o)), new Lsn(lsn.get(o))));
            }
            return new AgentReport(s, epochOf.get(s), st, role, SYSID, 1, new Lsn(lsn.get(s)), new Lsn(lsn.get(s)),
                    replicas, new Lsn(stopLsn.getOrDefault(s, 0L)), "",
                    st == SiteState.FENCED ? Optional.of(demotionToken(s)) : Optional.empty());
        }

        /** What the site's CloudNativePG would publish for its last clean stop. */
        String demotionToken(SiteId s) {
            return s + "@" + stopLsn.getOrDefault(s, 0L);
        }

        void act(SiteId s, Assignment a) {
            SiteState cur = state.get(s);
            if (a.goal() != cur) {
                seen.computeIfAbsent(cur, k -> new EnumMap<>(SiteState.class)).put(a.goal(), true);
                assertThat(TransitionTable.find(cur, a.goal()))
                        .as("the agent has an edge from " + cur + " to the assigned " + a.goal()).isPresent();
                SiteId other = f.CONFIG.other(s);
                switch (a.goal()) {
                    case FENCED -> {
                        stopLsn.put(s, lsn.get(s) + 1); // shutdown checkpoint
                        lsn.put(s, lsn.get(s) + 1);
                        if (streaming(s)) {
                            lsn.put(other, lsn.get(s));
                        }
                        leaseUntil.remove(s);
                    }
                    case DEMOTED -> leaseUntil.remove(s);
                    case PRIMARY_ASYNC -> {
                        if (cur == SiteState.STANDBY) {
                            // promotion: this site's history is what it has received
                            long lost = ackedUpToAnywhere() > lsn.get(s) ? 1 : 0;
                            lostAcknowledged += lost;
                        }
                    }
                    case STANDBY -> lsn.put(s, lsn.get(other)); // rewind/re-clone/follow
                    default -> { }
                }
                state.put(s, a.goal());
            }
            epochOf.put(s, a.epoch());
            a.lease().ifPresent(l -> {
                assertThat(l.epoch()).isEqualTo(f.state.durable().epoch());
                leaseUntil.put(s, f.now.plusMillis(l.ttlMillis()));
            });
        }

        /**
         * A promotion token goes only to the writer of an epoch begun by a planned switchover, is the
         * old writer's demotion token of its last clean stop, and that stop has reached the writer.
         */
        void checkPromotionToken(SiteId s, Assignment a) {
            a.promotionToken().ifPresent(token -> {
                SiteId old = f.CONFIG.other(s);
                assertThat(s).as("only the writer is told to promote").isEqualTo(f.state.durable().writer());
                assertThat(begunBy.get(a.epoch())).as("epoch " + a.epoch() + " begun by").isEqualTo(EventKind.SWITCHOVER_PROMOTE);
                assertThat(token).isEqualTo(demotionToken(old));
                assertThat(lsn.get(s)).as("the writer has the old writer's stop point").isGreaterThanOrEqualTo(stopLsn.get(old));
            });
        }

        long ackedUpToAnywhere() {
            return highestAcked;
        }

        void checkInvariants() {
            long e = f.state.durable().epoch();
            assertThat(e).isGreaterThanOrEqualTo(lastEpoch);
            lastEpoch = e;
            long validLeases = leaseUntil.entrySet().stream()
                    .filter(x -> x.getValue().isAfter(f.now) && state.get(x.getKey()).isWriter()).count();
            assertThat(validLeases).as("sites holding a valid lease at " + f.now).isLessThanOrEqualTo(1);
        }
    }
}
