package dev.twincloud.pgctl;

import dev.twincloud.core.protocol.Lsn;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Real streaming replication between two servers on the system binaries (pg_basebackup, pg_rewind). */
class ReplicationTest {
    static final Duration T = Duration.ofSeconds(30);
    Path base;
    PostgresPair pair;

    @BeforeEach
    void startPair() {
        base = TempDirs.create("pgctl-repl-");
        pair = PostgresPair.start(base, PgBinaries.locate(), Map.of("fsync", "off"), "aws", false, true);
    }

    @AfterEach
    void stopPair() {
        pair.close();
        TempDirs.deleteQuietly(base);
    }

    @Test
    void standbyStreamsWhatThePrimaryWrites() {
        PostgresServer primary = pair.primary();
        PostgresServer standby = pair.standby();
        primary.execute("CREATE TABLE ecg(id int primary key, lead text)");
        primary.execute("INSERT INTO ecg VALUES (1, 'II')");
        pair.awaitCaughtUp(T);

        assertThat(standby.queryString("SELECT lead FROM ecg WHERE id = 1")).isEqualTo("II");
        assertThat(standby.status().inRecovery()).contains(true);
        assertThatThrownBy(() -> standby.execute("INSERT INTO ecg VALUES (2, 'V1')"))
                .hasMessageContaining("read-only transaction");

        ReplicationStatus p = Replication.status(primary);
        ReplicationStatus s = Replication.status(standby);
        assertThat(s.systemIdentifier()).isEqualTo(p.systemIdentifier());
        assertThat(p.timeline()).isEqualTo(1);
        assertThat(s.walReceiverStatus()).contains("streaming");
        assertThat(s.replayLsn()).hasValueSatisfying(lsn -> assertThat(lsn).isGreaterThan(Lsn.parse("0/0")));
        assertThat(Replication.peers(primary)).singleElement().satisfies(peer -> {
            assertThat(peer.applicationName()).isEqualTo("aws");
            assertThat(peer.state()).isEqualTo("streaming");
            assertThat(peer.syncState()).isEqualTo("async");
        });
        assertThat(primary.queryString("SELECT active FROM pg_replication_slots WHERE slot_name = 'aws'")).isEqualTo("t");
    }

    /** replay_lag shows once the standby has replayed fresh WAL (PostgreSQL clears it after a quiet while): read in ms. */
    @Test
    void peersCarryTheReplayLagInMillisWhilePostgresShowsOne() {
        PostgresServer primary = pair.primary();
        primary.execute("CREATE TABLE lagged(v int)");
        long deadline = System.nanoTime() + T.toNanos();
        Long lag = null;
        while (lag == null && System.nanoTime() < deadline) {
            primary.execute("INSERT INTO lagged VALUES (1)");
            pair.awaitCaughtUp(T);
            lag = Replication.peers(primary).getFirst().replayLagMillis();
        }
        assertThat(lag).as("replay_lag after fresh WAL was replayed").isNotNull().isBetween(0L, T.toMillis());
    }

