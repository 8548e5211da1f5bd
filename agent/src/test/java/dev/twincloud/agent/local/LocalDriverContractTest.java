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
