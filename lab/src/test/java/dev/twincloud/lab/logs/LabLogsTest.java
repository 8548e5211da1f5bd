package dev.twincloud.lab.logs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.EventKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code lab logs} on recorded files (src/test/resources/logs-sample): lines written by the real components with the
 * lab's logging configuration — the arbiter, the API (dev mode, site gcp) and the edge in front of it, run as jars
 * with LOGGING_STRUCTURED_FORMAT_CONSOLE=logstash, requests sent through the edge with ids sample-post-4..9 and
 * sample-400/401; a PostgreSQL 15 with pgctl's jsonlog settings, a write and a refused write (TCL01) under
 * application_name twincloud-api/req-ok-1 and req-refused-2. The API's dev token is cut out of the sample.
 */
public class LabLogsTest {

    public static Path sample(Path into) throws IOException {
        Path from = Path.of("src/test/resources/logs-sample");
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path to = into.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return into;
    }

    @Test
    void everyRecordedLineIsReadWithItsComponentSiteAndLevel(@TempDir Path dir) throws IOException {
        List<LogLine> all = new LabLogs(sample(dir).resolve("logs")).read(l -> true);
        for (String component : List.of("arbiter", "edge", "gcp-api")) {
            long json = Files.readAllLines(dir.resolve("logs").resolve(component + ".log")).stream().filter(l -> l.startsWith("{")).count();
            long read = all.stream().filter(l -> l.component().equals(component)).count();
            // the API's two plain lines (dev mode's token notice) continue the line before them
            assertThat(read).as(component).isEqualTo(json + (component.equals("gcp-api") ? 2 : 0));
        }
        assertThat(all).extracting(LogLine::component).contains("arbiter", "edge", "gcp-api", "gcp-postgres");
        assertThat(all).filteredOn(l -> l.component().equals("gcp-api")).allSatisfy(l -> {
            assertThat(l.site()).isEqualTo("gcp");
            assertThat(l.kind()).isEqualTo("api");
        });
        assertThat(all).filteredOn(l -> l.component().equals("edge") || l.component().equals("arbiter"))
                .allSatisfy(l -> assertThat(l.site()).isNull());
        assertThat(all).filteredOn(l -> l.component().equals("arbiter") && l.message().startsWith("ALERT"))
                .singleElement().satisfies(l -> {
                    assertThat(l.level()).isEqualTo(LogLine.Level.WARN);
                    assertThat(l.epoch()).isEqualTo(1L);
                });
    }

    @Test
    void linesOfAllFilesAreMergedInTimeOrder(@TempDir Path dir) throws IOException {
        List<LogLine> all = new LabLogs(sample(dir).resolve("logs")).read(l -> true);
        for (int i = 1; i < all.size(); i++) {
            assertThat(all.get(i).time()).as("line %d", i).isAfterOrEqualTo(all.get(i - 1).time());
        }
        // the first PostgreSQL line (11:43) comes before the API's first (11:45), though gcp-api.log sorts first by name
        int pg = indexOf(all, l -> l.component().equals("gcp-postgres"));
        int api = indexOf(all, l -> l.component().equals("gcp-api"));
        assertThat(pg).isLessThan(api);
    }

    @Test
    void oneRequestIsFoundInTheEdgesAndTheApisLinesInTheOrderTheyWereWritten(@TempDir Path dir) throws IOException {
        List<LogLine> request = new LabLogs(sample(dir).resolve("logs")).read(l -> "sample-post-4".equals(l.requestId()));
        assertThat(request).extracting(LogLine::component).containsExactly("gcp-api", "edge");
        assertThat(request.get(0).message()).startsWith("POST /v1/ecgs 201 in ");
        assertThat(request.get(1).message()).startsWith("POST /v1/ecgs -> gcp 201 in ");
    }

    @Test
    void postgresJsonlogLinesCarryTheRequestIdFromApplicationNameAndMapTheirSeverity(@TempDir Path dir) throws IOException {
        List<LogLine> pg = new LabLogs(sample(dir).resolve("logs")).read(l -> l.component().equals("gcp-postgres"));
        assertThat(pg).filteredOn(l -> "req-ok-1".equals(l.requestId())).singleElement().satisfies(l -> {
            assertThat(l.level()).isEqualTo(LogLine.Level.INFO);
            assertThat(l.message()).startsWith("execute <unnamed>: insert into ecg_recording");
            assertThat(l.site()).isEqualTo("gcp");
            assertThat(l.time()).isEqualTo(Instant.parse("2026-11-30T11:43:27.790Z"));
        });
        assertThat(pg).filteredOn(l -> "req-refused-2".equals(l.requestId()) && l.level() == LogLine.Level.ERROR).singleElement()
                .satisfies(l -> assertThat(l.message()).startsWith("TCL01 no valid write lease for site gcp")
                        .contains("| statement: insert into ecg_recording"));
        assertThat(pg).as("no bind values in the recorded lines").noneMatch(l -> l.message().contains("p-secret-ref"));
        // the server's own lines: no request
        assertThat(pg).filteredOn(l -> l.message().equals("database system is ready to accept connections")).singleElement()
                .satisfies(l -> assertThat(l.requestId()).isNull());
        // the plain stderr lines from before the collector started (gcp-postgres.log) are read too
        assertThat(pg).anySatisfy(l -> assertThat(l.message()).contains("redirecting log output to logging collector process"));
    }

