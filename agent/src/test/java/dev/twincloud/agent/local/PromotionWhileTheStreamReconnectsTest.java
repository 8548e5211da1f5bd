package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.agent.core.StepResult;
import dev.twincloud.pgctl.PgException;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.Processes;
import dev.twincloud.pgctl.StopMode;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A standby promoted in the moment its startup process has asked for a new WAL receiver and none runs yet — after the
 * old writer's stream ended, the standby retries every {@code wal_retrieve_retry_interval}, and each retry has such a
 * moment (the postmaster forks the receiver; longer while the previous one is still exiting). PostgreSQL 15's startup
 * process, woken there by the promote request, notices it, marks the receiver stopped (no process to signal), and then
 * sleeps the rest of {@code wal_retrieve_retry_interval} since the stream's last failure before it looks at the request
 * again, with nothing left to wake it: up to the whole interval (500 ms in the lab, 5 s by default). Found in the
 * switchover benchmark: "received promote request", "waiting for WAL to become available", and "redo done" 400 ms later.
 *
 * <p>The moment is held here with real signals: the standby's postmaster is stopped ({@code SIGSTOP}) while the startup
 * process sleeps between retries, so its next request for a receiver stays unanswered; the promote request is then
 * delivered to the startup process itself (the promote file by {@code pg_promote}, {@code SIGUSR2} as the postmaster
 * would relay it), and the postmaster continues 300 ms later. The driver must wake the sleep ({@code pg_reload_conf()}:
 * the startup process's {@code SIGHUP} sets the same latch).
 */
class PromotionWhileTheStreamReconnectsTest {
    private Path base;
    private PostgresServer writer;
    private PostgresServer standby;
    private long postmaster;

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aPromotionThatArrivesBeforeTheNextReceiverStartsDoesNotSleepOutTheRetryInterval() throws Exception {
        base = TempDirs.create("promote-reconnecting");
        PostgresServer[] two = TwoSitesOnRealPostgres.writerAndStandby(base);
        writer = two[0];
        standby = two[1];
        standby.alterSystem(Map.of("wal_retrieve_retry_interval", "5s"));
        LocalPostgresDriver driver = new LocalPostgresDriver(TwoSitesOnRealPostgres.AWS, standby, TwoSitesOnRealPostgres.handle(writer));
        driver.observe(); // its kept connection: the promotion below opens none while the postmaster is stopped
        postmaster = standby.status().pid().orElseThrow();

        try (Connection watch = standby.connect()) {
            long startup = Long.parseLong(query(watch, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'startup'"));
            writer.execute("CREATE TABLE t(id int)");
            writer.stop(StopMode.FAST, Duration.ofSeconds(30)); // the stream ends; each retry is refused

            awaitStartupWaiting(watch, "RecoveryRetrieveRetryInterval"); // asleep between two retries
            Processes.signal("STOP", postmaster);
            awaitStartupWaiting(watch, "RecoveryWalStream"); // awake, a receiver asked for, none started

            CompletableFuture<Void> relay = CompletableFuture.runAsync(() -> {
                try {
                    Path promoteFile = standby.dataDir().resolve("promote");
                    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                    while (!Files.exists(promoteFile) && System.nanoTime() < deadline) {
                        Thread.sleep(2);
                    }
                    Processes.signal("USR2", startup); // what the postmaster does on pg_promote's signal
                    Thread.sleep(300);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                } finally {
                    Processes.signal("CONT", postmaster);
                }
            });
            long t0 = System.nanoTime();
            StepResult r = driver.promote(Optional.empty());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            relay.get(30, TimeUnit.SECONDS);
            System.out.printf("promoted in %d ms (%s); the standby's log:%n%s%n", ms, r, standby.logTail(10));

            assertThat(r).as("promoted (took %d ms); log:%n%s", ms, standby.logTail(10)).isInstanceOf(StepResult.Done.class);
            // not woken: the rest of the 5 s interval, past the driver's 5 s watch ("promotion in progress")
            assertThat(ms).as("promotion took %d ms, of which 300 the postmaster was stopped", ms).isLessThan(2500);
        }
        assertThat(standby.queryBoolean("SELECT pg_is_in_recovery()")).isFalse();
    }

    private void awaitStartupWaiting(Connection c, String waitEvent) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String seen;
        while (!waitEvent.equals(seen = query(c, "SELECT coalesce(wait_event, '') FROM pg_stat_activity WHERE backend_type = 'startup'"))) {
            assertThat(System.nanoTime() < deadline).as("the startup process waits on %s (seen: %s); log:%n%s",
                    waitEvent, seen, standby.logTail(10)).isTrue();
            Thread.sleep(5);
        }
    }

    private static String query(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @AfterEach
    void stop() {
        if (postmaster != 0) {
            try {
                Processes.signal("CONT", postmaster); // never leave it stopped, whatever failed
            } catch (PgException gone) {
                // it has exited: nothing left stopped
            }
        }
        if (standby != null) {
            standby.stop();
        }
        if (writer != null) {
            writer.stop();
        }
        TempDirs.deleteQuietly(base);
    }
}