    @Test
    void syncCommitWaitsForTheStandbyUntilSwitchedToAsync() throws Exception {
        PostgresServer primary = pair.primary();
        Replication.setSynchronous(primary, "FIRST 1 (aws)", "on");
        assertThat(Replication.awaitPeer(primary, "aws", Optional.of("sync"), T).syncState()).isEqualTo("sync");
        primary.execute("CREATE TABLE t(v int)");

        pair.standby().stop(StopMode.FAST);
        CompletableFuture<Void> commit = CompletableFuture.runAsync(() -> primary.execute("INSERT INTO t VALUES (1)"));
        assertThatThrownBy(() -> commit.get(1, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);

        Replication.setSynchronous(primary, "", "on"); // the arbiter's "drop to async"
        commit.get(10, TimeUnit.SECONDS);
        assertThat(primary.queryString("SELECT count(*) FROM t")).isEqualTo("1");
        assertThat(primary.show("synchronous_standby_names")).isEmpty();
    }

    @Test
    void promotedStandbyTakesWritesAndTheRewoundOldPrimaryFollowsIt() {
        PostgresServer oldPrimary = pair.primary();
        PostgresServer newPrimary = pair.standby();
        oldPrimary.execute("CREATE TABLE t(v text)");
        oldPrimary.execute("INSERT INTO t VALUES ('before')");
        pair.awaitCaughtUp(T);

        newPrimary.promote(T);
        assertThat(newPrimary.status().inRecovery()).contains(false);
        assertThat(Replication.status(newPrimary).timeline()).isEqualTo(2);
        newPrimary.execute("INSERT INTO t VALUES ('after failover')");

        // Split brain in miniature: the old primary still takes a write the new one never sees.
        oldPrimary.execute("INSERT INTO t VALUES ('diverged')");
        oldPrimary.execute("CHECKPOINT");
        oldPrimary.stop(StopMode.FAST);

        assertThat(Replication.rewind(oldPrimary, newPrimary, Replication.StandbyOptions.named("gcp")))
                .as("the diverged old primary had to be rewound").isTrue();
        assertThat(WalArchiveStatus.read(oldPrimary.dataDir())).as("what pg_rewind copied in is marked for this site's archiver")
                .containsEntry("00000002.history", WalArchiveStatus.Status.READY);
        oldPrimary.start();
        try {
            Replication.awaitPeer(newPrimary, "gcp", Optional.empty(), T);
        } catch (RuntimeException e) {
            throw new AssertionError(oldPrimary.logTail(40) + "\n" + newPrimary.logTail(20), e);
        }
        newPrimary.execute("INSERT INTO t VALUES ('after rewind')");
        Replication.awaitReplay(oldPrimary, Replication.status(newPrimary).currentLsn().orElseThrow(), T);

        assertThat(oldPrimary.queryString("SELECT string_agg(v, ',' ORDER BY v) FROM t"))
                .isEqualTo("after failover,after rewind,before");
        assertThat(Replication.status(oldPrimary).inRecovery()).isTrue();
        assertThat(Replication.status(oldPrimary).timeline()).isEqualTo(2);
    }

    /**
     * The old primary crashed (SIGKILL of its postmaster, a backend left behind, postmaster.pid of a
     * dead or zombie process): pg_rewind first runs a single-user crash recovery, which refuses to
     * start while that lock file stands. rewind() clears what the dead postmaster left, as start() does.
     */
    @Test
    void anOldPrimaryWhosePostmasterWasKilledIsRewoundNotRecloned() throws Exception {
        PostgresServer oldPrimary = pair.primary();
        PostgresServer newPrimary = pair.standby();
        oldPrimary.execute("CREATE TABLE t(v text)");
        oldPrimary.execute("INSERT INTO t VALUES ('before')");
        pair.awaitCaughtUp(T);
        newPrimary.promote(T);
        newPrimary.execute("INSERT INTO t VALUES ('after failover')");
        oldPrimary.execute("INSERT INTO t VALUES ('diverged')");
        try (java.sql.Connection busy = oldPrimary.connect()) { // a backend that outlives its postmaster
            long pid = oldPrimary.status().pid().orElseThrow();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            assertThat(Poll.until(Duration.ofSeconds(10), () -> !Processes.running(pid))).isTrue();
            assertThat(oldPrimary.isRunning()).isFalse();

            assertThat(Replication.rewind(oldPrimary, newPrimary, Replication.StandbyOptions.named("gcp")))
                    .as("the crashed, diverged old primary is rewound").isTrue();
        }
        oldPrimary.start();
        newPrimary.execute("INSERT INTO t VALUES ('after rewind')");
        Replication.awaitReplay(oldPrimary, Replication.status(newPrimary).currentLsn().orElseThrow(), T);
        assertThat(oldPrimary.queryString("SELECT string_agg(v, ',' ORDER BY v) FROM t"))
                .isEqualTo("after failover,after rewind,before");
    }

    @Test
    void clonesWithTheLowLevelBackupApiWhenToldTo() {
        PostgresServer primary = pair.primary();
        primary.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS v");
        PostgresServer second = PostgresServer.builder(base.resolve("second")).binaries(primary.binaries())
                .stopOnJvmExit(true).initdbNoSync(true).build();
        try {
            Replication.createStandby(primary, second, Replication.StandbyOptions.named("azure")
                    .withMethod(Replication.CloneMethod.LOW_LEVEL_API));
            second.start();
            Replication.awaitPeer(primary, "azure", Optional.empty(), T);
            primary.execute("INSERT INTO t VALUES (1001)");
            Replication.awaitReplay(second, Replication.status(primary).currentLsn().orElseThrow(), T);
            assertThat(second.queryString("SELECT count(*) FROM t")).isEqualTo("1001");
        } finally {
            second.stop();
        }
    }
}
