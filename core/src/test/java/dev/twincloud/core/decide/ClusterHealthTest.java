package dev.twincloud.core.decide;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.LeaseGrant;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterHealthTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final Instant NOW = Instant.parse("2026-11-28T12:00:10Z");

    /** A status of epoch 3 with gcp writing; {@code lease} is the last grant to gcp (absent: none). */
    static ArbiterStatus status(Durability mode, boolean eligible, SiteState gcp, SiteState aws, long leaseEpoch,
                                Instant leaseEnd, Optional<LeaseGrant> lease) {
        Map<String, ArbiterStatus.Site> sites = new LinkedHashMap<>();
        sites.put("gcp", site(true, report(GCP, 3, gcp), Optional.of(new Assignment(3, SiteState.PRIMARY_SYNC, GCP,
                Optional.of(AWS), lease, "", Optional.empty()))));
        sites.put("aws", site(false, report(AWS, 3, aws), Optional.empty()));
        return new ArbiterStatus(NOW, 3, GCP, mode, true, eligible, Optional.empty(), 1, leaseEpoch, leaseEnd, sites, List.of(),
                null);
    }

    static ArbiterStatus status(Durability mode, boolean eligible, SiteState gcp, SiteState aws) {
        return status(mode, eligible, gcp, aws, 3, NOW.plusMillis(2000), Optional.of(new LeaseGrant(3, 2500)));
    }

    static Optional<AgentReport> report(SiteId site, long epoch, SiteState state) {
        if (state == null) {
            return Optional.empty();
        }
        DbRole role = state.isWriter() ? DbRole.PRIMARY : DbRole.STANDBY;
        return Optional.of(new AgentReport(site, epoch, state, role, 1, 1, Lsn.ZERO, Lsn.ZERO, List.of(), Lsn.ZERO, "",
                Optional.empty()));
    }

    static ArbiterStatus.Site site(boolean writer, Optional<AgentReport> r, Optional<Assignment> a) {
        return new ArbiterStatus.Site(writer, r, r.map(x -> NOW), r.map(x -> 0L), r.isPresent(), a);
    }

    @Test
    void steadyInSyncModeIsASyncWriterWithAnEligibleStandbyFollowing() {
        assertThat(ClusterHealth.steady(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY))).isTrue();
        assertThat(ClusterHealth.steady(status(Durability.SYNC, false, SiteState.PRIMARY_SYNC, SiteState.STANDBY)))
                .as("standby not eligible").isFalse();
        assertThat(ClusterHealth.steady(status(Durability.SYNC, true, SiteState.PRIMARY_ASYNC, SiteState.STANDBY)))
                .as("writer dropped to async").isFalse();
        assertThat(ClusterHealth.steady(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.DEMOTED)))
                .as("standby not following").isFalse();
        assertThat(ClusterHealth.steady(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, null)))
                .as("no report from the standby").isFalse();
        assertThat(ClusterHealth.steady(status(Durability.SYNC, true, null, SiteState.STANDBY)))
                .as("no report from the writer").isFalse();
    }

    @Test
    void steadyInAsyncModeIsAnAsyncWriterWithTheStandbyFollowing() {
        assertThat(ClusterHealth.steady(status(Durability.ASYNC, false, SiteState.PRIMARY_ASYNC, SiteState.STANDBY)))
                .as("eligibility does not matter in ASYNC mode").isTrue();
        assertThat(ClusterHealth.steady(status(Durability.ASYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY)))
                .as("still sync after the switch to ASYNC").isFalse();
        assertThat(ClusterHealth.steady(status(Durability.ASYNC, true, SiteState.PRIMARY_ASYNC, SiteState.FENCED))).isFalse();
    }

    @Test
    void theWriterHoldsTheLeaseItWasGrantedUntilItEnds() {
        ArbiterStatus s = status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY);
        assertThat(ClusterHealth.writerHoldsLease(s)).isTrue();
        assertThat(ClusterHealth.writerHoldsLease(s, NOW.plusMillis(1999))).isTrue();
        assertThat(ClusterHealth.writerHoldsLease(s, NOW.plusMillis(2000))).as("ended").isFalse();
    }

    @Test
    void noLeaseWithoutAGrantOfTheCurrentEpochOrWithoutTheWriterUp() {
        Instant end = NOW.plusMillis(2000);
        assertThat(ClusterHealth.writerHoldsLease(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY,
                2, end, Optional.of(new LeaseGrant(3, 2500))))).as("last lease of an older epoch").isFalse();
        assertThat(ClusterHealth.writerHoldsLease(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY,
                3, end, Optional.empty()))).as("the last answer granted none (after the arbiter's restart)").isFalse();
        assertThat(ClusterHealth.writerHoldsLease(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY,
                3, end, Optional.of(new LeaseGrant(2, 2500))))).as("grant of an older epoch").isFalse();
        assertThat(ClusterHealth.writerHoldsLease(status(Durability.SYNC, true, SiteState.STANDBY, SiteState.STANDBY)))
                .as("promotion not done yet").isFalse();
        assertThat(ClusterHealth.writerHoldsLease(status(Durability.SYNC, true, null, SiteState.STANDBY)))
                .as("no report from the writer").isFalse();
        assertThat(ClusterHealth.writerHoldsLease(status(Durability.ASYNC, false, SiteState.PRIMARY_ASYNC, null)))
                .as("an async writer alone holds its lease").isTrue();
    }

    @Test
    void warningsAreEmptyInTheSteadyState() {
        assertThat(ClusterHealth.warnings(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY))).isEmpty();
    }

    @Test
    void warningsNameWhatIsWrong() {
        assertThat(ClusterHealth.warnings(status(Durability.SYNC, false, SiteState.PRIMARY_ASYNC, SiteState.STANDBY)))
                .containsExactly("sync degraded: writer gcp commits without waiting for a standby (SYNC mode)",
                        "standby aws is not eligible for promotion (not confirmed in sync): a writer failure now means no automatic failover");
        assertThat(ClusterHealth.warnings(status(Durability.ASYNC, false, SiteState.PRIMARY_ASYNC, SiteState.STANDBY)))
                .as("ASYNC: no sync to degrade").containsExactly("standby aws is not eligible for promotion "
                        + "(not streaming, or lagging over max-lag-bytes): a writer failure now means no automatic failover");
        assertThat(ClusterHealth.warnings(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, null)))
                .containsExactly("site aws has not reported since the arbiter started");
        assertThat(ClusterHealth.warnings(status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY, 3,
                NOW.minusMillis(1), Optional.of(new LeaseGrant(3, 2500)))))
                .containsExactly("writer gcp holds no lease: nothing can be written now");
        ArbiterStatus stale = status(Durability.SYNC, true, SiteState.PRIMARY_SYNC, SiteState.STANDBY);
        Map<String, ArbiterStatus.Site> sites = new LinkedHashMap<>(stale.sites());
        ArbiterStatus.Site aws = sites.get("aws");
        sites.put("aws", new ArbiterStatus.Site(false, aws.lastReport(), aws.receivedAt(), Optional.of(4200L), false, Optional.empty()));
        ArbiterStatus withStale = new ArbiterStatus(NOW, 3, GCP, Durability.SYNC, true, true,
                Optional.of(new ArbiterStatus.Switchover(GCP, AWS, NOW)), 1, 3, NOW.plusMillis(2000), sites, List.of(), null);
        assertThat(ClusterHealth.warnings(withStale)).containsExactly("site aws is not reporting (last report 4200 ms ago)",
                "switchover gcp -> aws under way since 2026-11-28T12:00:10Z");
    }
}
