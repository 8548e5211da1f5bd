package dev.twincloud.api.system;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health/writer} on the API's own port: UP only while this site can take writes —
 * its database is a primary and (with {@code twincloud.api.require-lease}, the default outside embedded
 * dev mode) the site's write lease is valid by the database's clock. Answered from {@link WriterHealth}'s
 * cached state, like the dedicated listener ({@link WriterHealthServer}) the edge probes, so it never
 * waits for the request pool either; the details say which verdict and why.
 */
@Component("writerStateHealthIndicator") // contributor "writerState": "writer" is the group's name
public class WriterHealthIndicator implements HealthIndicator {

    private final WriterHealth writer;

    WriterHealthIndicator(WriterHealth writer) {
        this.writer = writer;
    }

    @Override
    public Health health() {
        WriterHealth.Answer a = writer.answer();
        Health.Builder health = a.up() ? Health.up() : Health.down();
        health.withDetail("verdict", a.verdict().header());
        if (a.role() != null) {
            health.withDetail("role", a.role());
        }
        if (a.lease() != null) {
            health.withDetail("lease", a.lease());
        }
        if (a.reason() != null) {
            health.withDetail("reason", a.reason());
        }
        health.withDetail("ageMs", a.ageMs());
        return health.build();
    }
}
