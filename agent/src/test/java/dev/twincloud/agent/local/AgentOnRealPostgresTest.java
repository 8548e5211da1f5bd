package dev.twincloud.agent.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.pgctl.WalArchiveStatus;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * Two agents with the local driver on two real PostgreSQL servers in streaming replication, and
 * the real decider in-process: the flows of docs/failover.md, step by step ({@link TwoSitesOnRealPostgres}).
 */
class AgentOnRealPostgresTest extends TwoSitesOnRealPostgres {

    @Test
    void writerGetsALeaseAndSyncReplicationAndTheGuardLetsItWrite() throws Exception {
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC && arbiter.state.durable().standbyEligible(), gcp, aws);
        insert(gcpPg, 1, "gcp");
        assertThat(gcpPg.show("synchronous_standby_names")).isEqualTo("FIRST 1 (aws)");
        assertThat(aws.state()).isEqualTo(SiteState.STANDBY);
    }

    /**
     * A CloudNativePG deployment has no supervisor to create the production roles' privileges: the
     * writer's agent does it with the guard (the chart turns it on), and the standby receives them by
     * replication.
     */
    @Test
    void theWritersAgentGivesTheProductionRolesTheirPrivileges() throws Exception {
        gcp.ensureDatabaseRoles(dev.twincloud.pgctl.roles.DatabaseRoles.Spec.defaults("public"));
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC && arbiter.state.durable().standbyEligible(), gcp, aws);
        assertThat(gcpPg.queryString("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'ecg'"))
                .isEqualTo("twincloud_owner");
        assertThat(gcpPg.queryBoolean("SELECT has_table_privilege('twincloud_app', 'public.ecg', 'INSERT')")).isTrue();
        assertThat(gcpPg.queryBoolean("SELECT has_table_privilege('twincloud_app', 'public.ecg', 'TRUNCATE')")).isFalse();
        assertThat(gcpPg.queryBoolean("SELECT has_schema_privilege('twincloud_app', 'public', 'CREATE')")).isFalse();
        runUntil(() -> awsPg.queryBoolean("SELECT count(*) = 2 FROM pg_roles WHERE rolname IN ('twincloud_owner', 'twincloud_app')"), gcp, aws);
    }

    @Test
    void fencedWriterRejectsWritesOnceItsLeaseEndsEvenWithADeadAgent() throws Exception {
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC, gcp, aws);
        insert(gcpPg, 1, "gcp");
        // the gcp agent dies: nobody renews; PostgreSQL and its clients stay up
        Instant died = Instant.now();
        runUntil(() -> Duration.between(died, Instant.now()).compareTo(TTL.plusMillis(300)) > 0, aws);
        assertThatThrownBy(() -> insert(gcpPg, 2, "gcp")).hasMessageContaining("fenced");
    }

    @Test
    void promotesTheStandbyWhenTheWriterFallsSilentAndTheOldWriterRejoinsByRewind() throws Exception {
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC && arbiter.state.durable().standbyEligible(), gcp, aws);
        insert(gcpPg, 1, "gcp");
        arbiter.reachable.put(GCP, false); // gcp cut off from the arbiter, still running
        runUntil(() -> aws.state() == SiteState.PRIMARY_ASYNC && arbiter.writer().equals(AWS), gcp, aws);
        runUntil(() -> canWrite(awsPg, 2), gcp, aws);
        assertThatThrownBy(() -> insert(gcpPg, 3, "gcp")).as("old writer fenced by its own lease").hasMessageContaining("fenced");
        assertThat(count(awsPg)).as("the acknowledged write survived").isEqualTo(2);

        arbiter.reachable.put(GCP, true);
        runUntil(() -> gcp.state() == SiteState.STANDBY, gcp, aws);
        runUntil(() -> arbiter.state.durable().standbyEligible(), gcp, aws);
        assertThat(gcpPg.queryBoolean("SELECT pg_is_in_recovery()")).isTrue();
        assertThat(arbiter.events).extracting(e -> e.kind()).contains(EventKind.FAILOVER, EventKind.RESTORE_SYNC, EventKind.STANDBY_IN_SYNC);
    }

    @Test
    void plannedSwitchoverLosesNothingAndNeedsNoRewind() throws Exception {
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC && arbiter.state.durable().standbyEligible(), gcp, aws);
        insert(gcpPg, 1, "gcp");
        arbiter.switchover(AWS);
        runUntil(() -> arbiter.writer().equals(AWS) && aws.state() == SiteState.PRIMARY_ASYNC, gcp, aws);
        runUntil(() -> canWrite(awsPg, 2), gcp, aws);
        runUntil(() -> gcp.state() == SiteState.STANDBY, gcp, aws);
        assertThat(gcp.message()).contains("no rewind needed");
        assertThat(count(awsPg)).isEqualTo(2);
        runUntil(() -> arbiter.state.durable().standbyEligible(), gcp, aws);
    }

    /**
     * docs/backups.md: with WAL waiting for gcp's archiver (its archive_command fails), gcp's reports carry
     * the backlog, read as the agent's production role connects (the superuser; a member of pg_monitor
     * reads the same number, a role without it reads nothing and the backlog is unknown, as it is on a server
     * that does not archive). A switchover
     * leaves gcp writing while the backlog lasts, and fences it once the archiver has caught up.
     */
    @Test
    void theWritersReportsCarryItsArchiveBacklogAndASwitchoverKeepsItWritingUntilTheArchiverCaughtUp() throws Exception {
        gcpPg.execute("ALTER SYSTEM SET archive_mode = 'on'");
        gcpPg.execute("ALTER SYSTEM SET archive_command = 'false'");
        gcpPg.stop();
        gcpPg.start();
        runUntil(() -> gcp.state() == SiteState.PRIMARY_SYNC && arbiter.state().durable().standbyEligible(), gcp, aws);
        insert(gcpPg, 1, "gcp");
        gcpPg.queryString("SELECT pg_switch_wal()::text");
        runUntil(() -> backlogReported(GCP) >= 1, gcp, aws);

        gcpPg.execute("CREATE ROLE twincloud_monitor LOGIN IN ROLE pg_monitor");
        gcpPg.execute("CREATE ROLE twincloud_plain LOGIN");
        int asSuperuser;
        try (Connection c = gcpPg.connect()) {
            asSuperuser = WalArchiveStatus.backlog(c).orElseThrow();
        }
        assertThat(asSuperuser).isGreaterThanOrEqualTo(1);
        try (Connection c = java.sql.DriverManager.getConnection(gcpPg.jdbcUrl(), "twincloud_monitor", "")) {
            assertThat(WalArchiveStatus.backlog(c)).as("pg_monitor may read it").contains(asSuperuser);
        }
        try (Connection c = java.sql.DriverManager.getConnection(gcpPg.jdbcUrl(), "twincloud_plain", "")) {
            assertThat(WalArchiveStatus.backlog(c)).as("unknown, not 0").isEmpty();
            assertThat(c.createStatement().executeQuery("SELECT 1").next()).as("the connection still works").isTrue();
        }
        try (Connection c = awsPg.connect()) {
            assertThat(WalArchiveStatus.backlog(c)).as("aws does not archive (archive_mode=off): nothing to wait for").isEmpty();
        }
        assertThat(backlogReported(AWS)).isEqualTo(-1);

        arbiter.switchover(AWS);
        Instant asked = Instant.now();
        runUntil(() -> Duration.between(asked, Instant.now()).toMillis() > 1_500, gcp, aws);
        assertThat(gcp.state()).as("still writing while its archiver has WAL waiting").isEqualTo(SiteState.PRIMARY_SYNC);
        insert(gcpPg, 2, "gcp");
        assertThat(arbiter.writer()).isEqualTo(GCP);
        assertThat(arbiter.events()).extracting(e -> e.kind()).doesNotContain(EventKind.SWITCHOVER_FENCE);

        gcpPg.execute("ALTER SYSTEM SET archive_command = 'true'");
        gcpPg.queryString("SELECT pg_reload_conf()::text");
        runUntil(() -> arbiter.writer().equals(AWS) && aws.state() == SiteState.PRIMARY_ASYNC, gcp, aws);
        assertThat(arbiter.events()).filteredOn(e -> e.kind() == EventKind.SWITCHOVER_FENCE).singleElement()
                .satisfies(e -> assertThat(e.why()).contains("no WAL waiting for its archiver"));
        runUntil(() -> canWrite(awsPg, 3), gcp, aws);
        assertThat(count(awsPg)).as("both writes gcp acknowledged, and the new writer's").isEqualTo(3);
    }

    private int backlogReported(SiteId site) {
        synchronized (arbiter) {
            var o = arbiter.reports.get(site);
            return o == null ? -1 : o.report().archiveBacklog().orElse(-1);
        }
    }
}
