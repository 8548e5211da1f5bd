package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.agent.core.StepResult;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.StopMode;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An agent dies while its site re-joins as a standby (a process crash, an OOM kill, or the lab's drill restarting
 * it): its pg_rewind or pg_basebackup may have finished, half-finished, or still be running, and the standby's
 * set-up is not done. Found by CI's short drill set (kill-writer-postmaster, a slow machine): the next run of the
 * agent ran pg_rewind again over the rewound directory, pg_rewind said "no rewind required", and the standby
 * looped on "invalid resource manager ID" for ever. The next run must re-clone instead, and never start such a
 * directory as a writer.
 */
class InterruptedRejoinTest {
    static final SiteId GCP = new SiteId("gcp");
    static final SiteId AWS = new SiteId("aws");

    private Path base;
    private PostgresServer gcpPg;
    private PostgresServer awsPg;

    /** Stands for the agent's JVM dying at a step of the rejoin. */
    static final class AgentDied extends Error {
        AgentDied(String step) {
            super("the agent died at: " + step);
        }
    }

    @BeforeEach
    void oldWriterDivergedFromThePromotedStandby() {
        base = TempDirs.create("interrupted-rejoin");
        PostgresServer[] two = TwoSitesOnRealPostgres.writerAndStandby(base);
        gcpPg = two[0];
        awsPg = two[1];
        gcpPg.execute("CREATE TABLE public.ecg(id int primary key)");
        gcpPg.execute("INSERT INTO public.ecg SELECT generate_series(1, 100)");
        awaitCount(awsPg, 100);
        // aws is promoted; gcp, cut off, goes on writing on the old timeline, then crashes
        assertThat(new LocalPostgresDriver(AWS, awsPg, TwoSitesOnRealPostgres.handle(gcpPg)).promote(Optional.empty())).isInstanceOf(StepResult.Done.class);
        gcpPg.execute("INSERT INTO public.ecg SELECT generate_series(1001, 1100)");
        gcpPg.stop(StopMode.IMMEDIATE);
        awsPg.execute("INSERT INTO public.ecg SELECT generate_series(101, 200)");
    }

    @AfterEach
    void stop() {
        for (PostgresServer pg : new PostgresServer[] {gcpPg, awsPg}) {
            if (pg != null && pg.isRunning()) {
                pg.stop(StopMode.IMMEDIATE);
            }
        }
        TempDirs.deleteQuietly(base);
    }

    @Test
    void anAgentThatDiedRightAfterPgRewindLeavesADirectoryItsNextRunReclonesIntoAStreamingStandby() {
        assertNextRunRecovers("rewound");
    }

    @Test
    void anAgentThatDiedBeforePgRewindRanLeavesADirectoryItsNextRunReclonesIntoAStreamingStandby() {
        assertNextRunRecovers("rejoining");
    }

    private void assertNextRunRecovers(String diesAt) {
        LocalPostgresDriver dying = new LocalPostgresDriver(GCP, server(), TwoSitesOnRealPostgres.handle(awsPg));
        dying.rejoinSteps = step -> {
            if (step.equals(diesAt)) {
                throw new AgentDied(step);
            }
        };
        assertThatThrownBy(() -> dying.followWriter(AWS)).isInstanceOf(AgentDied.class);
        assertThat(gcpPg.isRunning()).isFalse();

        // what a dead agent's site may be asked next: the arbiter never names it writer while it is not in sync, but
        // an operator's forced promotion could: a half-made standby must not start as a writer
        LocalPostgresDriver next = new LocalPostgresDriver(GCP, server(), TwoSitesOnRealPostgres.handle(awsPg));
        StepResult asWriter = next.startAsPrimary();
        assertThat(asWriter).isInstanceOf(StepResult.Failed.class);
        assertThat(asWriter.toString()).contains("re-join");

        StepResult r = next.followWriter(AWS);
        assertThat(r).isInstanceOf(StepResult.Done.class);
        assertThat(r.toString()).contains("re-cloned");
        PostgresServer gcp = TwoSitesOnRealPostgres.handle(gcpPg);
        awaitCount(gcp, 200);
        assertThat(gcp.queryBoolean("SELECT pg_is_in_recovery()")).isTrue();
        assertThat(gcp.queryBoolean("SELECT count(*) = 0 FROM public.ecg WHERE id > 1000")).as("the diverged writes are gone").isTrue();
        awsPg.execute("INSERT INTO public.ecg SELECT generate_series(201, 210)");
        awaitCount(gcp, 210);
        assertThat(Files.exists(dev.twincloud.pgctl.Replication.rejoinMarker(gcpPg.dataDir()))).as("the marker is gone once the standby is set up").isFalse();
    }

    /** A fresh handle on gcp's data directory and port, as a new agent process builds it. */
    private PostgresServer server() {
        return PostgresServer.builder(gcpPg.dataDir()).port(gcpPg.port()).binaries(gcpPg.binaries())
                .settings(Map.of("twincloud.site", "gcp")).stopOnJvmExit(true).build();
    }

    private static void awaitCount(PostgresServer pg, int n) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            try {
                if (pg.queryBoolean("SELECT count(*) = " + n + " FROM public.ecg")) {
                    return;
                }
                last = "fewer rows";
            } catch (RuntimeException e) {
                last = e.getMessage();
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError(pg + " never had " + n + " rows within 60 s: " + last);
    }
}
