package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.Snapshot;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The body of {@code GET /v1/status}: what the arbiter stores, what it saw last from each site, and its alerts. */
record StatusView(
        Instant now,
        long epoch,
        SiteId writer,
        Durability mode,
        boolean writerSync,
        boolean standbyEligible,
        Optional<DurableState.Switchover> switchover,
        long systemId,
        long leaseEpoch,
        Instant leaseExpiresAt,
        Map<String, SiteView> sites,
        List<String> alerts,
        ConfigView config) {

    /**
     * @param lastReport     the site's last heartbeat (absent before the first since start)
     * @param ageMillis      how long ago it was received
     * @param fresh          received within report-timeout
     * @param lastAssignment the last answer sent to the site
     */
    record SiteView(boolean writer, Optional<AgentReport> lastReport, Optional<Instant> receivedAt, Optional<Long> ageMillis,
                    boolean fresh, Optional<Assignment> lastAssignment) {
    }

    record ConfigView(List<SiteId> sites, long leaseTtlMillis, long marginMillis, long reportTimeoutMillis,
                      long standbyLossTimeoutMillis, long maxLagBytes, long switchoverTimeoutMillis, long tickIntervalMillis,
                      String stateDir) {
    }

    static StatusView of(Snapshot s, Duration tickInterval, String stateDir) {
        DurableState d = s.state().durable();
        ArbiterConfig c = s.config();
        Map<String, SiteView> sites = new LinkedHashMap<>();
        for (SiteId site : c.sites()) {
            Optional<Observed> o = Optional.ofNullable(s.reports().get(site));
            Optional<Long> age = o.map(x -> Duration.between(x.receivedAt(), s.now()).toMillis());
            sites.put(site.name(), new SiteView(site.equals(d.writer()), o.map(Observed::report), o.map(Observed::receivedAt),
                    age, age.filter(a -> a <= c.reportTimeout().toMillis()).isPresent(),
                    Optional.ofNullable(s.lastAssignments().get(site))));
        }
        return new StatusView(s.now(), d.epoch(), d.writer(), d.mode(), d.writerSync(), d.standbyEligible(), d.switchover(),
                d.systemId(), d.leaseEpoch(), s.state().leaseExpiresAt(), sites, s.alerts(),
                new ConfigView(c.sites(), c.leaseTtl().toMillis(), c.margin().toMillis(), c.reportTimeout().toMillis(),
                        c.standbyLossTimeout().toMillis(), c.maxLagBytes(), c.switchoverTimeout().toMillis(),
                        tickInterval.toMillis(), stateDir));
    }
}
