package dev.twincloud.core.decide;

/**
 * What an {@link Event} records. Serialized by its name ({@code "FAILOVER"}, ...): the format of
 * {@code events.jsonl} and of {@code GET /v1/events}; a kind is never renamed or removed, so that an
 * old history still loads.
 */
public enum EventKind {
    /** The arbiter started and loaded its stored state. */
    ARBITER_STARTED,
    /** The arbiter is shutting down. */
    ARBITER_STOPPED,
    /** An alert was raised (the event's {@code why} is the alert). */
    ALERT,
    /** An alert that was raised is no longer present. */
    ALERT_CLEARED,
    /** The first lease of an epoch was granted to its writer. */
    LEASE_FIRST_GRANT,
    /** Unplanned promotion of the standby (after the old lease ended, or via the fast path). */
    FAILOVER,
    /** The standby stopped streaming for too long: the writer goes on without synchronous replication. */
    DROP_TO_ASYNC,
    /** The standby is back and caught up: synchronous replication is restored. */
    RESTORE_SYNC,
    /** The writer confirmed the standby synchronous: it may be promoted. */
    STANDBY_IN_SYNC,
    /** The standby can no longer be promoted in ASYNC mode (not streaming or lagging too much). */
    STANDBY_INELIGIBLE,
    /** The standby can be promoted in ASYNC mode again. */
    STANDBY_ELIGIBLE,
    /**
     * A planned switchover was requested and begins: the old writer is told to stop, or first keeps
     * writing while its archiver has WAL waiting (then {@link #SWITCHOVER_FENCE} follows).
     */
    SWITCHOVER_STARTED,
    /**
     * A planned switchover's archive wait ended (no WAL waiting for the old writer's archiver, or the
     * wait's bound passed; the event's {@code why} says which): the old writer is told to fence.
     */
    SWITCHOVER_FENCE,
    /** The old writer stopped cleanly: the switchover's target is promoted. */
    SWITCHOVER_PROMOTE,
    /** A switchover did not complete in time and was abandoned. */
    SWITCHOVER_ABORTED,
    /** An operator forced a promotion (the arbiter's safety checks skipped). */
    FORCED_PROMOTION,
    /**
     * Both sites were lost and an operator restored the writer's database from an object store's base backup and WAL
     * ({@code lab recover}; docs/backups.md, "Both sites lost"): a new epoch begins with the restored site as the
     * writer — the same site as before or not — whatever the arbiter knew of the sites.
     */
    RESTORED,
    /** The durability mode (SYNC or ASYNC) was changed by an operator. */
    MODE_CHANGED,
    /**
     * The writer's lease ended at the arbiter, but the standby reports a promise not to be promoted
     * (docs/design.md rule 9): the writer writes on the failsafe and no failover starts.
     */
    FAILSAFE;

    /** A kind that makes a new writer: a new epoch begins with its site as the writer. */
    public boolean isPromotion() {
        return this == FAILOVER || this == SWITCHOVER_PROMOTE || this == FORCED_PROMOTION || this == RESTORED;
    }
}
