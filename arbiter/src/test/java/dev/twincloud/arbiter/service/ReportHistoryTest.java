package dev.twincloud.arbiter.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.ArbiterHistory;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ReportHistoryTest {
    static final SiteId GCP = SiteId.of("gcp");
    static final SiteId AWS = SiteId.of("aws");
    static final Instant T = Instant.parse("2026-11-30T09:00:00Z");
    static final Duration TIMEOUT = Duration.ofMillis(1500);

    final ReportHistory history = new ReportHistory(Duration.ofSeconds(1), Duration.ofSeconds(10), TIMEOUT);

    static AgentReport primary(SiteId site, long lsn, SiteId standby, long flushed) {
        return new AgentReport(site, 1, SiteState.PRIMARY_SYNC, DbRole.PRIMARY, 7, 1, new Lsn(lsn), new Lsn(lsn),
                List.of(new ReplicaInfo(standby.name(), "streaming", "sync", new Lsn(flushed), new Lsn(flushed))),
                null, "", Optional.empty());
    }

    static AgentReport standby(SiteId site, long received) {
        return new AgentReport(site, 1, SiteState.STANDBY, DbRole.STANDBY, 7, 1, new Lsn(received), new Lsn(received),
                List.of(), null, "", Optional.empty());
    }

    static Map<SiteId, Observed> reports(Instant at, AgentReport... rs) {
        var m = new java.util.HashMap<SiteId, Observed>();
        for (AgentReport r : rs) {
            m.put(r.site(), new Observed(r, at));
        }
        return m;
    }

    @Test
    void keepsTheNewestReportOfEachIntervalWithTheWritersPositionAndTheStandbysLag() {
        history.record(T, 1, GCP, reports(T, primary(GCP, 1000, AWS, 1000), standby(AWS, 1000)));
        history.record(T.plusMillis(400), 1, GCP, reports(T.plusMillis(400), primary(GCP, 1500, AWS, 1200), standby(AWS, 1200)));
        history.record(T.plusMillis(1200), 1, GCP, reports(T.plusMillis(1200), primary(GCP, 3500, AWS, 3000), standby(AWS, 3000)));

        List<ArbiterHistory.Sample> s = history.view(T.plusMillis(1300)).samples();

        assertThat(s).hasSize(2);
        assertThat(s.get(0).at()).isEqualTo(T.plusMillis(400));
        assertThat(s.get(0).writerLsn()).contains(new Lsn(1500));
        assertThat(s.get(0).lagBytes()).containsExactly(Map.entry("aws", 300L));
        assertThat(s.get(1).writeBytesPerSecond()).as("2000 bytes in 0.8 s").contains(2500L);
        assertThat(s.get(1).lagBytes()).containsExactly(Map.entry("aws", 500L));
        assertThat(s.get(1).writer()).isEqualTo(GCP);
    }

    @Test
    void takesTheStandbysOwnPositionWhenTheWriterShowsNoRowForIt() {
        var noRow = new AgentReport(GCP, 1, SiteState.PRIMARY_ASYNC, DbRole.PRIMARY, 7, 1, new Lsn(5000), new Lsn(5000),
                List.of(), null, "", Optional.empty());
        history.record(T, 1, GCP, reports(T, noRow, standby(AWS, 4000)));

        assertThat(history.view(T).samples().getFirst().lagBytes()).containsExactly(Map.entry("aws", 1000L));
    }

    @Test
    void leavesOutWhatIsNotKnownFromAFreshReport() {
        Map<SiteId, Observed> staleWriter = reports(T, primary(GCP, 1000, AWS, 900));
        staleWriter.put(AWS, new Observed(standby(AWS, 900), T.plus(TIMEOUT)));
        history.record(T.plus(TIMEOUT).plusMillis(1), 1, GCP, staleWriter);

        var sample = history.view(T.plusSeconds(2)).samples().getFirst();
        assertThat(sample.writerLsn()).as("the writer's report is older than the report timeout").isEmpty();
        assertThat(sample.lagBytes()).as("no writer position to measure against").isEmpty();

        history.record(T.plusSeconds(3), 2, AWS, reports(T.plusSeconds(3), standby(AWS, 900)));
        assertThat(history.view(T.plusSeconds(3)).samples().getLast().writerLsn())
                .as("the new writer has not been promoted yet: no position of a writer").isEmpty();
    }

    @Test
    void isBoundedByItsWindow() {
        for (int i = 0; i < 100; i++) {
            Instant at = T.plusMillis(250L * i);
            history.record(at, 1, GCP, reports(at, primary(GCP, 1000L * i, AWS, 1000L * i)));
        }
        Instant end = T.plusMillis(250L * 99);

        List<ArbiterHistory.Sample> s = history.view(end).samples();
        assertThat(history.size()).isLessThanOrEqualTo(10);
        assertThat(s).isNotEmpty().allSatisfy(x -> assertThat(x.at()).isAfterOrEqualTo(end.minusSeconds(10)));
        assertThat(s.subList(1, s.size())).allSatisfy(x -> assertThat(x.writeBytesPerSecond()).contains(4000L));
        assertThat(history.view(end.plusSeconds(60)).samples()).as("all older than the window").isEmpty();
    }
}
