package dev.twincloud.core.protocol;

/** The cluster's durability mode (docs/design.md rule 4). */
public enum Durability {
    /** The writer commits with the other site as synchronous standby; no acknowledged write is lost. */
    SYNC,
    /** Commits do not wait for the standby; a standby is eligible for promotion only within {@code max_lag}. */
    ASYNC
}
