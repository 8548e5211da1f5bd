package dev.twincloud.arbiter.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.arbiter.SimAgent;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Assignment;
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

        JsonNode s = status();
        assertThat(s.path("writer").asString()).isEqualTo(writer.site.name());
        assertThat(s.path("writerSync").asBoolean()).isTrue();
        assertThat(s.path("standbyEligible").asBoolean()).isTrue();
        assertThat(s.path("alerts").isEmpty()).isTrue();
        assertThat(s.path("config").path("leaseTtlMillis").asLong()).isEqualTo(2500);
        JsonNode ws = s.path("sites").path(writer.site.name());
        assertThat(ws.path("writer").asBoolean()).isTrue();
        assertThat(ws.path("fresh").asBoolean()).isTrue();
        assertThat(ws.path("ageMillis").asLong()).isBetween(0L, 1500L);
        assertThat(ws.path("lastAssignment").path("lease").path("ttlMillis").asLong()).isEqualTo(2500);
        assertThat(s.path("sites").path(standby.site.name()).path("lastReport").path("state").asString()).isEqualTo("STANDBY");

        assertThat(metrics()).contains(
                "twincloud_arbiter_writer{site=\"" + writer.site + "\"} 1.0",
                "twincloud_arbiter_writer{site=\"" + standby.site + "\"} 0.0",
                "twincloud_arbiter_standby_eligible 1.0",
                "twincloud_arbiter_epoch " + (double) s.path("epoch").asLong(),
                "twincloud_arbiter_heartbeats_total{site=\"" + writer.site + "\"}",
                "twincloud_arbiter_lease_grants_total{site=\"" + writer.site + "\"}",
                "twincloud_arbiter_reports_ignored_total{site=\"" + writer.site + "\"}",
                "twincloud_arbiter_events_total{kind=\"STANDBY_IN_SYNC\"}",
                "twincloud_arbiter_alerts 0.0",
                "twincloud_arbiter_decide_seconds_count");
    }

    @Test
    void grantedTheFirstLeaseOnlyOneTtlAfterStarting() {
        steady();
        Instant started = null;
        Instant firstLease = null;
        for (JsonNode e : events(1000)) {
            if (started == null && e.path("kind").asString().equals("ARBITER_STARTED")) {
                started = Instant.parse(e.path("at").asString());
            }
            if (firstLease == null && e.path("kind").asString().equals("LEASE_FIRST_GRANT")) {
                firstLease = Instant.parse(e.path("at").asString());
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
        JsonNode stored = status().path("sites").path(standby.site.name()).path("lastReport");
        assertThat(stored.path("sequence").asLong()).isZero();
        assertThat(stored.path("writesRefused").asBoolean()).isFalse();
        steady(); // the agent's ordered reports take over again
    }

    /** The status keeps its JSON shape, and a client reads it into the core record without losing anything. */
    @Test
    void statusKeepsItsShapeAndReadsBackIntoTheContract() {
        SimAgent writer = steady();
        Http.Response r = operator.get("/v1/status");
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
