package dev.twincloud.agent.core;

import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * How an agent controls its site's PostgreSQL. One implementation drives local processes (the lab,
 * VMs); another drives a CloudNativePG {@code Cluster} in Kubernetes. Every method is idempotent and
 * returns quickly: long work is split into steps that return {@link StepResult.Retry} until done.
 */
public interface PostgresDriver {

    /** What the database is right now. Never throws: a database that cannot be read is {@code DOWN}. */
    Observation observe();

    /** Make sure PostgreSQL runs as a primary (start it if stopped; never demote). */
    StepResult startAsPrimary();

    /**
     * Make sure PostgreSQL runs as a standby streaming from {@code writer}: reconfigure and restart a
     * stopped or primary server; rewind it first if its history diverged, or re-clone it when rewind
     * is impossible.
     */
    StepResult followWriter(SiteId writer);

    /**
     * Promote the local standby; done once it accepts writes (out of recovery).
     *
     * @param promotionToken in a planned switchover, the old writer's {@link #demotionToken()} relayed by
     *                       the arbiter: a driver that knows tokens promotes with it (CloudNativePG then
     *                       checks it is the same database and replays up to its checkpoint first);
     *                       empty after an unplanned failover or a forced promotion. Others ignore it.
     */
    StepResult promote(Optional<String> promotionToken);

    /** Name {@code standby} in synchronous_standby_names, or none (async). */
    StepResult setSynchronousStandby(Optional<SiteId> standby);

    /** Shut down cleanly (shutdown checkpoint streamed to the standby); done once stopped. */
    StepResult stopClean();

    /** Stop at once (fast, then immediate). */
    StepResult stopNow();

    /** The shutdown checkpoint position of the stopped server, or ZERO when unknown or running. */
    Lsn stopLsn();

    /**
     * The token the last {@link #stopClean()} produced (CloudNativePG's demotion token), for the agent
     * to report while FENCED so that the arbiter can hand it to the switchover target; empty when the
     * driver has no such thing, or once the database was started, promoted or made to follow again.
     */
    default Optional<String> demotionToken() {
        return Optional.empty();
    }

    /**
     * Whether the agent should start this database again when it finds it down while its assigned
     * state stays (a crash): true for a driver that runs the processes itself; false where something
     * else restarts crashed instances and a stopped database may be stopped on purpose.
     */
    default boolean restartsCrashedDatabase() {
        return true;
    }

    /**
     * The fast path's proof (docs/design.md rule 1): make sure that the stopped database refuses
     * every write if anyone starts it, and that no process of it runs; true only when both hold,
     * checked after the change. {@code epoch} is recorded with the change, so that only the writer of
     * that epoch lifts it ({@link #allowWritesOnStart()}). A driver that cannot prove it returns false
     * (the default: e.g. CloudNativePG, whose operator may start the instance at any time).
     */
    default boolean refuseWritesOnStart(long epoch) {
        return false;
    }

    /** The epoch of a {@link #refuseWritesOnStart(long)} still in place, or empty when there is none. */
    default OptionalLong writesRefusedOnStart() {
        return OptionalLong.empty();
    }

    /** Lifts {@link #refuseWritesOnStart(long)}: only once the arbiter confirmed this site as the writer. */
    default void allowWritesOnStart() {
    }

    /** A new connection to the local database as a superuser, for the lease guard. */
    Connection connect() throws SQLException;
}
