package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.Leadership;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code arbiterLeadership} ({@code /actuator/health/leader}): UP on the replica that acts,
 * OUT_OF_SERVICE (503) on the others. Not part of readiness: every replica stays ready, and the
 * Service finds the one that acts by its pod label.
 */
@Component("arbiterLeadership")
class LeadershipHealth implements HealthIndicator {

    private final Leadership leadership;

    LeadershipHealth(Leadership leadership) {
        this.leadership = leadership;
    }

    @Override
    public Health health() {
        Health.Builder h = leadership.leading().isPresent() ? Health.up() : Health.outOfService();
        return h.withDetail("arbiter", leadership.describe()).build();
    }
}
