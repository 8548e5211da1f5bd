package dev.twincloud.core.protocol;

/** What the agent observed its local PostgreSQL to be. */
public enum DbRole {
    /** Running and not in recovery: it could accept writes if its lease allowed. */
    PRIMARY,
    /** Running in recovery, following (or trying to follow) an upstream. */
    STANDBY,
    /** Not running, or not answering. */
    DOWN
}
