package dev.twincloud.core.decide;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.LeaseGrant;
import java.time.Instant;
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
}
