package dev.twincloud.api.system;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code database} (in the readiness group): UP while the database answers, primary or standby — that
 * is, while {@link WriterHealth}'s background refresh got an answer within its max-age. Cached, like the
 * writer health, so a readiness probe never waits for the request pool.
 */
@Component
class DatabaseHealthIndicator implements HealthIndicator {

    private final WriterHealth writer;

    DatabaseHealthIndicator(WriterHealth writer) {
        this.writer = writer;
    }

    @Override
    public Health health() {
        WriterHealth.Answer a = writer.answer();
        return a.role() != null
                ? Health.up().withDetail("role", a.role()).withDetail("ageMs", a.ageMs()).build()
                : Health.down().withDetail("error", a.reason()).build();
    }
}
