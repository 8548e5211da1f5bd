package dev.twincloud.core.fsm;

/**
 * The states of one site, as assigned by the arbiter (the goal) and as reached by the agent.
 * States cause no actions; transitions do (see {@link TransitionTable}).
 */
public enum SiteState {
    /** The agent has just started and has not reached any goal yet. Transitions to: any goal. */
    INIT,
    /** Writer; commits wait for the other site (synchronous standby). Transitions to: PRIMARY_ASYNC, FENCED, DEMOTED. */
    PRIMARY_SYNC,
    /** Writer; commits do not wait (standby gone, or async mode). Transitions to: PRIMARY_SYNC, FENCED, DEMOTED. */
    PRIMARY_ASYNC,
    /** Streaming replica of the writer. Transitions to: PRIMARY_ASYNC (promotion), DEMOTED (cannot follow). */
    STANDBY,
    /** Planned switchover: lease expired, PostgreSQL shut down cleanly. Transitions to: STANDBY, PRIMARY_ASYNC (abort). */
    FENCED,
    /** A writer of an older epoch, stopped; must re-join (rewind or re-clone). Transitions to: STANDBY. */
    DEMOTED;

    public boolean isWriter() {
        return this == PRIMARY_SYNC || this == PRIMARY_ASYNC;
    }
}
