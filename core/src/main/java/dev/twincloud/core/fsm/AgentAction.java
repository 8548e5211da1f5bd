package dev.twincloud.core.fsm;

/** What the agent does to take a transition. Each maps to calls on the site's PostgreSQL driver. */
public enum AgentAction {
    /** Make sure PostgreSQL runs as a primary; set synchronous replication as assigned. */
    START_AS_PRIMARY,
    /** Make sure PostgreSQL runs as a standby of the writer (clean follow, no rewind). */
    START_AS_STANDBY,
    /** Promote the local standby, then run as a writer without synchronous standby. */
    PROMOTE,
    /** Drop the synchronous standby (the arbiter allowed it). */
    SET_ASYNC,
    /** Name the other site as synchronous standby again. */
    SET_SYNC,
    /** Expire the lease row, then shut PostgreSQL down cleanly (shutdown checkpoint reaches the standby). */
    FENCE_AND_STOP_CLEAN,
    /** Raise the epoch floor and expire the lease row at once, then stop PostgreSQL. */
    FENCE_AND_STOP,
    /** Rewind onto the writer's timeline (or re-clone when rewind is impossible), then follow it. */
    REJOIN
}
