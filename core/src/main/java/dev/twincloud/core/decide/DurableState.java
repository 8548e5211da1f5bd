package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.Optional;

/**
 * What the arbiter stores (atomically, fsynced) before it acts on it. Epochs only grow (rule 3).
 *
 * @param epoch           current epoch; the writer of this epoch is the only site that may get leases in it
 * @param writer          the site assigned to write in this epoch
 * @param mode            durability mode
 * @param writerSync      whether the writer's goal is PRIMARY_SYNC (else PRIMARY_ASYNC)
 * @param standbyEligible whether the standby may be promoted automatically. Sync mode: it has had
 *                        every acknowledged commit since the writer last confirmed it in sync; cleared
 *                        before the writer may drop to async. Async mode: the writer's newest report
 *                        showed it streaming within max_lag; cleared (STANDBY_INELIGIBLE) in the
 *                        decision of the first writer report that shows otherwise, before that
 *                        report's lease renewal. Set again only from a writer report newer than the
 *                        last event that could have left the standby behind (docs/design.md rule 7)
 * @param switchover      a planned switchover in progress
 * @param systemId        the PostgreSQL system identifier both sites must share (0 = not yet known)
 * @param leaseEpoch      the epoch of the last lease granted
 * @param leaseReleased   the holder of the {@code leaseEpoch} lease confirmed it fenced itself
 */
public record DurableState(
        long epoch,
        SiteId writer,
        Durability mode,
        boolean writerSync,
        boolean standbyEligible,
        Optional<Switchover> switchover,
        long systemId,
        long leaseEpoch,
        boolean leaseReleased) {

    public record Switchover(SiteId from, SiteId to, Instant startedAt) {
    }

    public static DurableState initial(SiteId writer, Durability mode) {
        return new DurableState(1, writer, mode, false, false, Optional.empty(), 0, 0, false);
    }

    DurableState withEpochAndWriter(long newEpoch, SiteId newWriter) {
        if (newEpoch <= epoch) {
            throw new IllegalStateException("epochs only grow: " + epoch + " -> " + newEpoch);
        }
        return new DurableState(newEpoch, newWriter, mode, false, false, Optional.empty(), systemId, leaseEpoch, leaseReleased);
    }

    DurableState withWriterSync(boolean sync) {
        return new DurableState(epoch, writer, mode, sync, sync && standbyEligible, switchover, systemId, leaseEpoch, leaseReleased);
    }

    DurableState withStandbyEligible(boolean eligible) {
        return new DurableState(epoch, writer, mode, writerSync, eligible, switchover, systemId, leaseEpoch, leaseReleased);
    }

    DurableState withSwitchover(Optional<Switchover> s) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, s, systemId, leaseEpoch, leaseReleased);
    }

    DurableState withSystemId(long id) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, switchover, id, leaseEpoch, leaseReleased);
    }

    DurableState withLease(long granted, boolean released) {
        return new DurableState(epoch, writer, mode, writerSync, standbyEligible, switchover, systemId, granted, released);
    }

    DurableState withMode(Durability m) {
        return new DurableState(epoch, writer, m, false, false, switchover, systemId, leaseEpoch, leaseReleased);
    }
}
