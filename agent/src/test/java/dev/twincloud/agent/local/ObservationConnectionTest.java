package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.agent.core.Observation;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.PostgresServer;
import dev.twincloud.pgctl.StopMode;
import dev.twincloud.pgctl.TempDirs;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The driver's observations (every heartbeat, twice for a primary) read the local server on one kept connection, not a
 * new one each time (in the lab each was a TLS handshake with a client certificate: two thirds of an idle agent's CPU),
 * and a connection the server dropped — a restart, a terminated backend — costs no heartbeat its observation: the next
 * reading opens another at once. On a real writer and standby.
 */
class ObservationConnectionTest {
    private Path base;
    private PostgresServer gcp;
    private PostgresServer aws;
    private LocalPostgresDriver driver;

    @BeforeEach
    void twoSites() {
        base = TempDirs.create("observer");
        PostgresServer[] two = TwoSitesOnRealPostgres.writerAndStandby(base);
        gcp = two[0];
        aws = two[1];
        driver = new LocalPostgresDriver(SiteId.of("gcp"), gcp, TwoSitesOnRealPostgres.handle(aws));
    }

    @AfterEach
    void stop() {
        gcp.stop();
        aws.stop();
        TempDirs.deleteQuietly(base);
    }

    @Test
    void heartbeatsReadOnOneConnectionAndADroppedOneIsReplacedWithinTheSameObservation() {
        Set<String> backends = new HashSet<>();
        for (int i = 0; i < 5; i++) {
            assertThat(driver.observe().role()).isEqualTo(DbRole.PRIMARY);
            backends.add(observerBackend());
        }
        assertThat(backends).as("the observations' backends (pg_stat_activity)").hasSize(1).doesNotContain("");

        gcp.execute("SELECT pg_terminate_backend(" + observerBackend() + ")");
        Observation afterTerminate = driver.observe();
        assertThat(afterTerminate.role()).as("the observation right after its backend was terminated").isEqualTo(DbRole.PRIMARY);
        assertThat(afterTerminate.replicas()).as("the standby, read on the new connection").isNotEmpty();

        gcp.stop(StopMode.FAST);
        assertThat(driver.observe().role()).as("a stopped server").isEqualTo(DbRole.DOWN);
        gcp.start();
        assertThat(driver.observe().role()).as("the first observation after a restart").isEqualTo(DbRole.PRIMARY);
        assertThat(observerBackend()).isNotEmpty();
    }

    /** The pid of the one other pgctl backend than this query's: the driver's observer ("" when there is none). */
    private String observerBackend() {
        String pids = gcp.queryString("SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_stat_activity"
                + " WHERE application_name = 'twincloud-pgctl' AND pid <> pg_backend_pid()");
        assertThat(pids).as("pgctl backends besides this query's").doesNotContain(",");
        return pids;
    }
}
