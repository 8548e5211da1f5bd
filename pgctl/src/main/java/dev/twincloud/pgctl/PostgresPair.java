package dev.twincloud.pgctl;

import dev.twincloud.core.protocol.Lsn;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * A primary and one streaming standby on this machine, e.g. for tests that need real replication.
 * The standby's application_name (and slot) is {@code standbyName}; with {@code sync} the primary waits for it
 * on commit ({@code synchronous_standby_names = 'FIRST 1 (<standbyName>)'}).
 */
public final class PostgresPair implements AutoCloseable {
    private final PostgresServer primary;
    private final PostgresServer standby;
    private final String standbyName;

    private PostgresPair(PostgresServer primary, PostgresServer standby, String standbyName) {
        this.primary = primary;
        this.standby = standby;
        this.standbyName = standbyName;
    }

    /** Creates, starts and connects both servers under {@code baseDir} (primary/, standby/). */
    public static PostgresPair start(Path baseDir, PgBinaries binaries, Map<String, String> settings,
                                     String standbyName, boolean sync, boolean throwaway) {
        PostgresServer primary = PostgresServer.builder(baseDir.resolve("primary")).binaries(binaries)
                .settings(settings).stopOnJvmExit(throwaway).initdbNoSync(throwaway).build();
        PostgresServer standby = PostgresServer.builder(baseDir.resolve("standby")).binaries(binaries)
                .settings(settings).stopOnJvmExit(throwaway).initdbNoSync(throwaway).build();
        try {
            primary.initdb().start();
            Replication.createStandby(primary, standby, Replication.StandbyOptions.named(standbyName));
            standby.start();
            Replication.awaitPeer(primary, standbyName, Optional.empty(), Duration.ofSeconds(30));
            if (sync) {
                Replication.setSynchronous(primary, "FIRST 1 (" + standbyName + ")", "on");
                Replication.awaitPeer(primary, standbyName, Optional.of("sync"), Duration.ofSeconds(30));
            }
            return new PostgresPair(primary, standby, standbyName);
        } catch (RuntimeException e) {
            standby.stop();
            primary.stop();
            throw e;
        }
    }

    public PostgresServer primary() {
        return primary;
    }

    public PostgresServer standby() {
        return standby;
    }

    public String standbyName() {
        return standbyName;
    }

    /** Waits until the standby replayed everything the primary has written so far. */
    public void awaitCaughtUp(Duration timeout) {
        Lsn target = Replication.status(primary).currentLsn().orElseThrow();
        Replication.awaitReplay(standby, target, timeout);
    }

    /** Stops both (standby first, so the primary's shutdown does not wait for it). */
    @Override
    public void close() {
        try {
            standby.stop();
        } finally {
            primary.stop();
        }
    }
}
