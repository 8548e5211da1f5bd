package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.Leadership;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code arbiterLeadership} in the readiness group: UP on the replica that acts, OUT_OF_SERVICE on
 * the others, so a Kubernetes Service sends the agents to the elected arbiter only.
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
