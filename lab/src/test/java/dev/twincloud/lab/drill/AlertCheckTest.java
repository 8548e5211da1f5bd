package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.EventKind;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.LabMonitoring;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The drill's alert verdicts on recorded answers of a real Prometheus and Alertmanager (Debian's, the lab's settings:
 * scrape and evaluation every 2 s, timeout 1 s) evaluating the real rules file against a stand-in arbiter's metrics
 * endpoint (a static file): at {@link #CHANGE} its writer gauge moved from gcp to aws and its FAILOVER counter from 0
 * to 1; at {@link #DOWN} the stand-in stopped answering (TwincloudComponentDown and TwincloudNoActingArbiter pending,
 * firing 30 s later; TwincloudFailover resolved as its series went stale); at {@link #BACK} it answered again
 * (TwincloudFailover fired again: its 2 minutes were not over); {@link #ASKED}: when the answers were taken
 * ({@code ALERTS[90s]}, {@code /api/v1/rules}, Alertmanager's {@code /api/v2/alerts}). TwincloudNoWriter fires
 * throughout: the stand-in has no agents. Files in src/test/resources/dev/twincloud/lab/drill/recorded (rules.json's
 * file paths shortened to the repository's).
 */
class AlertCheckTest {
    static final Instant CHANGE = Instant.ofEpochMilli(1796050132064L);
    static final Instant DOWN = Instant.ofEpochMilli(1796050144080L);
    static final Instant BACK = Instant.ofEpochMilli(1796050187896L);
    static final Instant ASKED = Instant.ofEpochMilli(1796050197908L);
    static final Duration INTERVAL = Duration.ofSeconds(2);
    static final Duration TIMEOUT = Duration.ofSeconds(1);
    /** The run's 0 ms: 10 s before the change; the fault 3 s before the promotion. */
    static final double WALL_START = CHANGE.toEpochMilli() - 10_000;
    static final double FAULT_AT = 7_000;
    static final WriterTimeline.Promotion TO_AWS = new WriterTimeline.Promotion(10_000, EventKind.FAILOVER, 2, "aws");

    static JsonNode recorded(String name) throws IOException {
        try (InputStream in = AlertCheckTest.class.getResourceAsStream("recorded/" + name)) {
            return Http.JSON.readTree(in);
        }
    }

    /** The recorded ALERTS[90s] answer as Prometheus would have given it at {@code at}, with only {@code names}' series (null: all). */
    @SuppressWarnings("unchecked")
    static JsonNode alertsAsOf(Instant at, Set<String> names) throws IOException {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> s : (List<Map<String, Object>>) Http.JSON.convertValue(recorded("alerts-range.json").path("data").path("result"), List.class)) {
            if (names != null && !names.contains(((Map<String, String>) s.get("metric")).get("alertname"))) {
                continue;
            }
            List<List<Object>> values = ((List<List<Object>>) s.get("values")).stream()
                    .filter(v -> ((Number) v.get(0)).doubleValue() * 1000 <= at.toEpochMilli()).toList();
            if (!values.isEmpty()) {
                s.put("values", values);
                out.add(s);
            }
        }
        return Http.JSON.valueToTree(out);
    }

    static AlertCheck.Report check(Scenario s, List<WriterTimeline.Promotion> promotions, Instant windowStart, Instant asked,
                                   Set<String> names) throws IOException {
        return AlertCheck.check(new AlertCheck.Input(ScenarioAlerts.of(s), promotions, WALL_START, FAULT_AT, windowStart,
                AlertCheck.ruleDurations(recorded("rules.json")), INTERVAL, TIMEOUT,
                AlertCheck.episodes(alertsAsOf(asked, names), INTERVAL, asked),
                // Alertmanager's answer was recorded when the others were: not known before
                asked.isBefore(ASKED) ? Map.of() : AlertCheck.alertmanagerAlerts(recorded("am-alerts.json"))));
    }

    static final Set<String> FAILOVER_ONLY = Set.of(ScenarioAlerts.FAILOVER);

    @Test
    void theFailoverAlertFiringWithinItsForPlusTwoScrapesAndTheTimeoutPasses() throws IOException {
        AlertCheck.Report r = check(Scenario.KILL_WRITER, List.of(TO_AWS), CHANGE.minusSeconds(10), DOWN.plusMillis(500), FAILOVER_ONLY);
        assertThat(r.failures()).isEmpty();
        assertThat(r.passed()).isTrue();
        assertThat(r.rows()).hasSize(1);
        AlertCheck.Row row = r.rows().getFirst();
        assertThat(row.verdict()).isEqualTo(AlertCheck.Verdict.EXPECTED);
        assertThat(row.labels()).isEqualTo("kind=FAILOVER,site=aws");
        assertThat(row.firedMs()).as("1.8 s after the counter moved").isEqualTo(11_802.0);
        assertThat(row.deadlineMs()).as("for 0 + 2 x 2 s + 1 s").isEqualTo(15_000.0);
        assertThat(row.resolvedMs()).as("still firing when asked").isNull();
        assertThat(DrillReport.rel(row.firedMs(), FAULT_AT)).isEqualTo("+4.8 s");
        assertThat(r.summary()).isEqualTo("alerts [TwincloudFailover]");
    }

    @Test
    void theFailoverAlertFiringAfterItsDeadlineFailsTheRun() throws IOException {
        WriterTimeline.Promotion earlier = new WriterTimeline.Promotion(6_000, EventKind.FAILOVER, 2, "aws");
        AlertCheck.Report r = check(Scenario.KILL_WRITER, List.of(earlier), CHANGE.minusSeconds(10), DOWN.plusMillis(500), FAILOVER_ONLY);
        assertThat(r.rows()).extracting(AlertCheck.Row::verdict).containsExactly(AlertCheck.Verdict.LATE);
        assertThat(r.failures()).singleElement().asString()
                .startsWith("TwincloudFailover fired 5.8 s after the FAILOVER of epoch 2 to aws at -1.0 s, later than its for 0 s + 2 x 2 s scrape + 1 s timeout");
        assertThat(r.passed()).isFalse();
    }

    @Test
    void aFailoverWithoutItsAlertFailsTheRunAndAnAlertNamingAnotherWriterDoesNotCount() throws IOException {
        AlertCheck.Report none = check(Scenario.KILL_WRITER, List.of(TO_AWS), CHANGE.minusSeconds(10), DOWN.plusMillis(500),
                Set.of("TwincloudNoWriter"));
        assertThat(none.failures()).containsExactly("TwincloudFailover did not fire after the FAILOVER of epoch 2 to aws at +3.0 s (due by +8.0 s)");
        assertThat(none.rows()).extracting(AlertCheck.Row::verdict).contains(AlertCheck.Verdict.MISSING, AlertCheck.Verdict.CARRIED_OVER);

        WriterTimeline.Promotion toGcp = new WriterTimeline.Promotion(10_000, EventKind.FAILOVER, 2, "gcp");
        AlertCheck.Report wrong = check(Scenario.KILL_WRITER, List.of(toGcp), CHANGE.minusSeconds(10), DOWN.plusMillis(500), FAILOVER_ONLY);
        assertThat(wrong.failures()).hasSize(2).anyMatch(f -> f.startsWith("TwincloudFailover did not fire after the FAILOVER of epoch 2 to gcp"))
                .anyMatch(f -> f.startsWith("unexplained alert TwincloudFailover{kind=FAILOVER,site=aws} fired at +4.8 s"));
    }

    /**
     * `random` may leave no site the writer for a minute (both sites cut from the arbiter, the writer's site frozen:
     * seed 301, 2026-12-02), so TwincloudNoWriter is allowed there and nowhere a single fault cannot cause it. The
     * window starts before the recorded TwincloudNoWriter went pending, so it is judged, not carried over.
     */
    @Test
    void randomMayFireNoWriterAndKillWriterMayNot() throws IOException {
        Set<String> names = Set.of(ScenarioAlerts.FAILOVER, ScenarioAlerts.NO_WRITER);
        AlertCheck.Report random = check(Scenario.RANDOM, List.of(TO_AWS), CHANGE.minusSeconds(30), DOWN.plusMillis(500), names);
        assertThat(random.failures()).isEmpty();
        assertThat(random.rows()).filteredOn(x -> x.alert().equals(ScenarioAlerts.NO_WRITER))
                .extracting(AlertCheck.Row::verdict).containsExactly(AlertCheck.Verdict.ALLOWED);
        AlertCheck.Report killWriter = check(Scenario.KILL_WRITER, List.of(TO_AWS), CHANGE.minusSeconds(30), DOWN.plusMillis(500), names);
        assertThat(killWriter.failures()).singleElement().asString().startsWith("unexplained alert TwincloudNoWriter{} fired at");
    }

    @Test
    void inNoneEveryAlertThatFiresIsUnexplainedExceptWhatWasActiveWhenTheRunBegan() throws IOException {
        AlertCheck.Report r = check(Scenario.NONE, List.of(), CHANGE.plusSeconds(3), ASKED, null);
        assertThat(r.failures()).containsExactlyInAnyOrder(
                "unexplained alert TwincloudComponentDown{instance=127.0.0.1:31310,job=twincloud-arbiter} fired at +47.0 s",
                "unexplained alert TwincloudNoActingArbiter{} fired at +46.6 s");
        assertThat(r.passed()).isFalse();
        // TwincloudNoWriter since before the window; TwincloudFailover active at its start, and firing again later
        assertThat(r.rows().stream().filter(x -> x.verdict() == AlertCheck.Verdict.CARRIED_OVER).map(AlertCheck.Row::alert))
                .containsExactlyInAnyOrder("TwincloudNoWriter", "TwincloudFailover", "TwincloudFailover");
        AlertCheck.Row again = r.rows().stream().filter(x -> x.alert().equals("TwincloudFailover") && x.resolvedMs() == null).findFirst().orElseThrow();
        assertThat(again.alertmanagerMs()).as("Alertmanager holds the second episode, since it fired").isEqualTo(again.firedMs());
        AlertCheck.Row first = r.rows().stream().filter(x -> x.alert().equals("TwincloudFailover") && x.resolvedMs() != null).findFirst().orElseThrow();
        assertThat(first.alertmanagerMs()).as("not the first one: it resolved before Alertmanager's copy started").isNull();
        assertThat(first.resolvedMs()).isEqualTo(1796050145866.0 - WALL_START);
    }

    @Test
    void anAllowedAlertIsNoFailureAndAPendingOneIsOnlyListed() throws IOException {
        Set<String> down = Set.of(ScenarioAlerts.COMPONENT_DOWN);
        AlertCheck.Report pending = check(Scenario.KILL_STANDBY, List.of(), CHANGE, DOWN.plusSeconds(20), down);
        assertThat(pending.rows()).extracting(AlertCheck.Row::verdict).containsExactly(AlertCheck.Verdict.PENDING);
        assertThat(pending.rows().getFirst().firedMs()).isNull();
        assertThat(pending.passed()).isTrue();

        AlertCheck.Report fired = check(Scenario.KILL_STANDBY, List.of(), CHANGE, ASKED, down);
        assertThat(fired.rows()).extracting(AlertCheck.Row::verdict).containsExactly(AlertCheck.Verdict.ALLOWED);
        assertThat(fired.passed()).isTrue();
        assertThat(check(Scenario.PARTITION_WRITER_ARBITER, List.of(), CHANGE, ASKED, down).failures()).as("not allowed there").hasSize(1);
    }

    @Test
    void aFailoverTheScenarioDidNotExpectExplainsItsAlert() throws IOException {
        AlertCheck.Report r = check(Scenario.PARTITION_SITES, List.of(TO_AWS), CHANGE.minusSeconds(10), DOWN.plusMillis(500), FAILOVER_ONLY);
        assertThat(r.rows()).extracting(AlertCheck.Row::verdict).containsExactly(AlertCheck.Verdict.PROMOTION);
        assertThat(r.passed()).as("the promotion count fails such a run, not the alert").isTrue();
        assertThat(check(Scenario.PARTITION_SITES, List.of(), CHANGE.minusSeconds(10), DOWN.plusMillis(500), FAILOVER_ONLY).failures())
                .as("without the promotion: unexplained").hasSize(1);
    }

    @Test
    void episodesSplitOnGapsAndEndOneIntervalAfterTheirLastSample() throws IOException {
        List<AlertCheck.Episode> e = AlertCheck.episodes(alertsAsOf(ASKED, null), INTERVAL, ASKED);
        List<AlertCheck.Episode> failover = e.stream().filter(x -> x.alert().equals("TwincloudFailover")).toList();
        assertThat(failover).hasSize(2);
        assertThat(failover.get(0).firingAt()).isEqualTo(Instant.ofEpochMilli(1796050133866L));
        assertThat(failover.get(0).resolvedAt()).isEqualTo(Instant.ofEpochMilli(1796050145866L));
        assertThat(failover.get(1).resolvedAt()).isNull();
        AlertCheck.Episode down = e.stream().filter(x -> x.alert().equals("TwincloudComponentDown")).findFirst().orElseThrow();
        assertThat(down.activeAt()).isEqualTo(Instant.ofEpochMilli(1796050146036L));
        assertThat(down.firingAt()).as("pending 30 s (its for), then firing").isEqualTo(Instant.ofEpochMilli(1796050176036L));
        assertThat(down.labels()).containsEntry("job", "twincloud-arbiter").doesNotContainKey("alertstate");
        assertThat(e.stream().filter(x -> x.alert().equals("TwincloudComponentDown"))).as("pending and firing: one episode").hasSize(1);
    }

    @Test
    void theRulesForComeFromPrometheusAndTheDeadlineIsForPlusTwoIntervalsPlusTheTimeout() throws IOException {
        Map<String, Duration> rules = AlertCheck.ruleDurations(recorded("rules.json"));
        assertThat(rules).hasSize(19).containsEntry("TwincloudFailover", Duration.ZERO)
                .containsEntry("TwincloudComponentDown", Duration.ofSeconds(30)).containsEntry("TwincloudSyncDegradedToAsync", Duration.ofSeconds(10));
        assertThat(AlertCheck.deadline(1000, Duration.ZERO, INTERVAL, TIMEOUT)).isEqualTo(6000);
        assertThat(AlertCheck.deadline(1000, Duration.ofSeconds(10), INTERVAL, TIMEOUT)).isEqualTo(16000);
        assertThat(LabMonitoring.interval()).as("the lab's Prometheus").isEqualTo(INTERVAL);
        assertThat(LabMonitoring.scrapeTimeout()).isEqualTo(TIMEOUT);
    }

    @Test
    void everyScenarioDeclaresItsAlertsAndEveryNameIsARuleOfTheOneRulesFile() throws IOException {
        Path rulesFile = DrillShortSetTest.HOME.resolve(LabMonitoring.RULES);
        Set<String> rules = new java.util.TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\s*- alert: (\\w+)").matcher(Files.readString(rulesFile));
        while (m.find()) {
            rules.add(m.group(1));
        }
        assertThat(rules).hasSize(21);
        for (Scenario s : EnumSet.allOf(Scenario.class)) {
            ScenarioAlerts.Declared d = ScenarioAlerts.of(s);
            assertThat(rules).as(s.id).containsAll(d.names());
            assertThat(d.failoverAlert()).as(s.id + ": expects TwincloudFailover exactly when it may fail over unplanned")
                    .isEqualTo(s.unplanned || s == Scenario.PAUSE_WRITER_POSTMASTER || s == Scenario.SLOW_WRITER_ARBITER
                            || s == Scenario.KILL_WRITER_POSTMASTER || s == Scenario.RANDOM);
        }
        assertThat(ScenarioAlerts.of(Scenario.NONE).names()).as("no noise in none").isEmpty();
        assertThat(ScenarioAlerts.of(Scenario.LOAD).names()).isEmpty();
    }
}