    @Test
    void postgresTimesAreReadWithTheirZone() {
        assertThat(LogParser.pgTime("2026-11-30 11:43:27.790 UTC")).contains(Instant.parse("2026-11-30T11:43:27.790Z"));
        assertThat(LogParser.pgTime("2026-11-30 12:43:27.79 +01")).contains(Instant.parse("2026-11-30T11:43:27.790Z"));
        assertThat(LogParser.pgTime("2026-11-30 11:43:27 GMT")).contains(Instant.parse("2026-11-30T11:43:27Z"));
        assertThat(LogParser.pgTime("yesterday")).isEmpty();
    }

    @Test
    void aLineWithoutATimeContinuesTheOneBefore() {
        LogParser parser = new LogParser("gcp-agent");
        LogLine first = parser.parse("{\"@timestamp\":\"2026-11-30T11:49:00.257906883Z\",\"message\":\"failed\",\"level\":\"ERROR\","
                + "\"request_id\":\"r-1\",\"epoch\":\"7\",\"site\":\"gcp\"}", null).orElseThrow();
        LogLine frame = parser.parse("\tat dev.twincloud.agent.core.Agent.step(Agent.java:42)", first).orElseThrow();
        assertThat(frame.time()).isEqualTo(first.time());
        assertThat(frame.level()).isEqualTo(LogLine.Level.ERROR);
        assertThat(frame.requestId()).isEqualTo("r-1");
        assertThat(frame.epoch()).isEqualTo(7L);
        assertThat(frame.message()).startsWith("at dev.twincloud");
        assertThat(parser.parse("OpenJDK 64-Bit Server VM warning: something", null)).as("nothing to continue").isEmpty();
        assertThat(parser.parse("{\"not\":\"a log line\"}", null)).isEmpty();
        // the lab's own lines (slf4j-simple, lab/src/main/resources/simplelogger.properties)
        assertThat(new LogParser("lab").parse("2026-11-30T11:50:00.123Z [main] INFO dev.twincloud.lab.supervisor.Lab - lab is up: entry "
                + "http://127.0.0.1:7401", null)).hasValueSatisfying(l -> {
                    assertThat(l.time()).isEqualTo(Instant.parse("2026-11-30T11:50:00.123Z"));
                    assertThat(l.level()).isEqualTo(LogLine.Level.INFO);
                    assertThat(l.site()).isNull();
                });
        assertThat(parser.parse("2026-11-30T11:49:00.257+01:00 [WARN] EdgeServer - text format", null)).hasValueSatisfying(l -> {
            assertThat(l.level()).isEqualTo(LogLine.Level.WARN);
            assertThat(l.time()).isEqualTo(Instant.parse("2026-11-30T10:49:00.257Z"));
        });
    }

    @Test
    void pollReadsOnlyWhatWasAppendedAndOnlyWholeLines(@TempDir Path dir) throws IOException {
        Path log = dir.resolve("gcp-api.log");
        Files.writeString(log, line("2026-11-30T11:00:00Z", "one") + "\n");
        LabLogs logs = new LabLogs(dir);
        assertThat(logs.read(l -> true)).extracting(LogLine::message).containsExactly("one");
        assertThat(logs.poll(l -> true)).isEmpty();
        String three = line("2026-11-30T11:00:02Z", "three");
        Files.writeString(log, line("2026-11-30T11:00:01Z", "two") + "\n" + three.substring(0, 50),
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertThat(logs.poll(l -> true)).extracting(LogLine::message).containsExactly("two");
        Files.writeString(log, three.substring(50) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertThat(logs.poll(l -> true)).extracting(LogLine::message).containsExactly("three");
        // a new file appears (a component started later): read from its start
        Files.writeString(dir.resolve("edge.log"), line("2026-11-30T11:00:03Z", "edge") + "\n");
        assertThat(logs.poll(l -> true)).extracting(LogLine::component).containsExactly("edge");
        // a file started over (a fresh lab): read again from its start
        Files.writeString(log, line("2026-11-30T12:00:00Z", "new") + "\n");
        assertThat(logs.poll(l -> true)).extracting(LogLine::message).containsExactly("new");
    }

    @Test
    void theLastEventIsFoundInTheArbitersHistoryOrElseInItsLog(@TempDir Path dir) throws IOException {
        sample(dir);
        assertThat(LabLogs.lastEvent(dir.resolve("arbiter"), dir.resolve("logs"), EventKind.ALERT))
                .contains(Instant.parse("2026-11-30T11:46:31.974576547Z"));
        assertThat(LabLogs.lastEvent(dir.resolve("arbiter"), dir.resolve("logs"), EventKind.FAILOVER)).isEmpty();
        Files.delete(dir.resolve("arbiter/events.jsonl"));
        assertThat(LabLogs.lastEvent(dir.resolve("arbiter"), dir.resolve("logs"), EventKind.ALERT))
                .as("the arbiter's log line of the event, written just after it was decided")
                .contains(Instant.parse("2026-11-30T11:46:32.002507217Z"));
    }

    private static String line(String time, String message) {
        return "{\"@timestamp\":\"" + time + "\",\"@version\":\"1\",\"message\":\"" + message + "\",\"level\":\"INFO\",\"component\":\"api\"}";
    }

    private static int indexOf(List<LogLine> lines, java.util.function.Predicate<LogLine> p) {
        for (int i = 0; i < lines.size(); i++) {
            if (p.test(lines.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
