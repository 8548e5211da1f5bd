package dev.twincloud.lab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.link.LinkState;
import dev.twincloud.lab.link.LinkStatus;
import dev.twincloud.lab.supervisor.Http;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Fixed statuses (as the arbiter serves them, JSON read into the core contract) give fixed tables. */
class StatusTablesTest {

    /**
     * A {@code GET /v1/status} body: gcp writing in epoch 4, aws streaming {@code awsReplayLsn} with
     * {@code replayLag} (JSON: a number or null), aws reported {@code awsAge} ms ago.
     */
    static String status(String mode, String gcpState, boolean writerSync, boolean eligible, String awsState, String awsReplayLsn,
                         String replayLag, long awsAge, boolean awsFresh, String alerts) {
        return """
                {"now":"2026-11-28T12:00:02.900Z","epoch":4,"writer":"gcp","mode":"%s","writerSync":%s,"standbyEligible":%s,\
                "switchover":null,"systemId":7000000001,"leaseEpoch":4,"leaseExpiresAt":"2026-11-28T12:00:05.300Z","sites":{\
                "gcp":{"writer":true,"lastReport":{"site":"gcp","epoch":4,"state":"%s","dbRole":"PRIMARY","systemId":7000000001,\
                "timeline":3,"writeLsn":"0/3001000","receiveLsn":"0/3001000","replicas":[{"name":"aws","state":"streaming",\
                "syncState":"%s","flushLsn":"0/3001000","replayLsn":"%s","replayLagMillis":%s,"streaming":true,"sync":true}],\
                "stopLsn":"0/0","message":"","demotionToken":null,"incarnation":1,"sequence":29,"writesRefused":false},\
                "receivedAt":"2026-11-28T12:00:02.800Z","ageMillis":100,"fresh":true,"lastAssignment":{"epoch":4,\
                "goal":"PRIMARY_SYNC","writer":"gcp","syncStandby":"aws","lease":{"epoch":4,"ttlMillis":2500},\
                "why":"writer of epoch 4","promotionToken":null}},\
                "aws":{"writer":false,"lastReport":{"site":"aws","epoch":4,"state":"%s","dbRole":"STANDBY",\
                "systemId":7000000001,"timeline":3,"writeLsn":"%s","receiveLsn":"0/3001000","replicas":[],"stopLsn":"0/0",\
                "message":"","demotionToken":null,"incarnation":2,"sequence":29,"writesRefused":false},\
                "receivedAt":"2026-11-28T12:00:02.800Z","ageMillis":%d,"fresh":%s,"lastAssignment":null}},\
                "alerts":[%s],"config":{"sites":["gcp","aws"],"leaseTtlMillis":2500,"marginMillis":250,\
                "reportTimeoutMillis":1500,"standbyLossTimeoutMillis":1000,"maxLagBytes":16777216,\
                "switchoverTimeoutMillis":10000,"tickIntervalMillis":100,"stateDir":"/tmp/arbiter"}}""".formatted(
                mode, writerSync, eligible, gcpState, writerSync ? "sync" : "async", awsReplayLsn, replayLag, awsState, awsReplayLsn,
                awsAge, awsFresh, alerts);
    }

    static ArbiterStatus parse(String json) {
        return Http.JSON.readValue(json, ArbiterStatus.class);
    }

    static final List<Event> EVENTS = List.of(
            new Event(Instant.parse("2026-11-28T11:59:40Z"), EventKind.ARBITER_STARTED, 3, null, "state loaded"),
            new Event(Instant.parse("2026-11-28T11:59:50.125Z"), EventKind.FAILOVER, 4, SiteId.of("gcp"), "aws lease ended"),
            new Event(Instant.parse("2026-11-28T11:59:51.5Z"), EventKind.LEASE_FIRST_GRANT, 4, SiteId.of("gcp"), ""),
            new Event(Instant.parse("2026-11-28T12:00:01Z"), EventKind.STANDBY_IN_SYNC, 4, SiteId.of("aws"), "aws confirmed sync"));

