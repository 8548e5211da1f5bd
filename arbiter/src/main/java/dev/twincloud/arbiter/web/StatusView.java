package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.Snapshot;
import dev.twincloud.core.decide.ArbiterConfig;
import dev.twincloud.core.decide.DurableState;
import dev.twincloud.core.decide.Observed;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** Builds the body of {@code GET /v1/status} ({@link ArbiterStatus}, the contract its clients read) from a snapshot. */
final class StatusView {

    private StatusView() {
    }

    static ArbiterStatus of(Snapshot s, Duration tickInterval, String stateDir) {
        DurableState d = s.state().durable();
        ArbiterConfig c = s.config();
        Map<String, ArbiterStatus.Site> sites = new LinkedHashMap<>();
        for (SiteId site : c.sites()) {
            Optional<Observed> o = Optional.ofNullable(s.reports().get(site));
            Optional<Long> age = o.map(x -> Duration.between(x.receivedAt(), s.now()).toMillis());
            sites.put(site.name(), new ArbiterStatus.Site(site.equals(d.writer()), o.map(Observed::report),
                    o.map(Observed::receivedAt), age, age.filter(a -> a <= c.reportTimeout().toMillis()).isPresent(),
                    Optional.ofNullable(s.lastAssignments().get(site))));
        }
        return new ArbiterStatus(s.now(), d.epoch(), d.writer(), d.mode(), d.writerSync(), d.standbyEligible(),
                d.switchover().map(w -> new ArbiterStatus.Switchover(w.from(), w.to(), w.startedAt())),
                d.systemId(), d.leaseEpoch(), s.state().leaseExpiresAt(), sites, s.alerts(),
                new ArbiterStatus.Config(c.sites(), c.leaseTtl().toMillis(), c.margin().toMillis(), c.reportTimeout().toMillis(),
                        c.standbyLossTimeout().toMillis(), c.maxLagBytes(), c.switchoverTimeout().toMillis(),
                        tickInterval.toMillis(), stateDir));
    }
}
