package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.lab.supervisor.Http;
import org.junit.jupiter.api.Test;

/** The drill reads the arbiter's status through the core contract, as the arbiter serves it. */
class RoleSamplerTest {

    /** A {@code GET /v1/status} body as the arbiter serves it (taken from its HTTP test), gcp writing in SYNC mode. */
    static String status(String mode, String gcpState, String awsState, boolean eligible) {
        return """
                {"now":"2026-11-28T12:00:02.900Z","epoch":4,"writer":"gcp","mode":"%s","writerSync":true,"standbyEligible":%s,\
                "switchover":null,"systemId":7000000001,"leaseEpoch":4,"leaseExpiresAt":"2026-11-28T12:00:05.300Z","sites":{\
                "gcp":{"writer":true,"lastReport":{"site":"gcp","epoch":4,"state":"%s","dbRole":"PRIMARY","systemId":7000000001,\
                "timeline":1,"writeLsn":"0/1000","receiveLsn":"0/1000","replicas":[{"name":"aws","state":"streaming",\
                "syncState":"sync","flushLsn":"0/1000","replayLsn":"0/1000","streaming":true,"sync":true}],"stopLsn":"0/0",\
                "message":"","demotionToken":null,"incarnation":1,"sequence":29,"writesRefused":false},\
                "receivedAt":"2026-11-28T12:00:02.800Z","ageMillis":100,"fresh":true,"lastAssignment":{"epoch":4,\
                "goal":"PRIMARY_SYNC","writer":"gcp","syncStandby":"aws","lease":{"epoch":4,"ttlMillis":2500},\
                "why":"writer of epoch 4","promotionToken":null}},\
                "aws":{"writer":false,"lastReport":{"site":"aws","epoch":4,"state":"%s","dbRole":"STANDBY",\
                "systemId":7000000001,"timeline":1,"writeLsn":"0/1000","receiveLsn":"0/1000","replicas":[],"stopLsn":"0/0",\
                "message":"","demotionToken":null,"incarnation":2,"sequence":29,"writesRefused":false},\
                "receivedAt":"2026-11-28T12:00:02.800Z","ageMillis":100,"fresh":true,"lastAssignment":null,\
                "someFieldOfANewerArbiter":1}},\
                "alerts":[],"config":{"sites":["gcp","aws"],"leaseTtlMillis":2500,"marginMillis":250,\
                "reportTimeoutMillis":1500,"standbyLossTimeoutMillis":1000,"maxLagBytes":16777216,\
                "switchoverTimeoutMillis":10000,"tickIntervalMillis":100,"stateDir":"/tmp/arbiter"}}""".formatted(
                mode, eligible, gcpState, awsState);
    }

    static ArbiterStatus parse(String json) {
        return Http.JSON.readValue(json, ArbiterStatus.class);
    }

    @Test
    void aSampleOfTheStatusAsServed() {
        History.RoleSample s = RoleSampler.of(parse(status("SYNC", "PRIMARY_SYNC", "STANDBY", true)), "gcp", 12.5);
        assertThat(s).isEqualTo(new History.RoleSample(12.5, 4, "gcp", true, true, "PRIMARY_SYNC", "STANDBY", "gcp", false));
        assertThat(s.steady()).isTrue();
        assertThat(RoleSampler.of(parse(status("SYNC", "PRIMARY_SYNC", "STANDBY", true)), null, 0).edgeActive())
                .as("no edge to read: assumed on the writer").isEqualTo("gcp");
        assertThat(RoleSampler.of(parse(status("SYNC", "PRIMARY_SYNC", "STANDBY", true)), "aws", 0).steady())
                .as("the edge elsewhere").isFalse();
    }

    @Test
    void steadyFollowsTheArbitersMode() {
        assertThat(RoleSampler.of(parse(status("SYNC", "PRIMARY_SYNC", "STANDBY", false)), "gcp", 0).steady()).isFalse();
        assertThat(RoleSampler.of(parse(status("ASYNC", "PRIMARY_ASYNC", "STANDBY", false)), "gcp", 0).steady()).isTrue();
        assertThat(RoleSampler.of(parse(status("ASYNC", "PRIMARY_ASYNC", "DEMOTED", false)), "gcp", 0).steady()).isFalse();
    }

    /**
     * In ASYNC mode nothing else changes when the standby's agent dies: the arbiter still holds its last
     * STANDBY report. A drill that took that for steady started the next fault while the standby's agent
     * was still starting (a double fault: nobody could promise to the writer during kill-arbiter).
     */
    @Test
    void aStaleReportIsNotSteady() {
        String awsStale = status("ASYNC", "PRIMARY_ASYNC", "STANDBY", false)
                .replace("\"ageMillis\":100,\"fresh\":true,\"lastAssignment\":null", "\"ageMillis\":4100,\"fresh\":false,\"lastAssignment\":null");
        assertThat(awsStale).isNotEqualTo(status("ASYNC", "PRIMARY_ASYNC", "STANDBY", false));
        History.RoleSample s = RoleSampler.of(parse(awsStale), "gcp", 0);
        assertThat(s.reportsFresh()).isFalse();
        assertThat(s.steady()).isFalse();
        assertThat(RoleSampler.of(parse(status("ASYNC", "PRIMARY_ASYNC", "STANDBY", false)), "gcp", 0).reportsFresh()).isTrue();
    }
}
