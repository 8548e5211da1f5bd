package dev.twincloud.api.system;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health/reader} on the API's own port (group "reader"): {@link ReaderHealth}'s cached
 * answer, like {@link WriterHealthIndicator}; the same answer is on the writer health's own listener.
 */
@Component("readerStateHealthIndicator") // contributor "readerState": "reader" is the group's name
public class ReaderHealthIndicator implements HealthIndicator {

    private final ReaderHealth reader;

    ReaderHealthIndicator(ReaderHealth reader) {
        this.reader = reader;
    }

    @Override
    public Health health() {
        ReaderHealth.Answer a = reader.answer();
        Health.Builder health = a.up() ? Health.up() : Health.down();
        if (a.role() != null) {
            health.withDetail("role", a.role());
        }
        if (a.reason() != null) {
            health.withDetail("reason", a.reason());
        }
        if (a.stalenessMs() != null) {
            health.withDetail("stalenessMs", a.stalenessMs());
        }
        health.withDetail("ageMs", a.ageMs());
        return health.build();
    }
}
