package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * docs/design.md rule 9 on two real PostgreSQL servers ({@link TwoSitesOnRealPostgres}): the writer writes on the
 * standby's promises while the arbiter is away, the arbiter holds a failover while the standby promises, and a
 * standby that does not stream promises nothing.
 */
class AgentFailsafeOnRealPostgresTest extends TwoSitesOnRealPostgres {

    /**
     * docs/design.md rule 9: with the arbiter gone (cut off from both sites) for three lease ttls, the
     * writer keeps committing on the standby's promises, timed like grants; the same run without the
     * failsafe is {@link AgentOnRealPostgresTest#fencedWriterRejectsWritesOnceItsLeaseEndsEvenWithADeadAgent}.
     */
    @Test
    void theWriterKeepsWritingOnTheStandbysPromisesWhileTheArbiterIsAway() throws Exception {
        steadyThenCutOffTheArbiterFrom(GCP, AWS);
        Instant away = Instant.now();
        int id = 100;
        while (Duration.between(away, Instant.now()).compareTo(TTL.multipliedBy(3)) < 0) {
            tickWithFailsafe();
            insert(gcpPg, id++, "gcp"); // throws (fenced) the moment the lease lapses
        }
        assertThat(gcp.promotionHeldForMillis()).isZero();
        assertThat(aws.promotionHeldForMillis()).as("the standby holds its promotions").isPositive();
        assertThat(arbiter.events).extracting(e -> e.kind()).doesNotContain(EventKind.FAILOVER);
    }

    /**
     * Cut off from the writer only, the arbiter hears the standby's promise in its reports: it records
     * FAILSAFE instead of failing over, and the writer writes on.
     */
    @Test
    void anArbiterCutOffFromTheWriterOnlyHoldsTheFailoverWhileTheStandbyPromises() throws Exception {
        steadyThenCutOffTheArbiterFrom(GCP);
        Instant away = Instant.now();
        int id = 200;
        while (Duration.between(away, Instant.now()).compareTo(TTL.multipliedBy(3)) < 0) {
            tickWithFailsafe();
            insert(gcpPg, id++, "gcp");
        }
        assertThat(arbiter.events).extracting(e -> e.kind()).contains(EventKind.FAILSAFE).doesNotContain(EventKind.FAILOVER);
        assertThat(aws.state()).isEqualTo(SiteState.STANDBY);
    }

    /** A standby that stopped streaming promises nothing: the writer's lease runs out as without the failsafe. */
    @Test
    void aStandbyThatDoesNotStreamPromisesNothing() throws Exception {
        steadyThenCutOffTheArbiterFrom(GCP, AWS);
        awsPg.execute("ALTER SYSTEM SET primary_conninfo = ''");
        awsPg.execute("SELECT pg_reload_conf()");
        Instant away = Instant.now();
        while (Duration.between(away, Instant.now()).compareTo(TTL.plusMillis(500)) < 0) {
            tickWithFailsafe();
        }
        assertThatThrownBy(() -> insert(gcpPg, 300, "gcp")).hasMessageContaining("fenced");
    }

    /**
     * The failsafe keeps a lease; it does not bring back one that ended (docs/design.md rule 9). Found by a drill
     * ({@code random}, seed 84): the writer's agent paused past its lease while both sites were cut off from the
     * arbiter; the arbiter had failed over meanwhile, but the standby had not heard of it. Resumed, the old writer
     * asked its standby for a promise, got one, extended its ended lease and committed for seconds after the
     * arbiter's {@code FAILOVER} — no second writer (the standby held its promotion), but writes the arbiter had
     * ended. Here the pause is the writer's agent not ticking while its lease runs out.
     */
    @Test
    void aWriterWhoseLeaseEndedWhileItsAgentWasPausedGetsNoPromise() throws Exception {
        steadyThenCutOffTheArbiterFrom(GCP, AWS);
        Instant paused = Instant.now();
        while (Duration.between(paused, Instant.now()).compareTo(TTL.plusMillis(300)) < 0) {
            aws.tick(); // gcp's agent is paused: no tick, no failsafe round
            Thread.sleep(50);
        }
        assertThatThrownBy(() -> insert(gcpPg, 400, "gcp")).hasMessageContaining("fenced");
        for (int i = 0; i < 10; i++) { // resumed
            tickWithFailsafe();
        }
        assertThatThrownBy(() -> insert(gcpPg, 401, "gcp")).as("an ended lease stays ended").hasMessageContaining("fenced");
    }

    /** A promise answered after the lease ended does not extend it, though the request left in time. */
    @Test
    void aPromiseAnsweredAfterTheLeaseEndedDoesNotExtendIt() throws Exception {
        steadyThenCutOffTheArbiterFrom(GCP, AWS);
        Thread.sleep(Agent.FAILSAFE_AFTER.toMillis() + 50);
        gcp.tick();
        long t0 = System.nanoTime();
        var request = gcp.promiseToAskFor(t0).orElseThrow();
        var answer = aws.considerPromise(request);
        assertThat(answer.granted()).isTrue();
        Thread.sleep(TTL.toMillis()); // the answer is on its way while the lease runs out
        assertThat(gcp.promiseAnswered(request, answer, t0)).isFalse();
        assertThatThrownBy(() -> insert(gcpPg, 500, "gcp")).hasMessageContaining("fenced");
    }

    /** gcp writes in sync with aws, which is eligible; then the arbiter no longer hears {@code sites}. */
    private void steadyThenCutOffTheArbiterFrom(SiteId... sites) {
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC && arbiter.state.durable().standbyEligible(), gcp, aws);
        for (SiteId site : sites) {
            arbiter.reachable.put(site, false);
        }
    }

    /** One heartbeat round of both agents, then one failsafe round (gcp asks, aws answers), as the agents' loops do. */
    private void tickWithFailsafe() {
        gcp.tick();
        aws.tick();
        gcp.promiseToAskFor(System.nanoTime()).ifPresent(request -> {
            long t0 = System.nanoTime();
            gcp.promiseAnswered(request, aws.considerPromise(request), t0);
        });
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
