package dev.twincloud.agent.local;

import dev.twincloud.agent.core.PostgresDriver;
import dev.twincloud.agent.core.PostgresDriverContract;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

import static org.assertj.core.api.Assertions.assertThat;

/** The driver contract on two real PostgreSQL servers in streaming replication (the lab's driver). */
class LocalDriverContractTest extends PostgresDriverContract {
    private Path base;
    private PostgresServer gcpPg;
    private PostgresServer awsPg;
    private Site gcp;
    private Site aws;
    private final AtomicInteger ids = new AtomicInteger();

    @BeforeEach
    void twoSites() {
        base = TempDirs.create("driver-contract");
        PostgresServer[] two = TwoSitesOnRealPostgres.writerAndStandby(base);
        gcpPg = two[0];
        awsPg = two[1];
        gcpPg.execute("CREATE TABLE public.ecg(id int primary key)");
        gcp = site(new LocalPostgresDriver(GCP, gcpPg, TwoSitesOnRealPostgres.handle(awsPg)), gcpPg);
        aws = site(new LocalPostgresDriver(AWS, awsPg, TwoSitesOnRealPostgres.handle(gcpPg)), awsPg);
    }

    private Site site(PostgresDriver driver, PostgresServer pg) {
        return new Site() {
            @Override
            public PostgresDriver driver() {
                return driver;
            }

            @Override
            public Lsn write() {
                try (Connection c = pg.connect(); Statement s = c.createStatement()) {
                    s.execute("INSERT INTO ecg VALUES (" + ids.incrementAndGet() + ")");
                    try (var rs = s.executeQuery("SELECT pg_current_wal_lsn()")) {
                        rs.next();
                        return Lsn.parse(rs.getString(1));
                    }
                } catch (SQLException e) {
                    throw new AssertionError(e);
                }
            }
        };
    }

    /**
     * The arbiter chose the standby while its site was down (killed right after the choice, drill {@code random} of
     * 2026-12-01): its agent, back, starts the stopped standby as the writer. That must be a promotion, onto a new
     * timeline — not the standby's data directory started as a primary on the old timeline, which the old writer,
     * whose WAL went further on that timeline (its shutdown checkpoint here; unacknowledged writes in the drill),
     * cannot tell it diverged from: it "needed no rewind", followed, and stopped for good at "record with incorrect
     * prev-link". With the new timeline it is rewound and streams again.
     */
    @org.junit.jupiter.api.Test
    void aStandbyStartedAsTheWriterIsPromotedOntoANewTimelineAndTheOldWriterRejoinsIt() {
        writer().write();
        int oldTimeline = writer().driver().observe().timeline();
        until(() -> standby().driver().stopNow());
        until(() -> writer().driver().stopClean()); // its shutdown checkpoint: WAL the stopped standby never got

        until(() -> standby().driver().startAsPrimary());
        var promoted = standby().driver().observe();
        assertThat(promoted.role()).isEqualTo(dev.twincloud.core.protocol.DbRole.PRIMARY);
        assertThat(promoted.timeline()).as("a promotion: a new timeline").isGreaterThan(oldTimeline);

        until(() -> writer().driver().followWriter(AWS));
        Lsn written = standby().write();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!writer().driver().observe().writeLsn().isAtLeast(written) && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(writer().driver().observe().writeLsn().isAtLeast(written))
                .as("the old writer replays the new writer's write: it re-joined the new timeline").isTrue();
    }

    @AfterEach
    void stop() {
        gcpPg.stop();
        awsPg.stop();
        TempDirs.deleteQuietly(base);
    }

    @Override
    protected Site writer() {
        return gcp;
    }

    @Override
    protected Site standby() {
        return aws;
    }

    @Override
    protected void settle() {
        // local processes: every step acts itself
    }
}
