package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.core.decide.ClusterHealth;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.LeaseGrant;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class HeartbeatTest extends ArbiterHttpTest {

    @Test
    void reachesSteadyStateWithTheWriterLeasedAndTheStandbyInSync() {
        SimAgent writer = steady();
        SimAgent standby = cluster.peer(writer);

        Assignment w = writer.last;
        assertThat(w.goal()).isEqualTo(SiteState.PRIMARY_SYNC);
        assertThat(w.syncStandby()).contains(standby.site);
        assertThat(w.lease()).hasValueSatisfying(l -> {
            assertThat(l.epoch()).isEqualTo(w.epoch());
            assertThat(l.ttlMillis()).isEqualTo(2500);
        });
        assertThat(standby.last.goal()).isEqualTo(SiteState.STANDBY);
        assertThat(standby.last.lease()).isEmpty();

        ArbiterStatus s = status();
        assertThat(s.writer()).isEqualTo(writer.site);
        assertThat(s.writerSync()).isTrue();
        assertThat(s.standbyEligible()).isTrue();
        assertThat(s.alerts()).isEmpty();
        assertThat(s.config().leaseTtlMillis()).isEqualTo(2500);
        ArbiterStatus.Site ws = s.site(writer.site).orElseThrow();
        assertThat(ws.writer()).isTrue();
        assertThat(ws.fresh()).isTrue();
        assertThat(ws.ageMillis()).hasValueSatisfying(age -> assertThat(age).isBetween(0L, 1500L));
        assertThat(ws.lastAssignment().flatMap(Assignment::lease).map(LeaseGrant::ttlMillis)).contains(2500L);
        assertThat(s.stateOf(standby.site)).contains(SiteState.STANDBY);
        assertThat(ClusterHealth.steady(s)).isTrue();
        assertThat(ClusterHealth.writerHoldsLease(s)).isTrue();

        assertThat(metrics()).contains(
                "twincloud_arbiter_writer{site=\"" + writer.site + "\"} 1.0",
                "twincloud_arbiter_writer{site=\"" + standby.site + "\"} 0.0",
                "twincloud_arbiter_standby_eligible 1.0",
                "twincloud_arbiter_epoch " + (double) s.epoch(),
                "twincloud_arbiter_heartbeats_total{site=\"" + writer.site + "\"}",
                "twincloud_arbiter_lease_grants_total{site=\"" + writer.site + "\"}",
                "twincloud_arbiter_reports_ignored_total{site=\"" + writer.site + "\"}",
                "twincloud_arbiter_events_total{kind=\"STANDBY_IN_SYNC\",site=",
                "twincloud_arbiter_alerts 0.0",
                "twincloud_arbiter_decide_seconds_count");
    }

    @Test
    void grantedTheFirstLeaseOnlyOneTtlAfterStarting() {
        steady();
        Instant started = null;
        Instant firstLease = null;
        for (Event e : events(1000)) {
            if (started == null && e.kind() == EventKind.ARBITER_STARTED) {
                started = e.at();
            }
            if (firstLease == null && e.kind() == EventKind.LEASE_FIRST_GRANT) {
                firstLease = e.at();
            }
        }
        assertThat(started).isEqualTo(START);
        assertThat(firstLease).isNotNull();
        assertThat(Duration.between(started, firstLease)).isGreaterThan(TTL);
    }

    @Test
    void acceptsTheHeartbeatOfAnOlderAgentWithoutOrderOrProof() {
        SimAgent writer = steady();
        SimAgent standby = cluster.peer(writer);
        Http.Response r = agent.postJson("/v1/heartbeat", """
                {"site":"%s","epoch":%d,"state":"STANDBY","dbRole":"STANDBY","systemId":%d,"timeline":1,
                 "writeLsn":"0/1000","receiveLsn":"0/1000"}""".formatted(standby.site, epoch(), SimAgent.SYSTEM_ID));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("goal").asString()).isEqualTo("STANDBY");
        AgentReport stored = status().site(standby.site).flatMap(ArbiterStatus.Site::lastReport).orElseThrow();
        assertThat(stored.sequence()).isZero();
        assertThat(stored.writesRefused()).isFalse();
        steady(); // the agent's ordered reports take over again
    }

    /** The status keeps its JSON shape, and a client reads it into the core record without losing anything. */
    @Test
    void statusKeepsItsShapeAndReadsBackIntoTheContract() {
        SimAgent writer = steady();
        Http.Response r = statusResponse();
        JsonNode s = r.json();
        assertThat(s.propertyNames()).containsExactly("now", "epoch", "writer", "mode", "writerSync", "standbyEligible",
                "switchover", "systemId", "leaseEpoch", "leaseExpiresAt", "sites", "alerts", "config");
        assertThat(s.path("config").propertyNames()).containsExactly("sites", "leaseTtlMillis", "marginMillis",
                "reportTimeoutMillis", "standbyLossTimeoutMillis", "maxLagBytes", "switchoverTimeoutMillis", "tickIntervalMillis",
                "stateDir");
        assertThat(s.path("sites").path(writer.site.name()).propertyNames()).containsExactly("writer", "lastReport",
                "receivedAt", "ageMillis", "fresh", "lastAssignment");

        ArbiterStatus status = JsonMapper.builder().build().readValue(r.body(), ArbiterStatus.class);
        assertThat(Http.JSON.readTree(Http.JSON.writeValueAsString(status))).as("nothing lost reading it back").isEqualTo(s);
        assertThat(status.writer()).isEqualTo(writer.site);
        assertThat(status.writerState()).contains(SiteState.PRIMARY_SYNC);
        assertThat(status.standby()).contains(cluster.peer(writer).site);
        assertThat(status.standbyState()).contains(SiteState.STANDBY);
        assertThat(status.config().leaseTtlMillis()).isEqualTo(2500);
    }
}
