package dev.twincloud.arbiter.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.Event;
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
        return new Event(Instant.parse("2026-11-28T12:00:00Z").plusSeconds(i), "FAILOVER", i, SiteId.of("aws"), "why " + i);
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
}
