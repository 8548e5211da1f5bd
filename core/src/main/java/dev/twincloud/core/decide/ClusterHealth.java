package dev.twincloud.core.decide;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.LeaseGrant;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What the arbiter's status means, for its clients (the lab, the drill, an operator's tools): pure
 * functions over {@link ArbiterStatus}, kept next to the decider so that no client re-derives the
 * policy from JSON on its own.
 */
public final class ClusterHealth {

    private ClusterHealth() {
    }

    /**
     * The arbiter's side of the steady state: the standby follows ({@code STANDBY}) and the writer runs
     * as the mode wants it, {@code PRIMARY_SYNC} with an eligible standby in SYNC mode, or
     * {@code PRIMARY_ASYNC} in ASYNC mode (where it runs without a synchronous standby for good).
     * Whether traffic follows the writer (the edge) is the caller's to add.
     *
     * @param writerState  the state the writer last reported (empty before its first report)
     * @param standbyState the state the standby last reported (empty before its first report)
     */
    public static boolean steady(Durability mode, boolean standbyEligible, Optional<SiteState> writerState,
                                 Optional<SiteState> standbyState) {
        boolean writerSteady = mode == Durability.ASYNC
                ? writerState.equals(Optional.of(SiteState.PRIMARY_ASYNC))
                : standbyEligible && writerState.equals(Optional.of(SiteState.PRIMARY_SYNC));
        return writerSteady && standbyState.equals(Optional.of(SiteState.STANDBY));
    }

    /** {@link #steady(Durability, boolean, Optional, Optional)} of the status. */
    public static boolean steady(ArbiterStatus s) {
        return steady(s.mode(), s.standbyEligible(), s.writerState(), s.standbyState());
    }

    /**
     * The writer holds a lease at {@code at} (arbiter clock): the arbiter's last answer to the writer
     * granted a lease of the current epoch, that lease has not ended at {@code at}, and the writer's
     * last report shows it up as the writer of the current epoch. False while the arbiter only
     * assumes a lease may exist (after its restart, before it granted one).
     */
    public static boolean writerHoldsLease(ArbiterStatus s, Instant at) {
        if (s.writer() == null || s.leaseExpiresAt() == null || s.leaseEpoch() != s.epoch() || !at.isBefore(s.leaseExpiresAt())) {
            return false;
        }
        Optional<ArbiterStatus.Site> w = s.site(s.writer());
        boolean granted = w.flatMap(ArbiterStatus.Site::lastAssignment).flatMap(Assignment::lease)
                .map(LeaseGrant::epoch).equals(Optional.of(s.epoch()));
        boolean up = w.flatMap(ArbiterStatus.Site::lastReport)
                .filter(r -> r.epoch() == s.epoch() && r.state().isWriter()).isPresent();
        return granted && up;
    }

    /** {@link #writerHoldsLease(ArbiterStatus, Instant)} when the arbiter answered ({@link ArbiterStatus#now()}). */
    public static boolean writerHoldsLease(ArbiterStatus s) {
        return s.now() != null && writerHoldsLease(s, s.now());
    }

    /**
     * What an operator should look at now, read from the status alone (the arbiter's own alerts are
     * in {@link ArbiterStatus#alerts()}; these are the conditions its fields show): a site not
     * reporting, no lease held by the writer, synchronous replication degraded in SYNC mode, a
     * standby that cannot be promoted, a switchover under way. Empty in the steady state.
     */
    public static List<String> warnings(ArbiterStatus s) {
        List<String> out = new ArrayList<>();
        s.sites().forEach((name, site) -> {
            if (site.lastReport().isEmpty()) {
                out.add("site " + name + " has not reported since the arbiter started");
            } else if (!site.fresh()) {
                out.add("site " + name + " is not reporting (last report " + site.ageMillis().map(a -> a + " ms").orElse("?")
                        + " ago)");
            }
        });
        if (s.writer() != null && !writerHoldsLease(s)) {
            out.add("writer " + s.writer() + " holds no lease: nothing can be written now");
        }
        Optional<SiteState> writer = s.writerState();
        if (s.mode() == Durability.SYNC && writer.isPresent() && writer.get().isWriter()
                && (writer.get() == SiteState.PRIMARY_ASYNC || !s.writerSync())) {
            out.add("sync degraded: writer " + s.writer() + " commits without waiting for a standby (SYNC mode)");
        }
        s.standby().ifPresent(standby -> {
            if (!s.standbyEligible()) {
                out.add("standby " + standby + " is not eligible for promotion ("
                        + (s.mode() == Durability.SYNC ? "not confirmed in sync" : "not streaming, or lagging over max-lag-bytes")
                        + "): a writer failure now means no automatic failover");
            }
        });
        s.switchover().ifPresent(w -> out.add("switchover " + w.from() + " -> " + w.to() + " under way since " + w.startedAt()));
        return out;
    }
}
