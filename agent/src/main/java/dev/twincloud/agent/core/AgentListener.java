package dev.twincloud.agent.core;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.fsm.Transition;

/** Observes what the agent does, for logs and metrics. All methods default to nothing. */
public interface AgentListener {
    default void transitioned(Transition t, long epoch, String detail) {
    }

    default void heartbeatFailed(String reason) {
    }

    /** The arbiter answered a heartbeat. */
    default void heartbeatAnswered() {
    }

    default void leaseWritten(long epoch, boolean applied) {
    }

    default void actionFailed(Transition t, String reason) {
    }

    /** The database was found down in an assigned state that stays, and was started again. */
    default void databaseRestarted(SiteState state) {
    }

    /** The fast path's proof is in place (true) or was withdrawn or ended (false). */
    default void writesRefused(long epoch, boolean refused) {
    }

    /** Failsafe, the writer's side: the standby refused a promise (docs/design.md rule 9). */
    default void promiseRefused(String why) {
    }

    /** Failsafe, the writer's side: a promise extended the lease row while the arbiter gave no grant. */
    default void leaseKeptByPromise(long epoch) {
    }

    /** Failsafe, the standby's side: a request was judged. */
    default void promiseConsidered(dev.twincloud.core.protocol.PromiseRequest request,
                                   dev.twincloud.core.protocol.PromiseAnswer answer) {
    }
}