    @Test
    void theSteadyStateAsOneTablePerSiteNoAlertsAndTheLastEvents() {
        String text = StatusTables.cluster(parse(status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY", "0/3000000", "3", 100, true,
                "")), EVENTS);
        assertThat(text).isEqualTo("""
                epoch 4  writer gcp  mode SYNC  standby eligible yes  arbiter time 2026-11-28 12:00:02.900Z

                SITE  ROLE     STATE         DB       EPOCH  LEASE LEFT  TL  REPLICATION  LAG BYTES  LAG   SYNC  REPORT AGE
                gcp   writer   PRIMARY_SYNC  PRIMARY  4      2.4 s       3   -            -          -     sync  100 ms
                aws   standby  STANDBY       STANDBY  4      -           3   streaming    4096       3 ms  sync  100 ms

                Alerts:
                  none

                Last events:
                  TIME                      KIND               EPOCH  SITE  WHY
                  2026-11-28 11:59:40.000Z  ARBITER_STARTED    3      -     state loaded
                  2026-11-28 11:59:50.125Z  FAILOVER           4      gcp   aws lease ended
                  2026-11-28 11:59:51.500Z  LEASE_FIRST_GRANT  4      gcp   -
                  2026-11-28 12:00:01.000Z  STANDBY_IN_SYNC    4      aws   aws confirmed sync
                """);
    }

    @Test
    void aDegradedStateShowsTheArbitersAlertsThenWhatTheStatusShows() {
        String text = StatusTables.cluster(parse(status("SYNC", "PRIMARY_ASYNC", false, false, "STANDBY", "0/1000000", "null",
                4200, false, "\"standby aws not streaming for 1000 ms: dropped to async\"")), List.of());
        assertThat(text).contains("""
                SITE  ROLE     STATE          DB       EPOCH  LEASE LEFT  TL  REPLICATION  LAG BYTES  LAG  SYNC   REPORT AGE
                gcp   writer   PRIMARY_ASYNC  PRIMARY  4      2.4 s       3   -            -          -    async  100 ms
                aws   standby  STANDBY        STANDBY  4      -           3   streaming    33558528   -    async  4.2 s (stale)

                Alerts:
                  ! standby aws not streaming for 1000 ms: dropped to async
                  ! site aws is not reporting (last report 4200 ms ago)
                  ! sync degraded: writer gcp commits without waiting for a standby (SYNC mode)
                  ! standby aws is not eligible for promotion (not confirmed in sync): a writer failure now means no automatic failover

                Last events:
                  none
                """);
    }

    @Test
    void anOlderAgentWithoutReplayLagAndASiteNeverHeardFrom() {
        String json = status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY", "0/3001000", "3", 100, true, "")
                .replace(",\"replayLagMillis\":3", "")
                .replaceFirst("\"aws\":\\{\"writer\":false,\"lastReport\":\\{.*?\\},\"receivedAt\":\"[^\"]*\",\"ageMillis\":100,\"fresh\":true",
                        "\"aws\":{\"writer\":false,\"lastReport\":null,\"receivedAt\":null,\"ageMillis\":null,\"fresh\":false");
        String text = StatusTables.sites(parse(json));
        assertThat(text).isEqualTo("""
                SITE  ROLE     STATE         DB       EPOCH  LEASE LEFT  TL  REPLICATION  LAG BYTES  LAG  SYNC  REPORT AGE
                gcp   writer   PRIMARY_SYNC  PRIMARY  4      2.4 s       3   -            -          -    sync  100 ms
                aws   standby  no report     -        -      -           -   streaming    0          -    sync  -
                """);
        assertThat(StatusTables.alerts(parse(json))).containsExactly("site aws has not reported since the arbiter started");
    }

    @Test
    void aDeadOldWriterIsDeposedWithNoLag() {
        // aws took over; gcp's last report (stale) still says PRIMARY_SYNC of epoch 4 on its own timeline
        String json = status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY", "0/3000000", "null", 7400, false, "")
                .replace("\"epoch\":4,\"writer\":\"gcp\"", "\"epoch\":5,\"writer\":\"aws\"")
                .replace("\"gcp\":{\"writer\":true", "\"gcp\":{\"writer\":false")
                .replace("\"aws\":{\"writer\":false,\"lastReport\":{\"site\":\"aws\",\"epoch\":4,\"state\":\"STANDBY\",\"dbRole\":\"STANDBY\"",
                        "\"aws\":{\"writer\":true,\"lastReport\":{\"site\":\"aws\",\"epoch\":5,\"state\":\"PRIMARY_ASYNC\",\"dbRole\":\"PRIMARY\"");
        assertThat(StatusTables.sites(parse(json))).contains(
                "gcp   deposed  PRIMARY_SYNC   PRIMARY  4      -           3   not connected  -          -    -     100 ms",
                "aws   writer   PRIMARY_ASYNC  PRIMARY  5      none        3   -              -          -    sync  7.4 s (stale)");
    }

    @Test
    void leaseLeftByTheArbitersClock() {
        ArbiterStatus s = parse(status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY", "0/3000000", "3", 100, true, ""));
        assertThat(StatusTables.leaseLeft(s)).isEqualTo("2.4 s");
        ArbiterStatus ended = parse(status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY", "0/3000000", "3", 100, true, "")
                .replace("\"leaseExpiresAt\":\"2026-11-28T12:00:05.300Z\"", "\"leaseExpiresAt\":\"2026-11-28T12:00:02.000Z\""));
        assertThat(StatusTables.leaseLeft(ended)).isEqualTo("expired");
        ArbiterStatus older = parse(status("SYNC", "PRIMARY_SYNC", true, true, "STANDBY", "0/3000000", "3", 100, true, "")
                .replace("\"leaseEpoch\":4", "\"leaseEpoch\":3"));
        assertThat(StatusTables.leaseLeft(older)).as("the last grant was of an older epoch").isEqualTo("none");
    }

    @Test
    void eventsTableHasOneRowPerEventOldestFirst() {
        assertThat(StatusTables.events(EVENTS.subList(1, 2), "")).isEqualTo("""
                TIME                      KIND      EPOCH  SITE  WHY
                2026-11-28 11:59:50.125Z  FAILOVER  4      gcp   aws lease ended
                """);
    }

    @Test
    void labProcessesAndLinksWithTheirLatency() {
        Map<String, Object> processes = new LinkedHashMap<>();
        processes.put("arbiter", 4242);
        processes.put("gcp-agent", "down");
        List<LinkStatus> links = List.of(
                new LinkStatus("aws->arbiter", "aws", "arbiter", 7431, 7400, LinkState.UP, 3, 0, 1, 1200, 3400, 0, 10, 10),
                new LinkStatus("gcp->aws:pg", "gcp", "aws", 7432, 7420, LinkState.CUT, 1, 2, 0, 0, 0, 200, 0, 0));
        assertThat(StatusTables.lab("/tmp/lab", "http://127.0.0.1:7401", processes, links)).isEqualTo("""
                lab /tmp/lab  entry http://127.0.0.1:7401

                COMPONENT  PID
                arbiter    4242
                gcp-agent  down

                LINK          STATE  LATENCY     DELAY   OPEN  BYTES ->  BYTES <-
                aws->arbiter  UP     10 / 10 ms  -       1     1200      3400
                gcp->aws:pg   CUT    -           200 ms  0     0         0
                """);
    }

    @Test
    void replicasSayWhichActsWhereTheFrontRoutesAndEtcdsLeader() {
        List<StatusTables.Replica> replicas = List.of(new StatusTables.Replica("arbiter-1", "http://127.0.0.1:7440", "acting"),
                new StatusTables.Replica("arbiter-2", "http://127.0.0.1:7441", "standing by"));
        List<StatusTables.EtcdMember> etcd = List.of(
                new StatusTables.EtcdMember("etcd-1", "http://127.0.0.1:7442", "healthy", false),
                new StatusTables.EtcdMember("etcd-2", "http://127.0.0.1:7444", "healthy", true),
                new StatusTables.EtcdMember("etcd-3", "http://127.0.0.1:7446", "down", false));
        assertThat(StatusTables.replicas(replicas, "arbiter-1", etcd)).isEqualTo("""
                ARBITER REPLICA  URL                    ROLE         FRONT
                arbiter-1        http://127.0.0.1:7440  acting       routes here
                arbiter-2        http://127.0.0.1:7441  standing by  -

                ETCD MEMBER  URL                    HEALTH   RAFT
                etcd-1       http://127.0.0.1:7442  healthy  follower
                etcd-2       http://127.0.0.1:7444  healthy  leader
                etcd-3       http://127.0.0.1:7446  down     -
                """);
        List<StatusTables.Replica> takeover = List.of(new StatusTables.Replica("arbiter-1", "http://127.0.0.1:7440", "down"),
                new StatusTables.Replica("arbiter-2", "http://127.0.0.1:7441", "standing by"));
        assertThat(StatusTables.replicas(takeover, "none", List.of())).endsWith("front: routes nowhere (no replica acts)\n");
    }

    @Test
    void homeEntriesSayWhereEachSendsItsUsers() {
        List<StatusTables.HomeEntry> entries = List.of(new StatusTables.HomeEntry("edge-gcp", "http://127.0.0.1:7415", "gcp", "gcp"),
                new StatusTables.HomeEntry("edge-aws", "http://127.0.0.1:7425", "aws", "gcp"));
        assertThat(StatusTables.homeEntries(entries)).isEqualTo("""
                ENTRY      URL                      HOME   ROUTED TO
                edge-gcp   http://127.0.0.1:7415    gcp    gcp
                edge-aws   http://127.0.0.1:7425    aws    gcp  (away from home)
                """);
    }
}
