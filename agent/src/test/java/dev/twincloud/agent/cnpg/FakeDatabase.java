package dev.twincloud.agent.cnpg;

import dev.twincloud.core.protocol.Lsn;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/**
 * PostgreSQL as the agent would read it through the Cluster's -rw service, set by the test in the
 * role of CloudNativePG's instances (the mock API server has no PostgreSQL behind it).
 */
final class FakeDatabase implements SqlProbe {
    private volatile Optional<Reading> reading = Optional.empty();
    private final java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();

    /** How often the driver asked to end a sleep of the startup process between WAL source retries. */
    int wakes() {
        return wakes.get();
    }

    void down() {
        reading = Optional.empty();
    }

    void primary(long systemId, int timeline, String lsn, Replica... replicas) {
        reading = Optional.of(new Reading(false, systemId, timeline, Lsn.parse(lsn), Lsn.parse(lsn), false, List.of(replicas)));
    }

    void standby(long systemId, int timeline, String replayed, String received, boolean streaming) {
        reading = Optional.of(new Reading(true, systemId, timeline, Lsn.parse(replayed), Lsn.parse(received), streaming, List.of()));
    }

    @Override
    public Optional<Reading> read() {
        return reading;
    }

    @Override
    public boolean wakeRecoveryFromRetrySleep() {
        wakes.incrementAndGet();
        return false;
    }

    @Override
    public Connection connect() throws SQLException {
        throw new SQLException("no database behind the mock API server");
    }
}
