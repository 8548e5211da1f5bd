package dev.twincloud.api.system;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** {@code database} (in the readiness group): UP while the database answers, primary or standby. */
@Component
class DatabaseHealthIndicator implements HealthIndicator {

    private final DatabaseProbe probe;

    DatabaseHealthIndicator(DatabaseProbe probe) {
        this.probe = probe;
    }

    @Override
    public Health health() {
        DatabaseProbe.Result result = probe.probe();
        return result.answered()
                ? Health.up().withDetail("role", result.role().name().toLowerCase(java.util.Locale.ROOT)).build()
                : Health.down().withDetail("error", result.error()).build();
    }
}
