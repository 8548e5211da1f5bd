package dev.twincloud.agent.local;


import dev.twincloud.agent.core.Agent;
import dev.twincloud.agent.core.AgentListener;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.Replication;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Two agents with the local driver on two real PostgreSQL servers in streaming replication, and the real decider
 * in-process: the fixture of {@link AgentOnRealPostgresTest} (the flows of docs/failover.md) and
 * {@link AgentFailsafeOnRealPostgresTest} (the standby's promises), two classes so that the build's two test forks
 * share them.
 */
abstract class TwoSitesOnRealPostgres {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final Duration TTL = Duration.ofMillis(1500);

    Path base;
    PostgresServer gcpPg;
    PostgresServer awsPg;
    InProcessArbiter arbiter;
    Agent gcp;
    Agent aws;

    @BeforeEach
    void twoSites() {
        base = TempDirs.create("agent-it");
        PostgresServer[] two = writerAndStandby(base);
        gcpPg = two[0];
        awsPg = two[1];
        gcpPg.execute("CREATE TABLE public.ecg(id int primary key, site text)");
        arbiter = new InProcessArbiter(GCP, TTL);
        gcp = new Agent(GCP, new LocalPostgresDriver(GCP, gcpPg, handle(awsPg)), arbiter.clientFor(GCP), List.of("public"), System::nanoTime, new AgentListener() { });
        aws = new Agent(AWS, new LocalPostgresDriver(AWS, awsPg, handle(gcpPg)), arbiter.clientFor(AWS), List.of("public"), System::nanoTime, new AgentListener() { });
    }

    /** Site gcp's server under {@code base}, started, and aws's cloned from it, streaming; both as the lab makes them. */
    static PostgresServer[] writerAndStandby(Path base) {
        PostgresServer gcp = PostgresServer.builder(base.resolve("gcp")).settings(Map.of("twincloud.site", "gcp")).stopOnJvmExit(true).build();
        gcp.initdb().start();
        PostgresServer aws = PostgresServer.builder(base.resolve("aws")).settings(Map.of("twincloud.site", "aws")).stopOnJvmExit(true).build();
        Replication.createStandby(gcp, aws, new Replication.StandbyOptions("aws", java.util.Optional.empty(), Replication.CloneMethod.AUTO));
        aws.start();
        return new PostgresServer[] {gcp, aws};
    }

    /** A second handle on a server, as the other site's driver sees it: connect only. */
    static PostgresServer handle(PostgresServer s) {
        return PostgresServer.builder(s.dataDir()).port(s.port()).binaries(s.binaries()).stopOnJvmExit(false).build();
    }

    @AfterEach
    void stop() {
        gcpPg.stop();
        awsPg.stop();
        TempDirs.deleteQuietly(base);
    }

    void runUntil(BooleanSupplier done, Agent... agents) {
        Instant deadline = Instant.now().plusSeconds(40);
        while (!done.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out; gcp=" + gcp.state() + " (" + gcp.message() + ") aws=" + aws.state()
                        + " (" + aws.message() + ") events=" + arbiter.events);
            }
            for (Agent a : agents) {
                a.tick();
            }
            try {
                Thread.sleep(50); // the heartbeat interval of this test
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    static boolean canWrite(PostgresServer pg, int id) {
        try {
            insert(pg, id, "x");
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    static void insert(PostgresServer pg, int id, String site) throws SQLException {
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            s.execute("SET statement_timeout = '3s'");
            s.execute("INSERT INTO ecg VALUES (" + id + ", '" + site + "')");
        }
    }

    static int count(PostgresServer pg) {
        return Integer.parseInt(pg.queryString("SELECT count(*) FROM ecg"));
    }
}
