package dev.twincloud.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.protocol.SiteId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EventLogTest {

    @TempDir
    Path dir;

    static Event event(int i) {
        return new Event(Instant.parse("2026-11-28T12:00:00Z").plusSeconds(i), EventKind.FAILOVER, i, SiteId.of("aws"), "why " + i);
    }

    @Test
    void keepsEveryEventOnDiskAndTheLastOnesInMemory() throws IOException {
        try (EventLog log = new EventLog(dir, 3)) {
            for (int i = 1; i <= 5; i++) {
                log.append(event(i));
            }
            assertThat(log.last(10)).containsExactly(event(3), event(4), event(5));
            assertThat(log.last(2)).containsExactly(event(4), event(5));
        }
        assertThat(Files.readAllLines(dir.resolve(EventLog.EVENTS_FILE))).hasSize(5)
                .first().asString().contains("\"kind\":\"FAILOVER\"", "\"site\":\"aws\"", "\"at\":\"2026-11-28T12:00:01Z\"");
    }

    @Test
    void reloadsTheHistoryAfterARestartSkippingATornLastLine() throws IOException {
        try (EventLog log = new EventLog(dir, 10)) {
            log.append(event(1));
            log.append(event(2));
        }
        Files.writeString(dir.resolve(EventLog.EVENTS_FILE), "{\"at\":\"2026-11-28T12:", StandardOpenOption.APPEND);
        try (EventLog log = new EventLog(dir, 10)) {
            assertThat(log.last(10)).containsExactly(event(1), event(2));
            log.append(event(3));
        }
        try (EventLog log = new EventLog(dir, 10)) {
            assertThat(log.last(10)).as("the torn line does not swallow the next event").containsExactly(event(1), event(2), event(3));
        }
    }

    /** The history as the arbiter wrote it before event kinds were an enum: every kind loads, and reads back unchanged. */
    @Test
    void loadsAHistoryWrittenWithStringKinds() throws IOException {
        String[] kinds = {"ARBITER_STARTED", "ARBITER_STOPPED", "ALERT", "ALERT_CLEARED", "LEASE_FIRST_GRANT", "FAILOVER",
                "DROP_TO_ASYNC", "RESTORE_SYNC", "STANDBY_IN_SYNC", "STANDBY_INELIGIBLE", "STANDBY_ELIGIBLE", "SWITCHOVER_STARTED",
                "SWITCHOVER_PROMOTE", "SWITCHOVER_ABORTED", "FORCED_PROMOTION", "MODE_CHANGED"};
        StringBuilder old = new StringBuilder();
        for (int i = 0; i < kinds.length; i++) {
            old.append("{\"at\":\"2026-11-28T12:00:0").append(i % 10).append("Z\",\"kind\":\"").append(kinds[i])
                    .append("\",\"epoch\":").append(i + 1).append(",\"site\":\"gcp\",\"why\":\"w").append(i).append("\"}\n");
        }
        Files.writeString(dir.resolve(EventLog.EVENTS_FILE), old);
        try (EventLog log = new EventLog(dir, 100)) {
            assertThat(log.last(100)).extracting(e -> e.kind().name()).containsExactly(kinds);
            assertThat(log.last(100).getFirst()).isEqualTo(new Event(Instant.parse("2026-11-28T12:00:00Z"),
                    EventKind.ARBITER_STARTED, 1, SiteId.of("gcp"), "w0"));
            log.append(log.last(1).getFirst());
        }
        assertThat(Files.readAllLines(dir.resolve(EventLog.EVENTS_FILE)).getLast())
                .as("written in the same format as before").isEqualTo(old.toString().lines().toList().getLast());
    }
}
