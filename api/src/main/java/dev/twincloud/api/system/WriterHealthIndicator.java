package dev.twincloud.api.system;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * {@code /actuator/health/writer}: UP only while this site can take writes, which is what the edge
 * (global load balancer) routes on: its database is a primary ({@code NOT pg_is_in_recovery()}) and
 * — with {@code twincloud.api.require-lease} (the default outside embedded dev mode) — the site's
 * write lease is valid by the database's clock ({@code twincloud.write_lease_problem()} is null).
 */
@Component("writerStateHealthIndicator") // contributor "writerState": "writer" is the group's name
public class WriterHealthIndicator implements HealthIndicator {

    private final DatabaseProbe probe;
    private final boolean requireLease;

    WriterHealthIndicator(DatabaseProbe probe,
                          @org.springframework.beans.factory.annotation.Value("${twincloud.api.require-lease:true}") boolean requireLease) {
        this.probe = probe;
        this.requireLease = requireLease;
    }

    @Override
    public Health health() {
        DatabaseProbe.Result result = probe.probe();
        if (!result.answered()) {
            return Health.down().withDetail("error", result.error()).build();
        }
        boolean primary = result.role() == DatabaseProbe.Role.PRIMARY;
        boolean leaseOk = !requireLease || result.leaseProblem() == null;
        Health.Builder health = primary && leaseOk ? Health.up() : Health.down();
        health.withDetail("role", result.role().name().toLowerCase(java.util.Locale.ROOT));
        if (requireLease || result.leaseProblem() == null) {
            health.withDetail("lease", result.leaseProblem() == null ? "valid" : result.leaseProblem());
        }
        return health.build();
    }
}
