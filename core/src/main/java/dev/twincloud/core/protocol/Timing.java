package dev.twincloud.core.protocol;

import java.time.Duration;

/**
 * The reference timing of a twincloud system: the one place its defaults are written. The arbiter
 * (settings left unset), the agents (heartbeat interval) and the lab ({@code lab up}, {@code lab drill})
 * all take them from here; a deployment overrides them per setting.
 *
 * <p>How they relate (docs/fencing.md, "The fault model"): the heartbeat is much shorter than the report
 * timeout, which is shorter than the lease ttl, so a writer renews many times per lease and a silent
 * site is noticed well before its lease ends; the margin covers clock-rate drift between the
 * arbiter and a database server over one ttl ({@code margin / (2 ttl)} = 5 % here) and the longest
 * pause of a database backend between its commit check and its commit record.
 */
public final class Timing {
    /** How long a write lease lasts, timed by the arbiter from the heartbeat's arrival. */
    public static final long LEASE_TTL_MS = 2500;
    /** Extra wait past a lease's end before another site may write. */
    public static final long MARGIN_MS = 250;
    /** Time between two heartbeats of an agent. */
    public static final long HEARTBEAT_INTERVAL_MS = 100;
    /**
     * Time between two heartbeats while the arbiter asks for a hurry ({@link Assignment#hurry()}: a
     * switchover or a new writer's first lease under way), so no step waits a whole interval.
     */
    public static final long HURRIED_HEARTBEAT_INTERVAL_MS = 10;
    /** An agent hurries at most this long in a row, whatever the arbiter says (bounds the extra load). */
    public static final long HURRY_AT_MOST_MS = 5_000;
    /** A site whose last heartbeat is older than this is not fresh. */
    public static final long REPORT_TIMEOUT_MS = 1500;
    /** Sync mode: how long the writer may miss its standby before the arbiter lets it drop to async. */
    public static final long STANDBY_LOSS_TIMEOUT_MS = 1000;
    /** A planned switchover not completed by then (from the fence) is aborted. */
    public static final long SWITCHOVER_TIMEOUT_MS = 10_000;
    /**
     * Sync mode: how long a read lease lets the synchronous standby serve reads without a staleness
     * proof (docs/design.md rule 10); the writer's drop to async waits for it plus the margin, so it is
     * kept at the standby-loss timeout, which that drop waits for anyway.
     */
    public static final long READ_LEASE_TTL_MS = 1000;
    /**
     * How long a planned switchover holds the old writer's fence, while it still writes, for its archiver
     * to empty its backlog (docs/backups.md).
     */
    public static final long SWITCHOVER_ARCHIVE_WAIT_MS = 10_000;
    /** Async mode: the largest lag, in bytes, with which a standby stays eligible (16 MiB). */
    public static final long MAX_LAG_BYTES = 16L * 1024 * 1024;

    public static final Duration LEASE_TTL = Duration.ofMillis(LEASE_TTL_MS);
    public static final Duration MARGIN = Duration.ofMillis(MARGIN_MS);
    public static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(HEARTBEAT_INTERVAL_MS);
    public static final Duration HURRIED_HEARTBEAT_INTERVAL = Duration.ofMillis(HURRIED_HEARTBEAT_INTERVAL_MS);
    public static final Duration HURRY_AT_MOST = Duration.ofMillis(HURRY_AT_MOST_MS);
    public static final Duration REPORT_TIMEOUT = Duration.ofMillis(REPORT_TIMEOUT_MS);
    public static final Duration STANDBY_LOSS_TIMEOUT = Duration.ofMillis(STANDBY_LOSS_TIMEOUT_MS);
    public static final Duration SWITCHOVER_TIMEOUT = Duration.ofMillis(SWITCHOVER_TIMEOUT_MS);
    public static final Duration READ_LEASE_TTL = Duration.ofMillis(READ_LEASE_TTL_MS);
    public static final Duration SWITCHOVER_ARCHIVE_WAIT = Duration.ofMillis(SWITCHOVER_ARCHIVE_WAIT_MS);

    private Timing() {
    }
}
