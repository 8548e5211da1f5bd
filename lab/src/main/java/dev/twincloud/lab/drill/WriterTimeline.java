package dev.twincloud.lab.drill;

import dev.twincloud.core.decide.EventKind;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Which site was the writer when, from the arbiter's promotion events ({@code FAILOVER},
 * {@code SWITCHOVER_PROMOTE}, {@code FORCED_PROMOTION}) on the run's time axis. A promotion is
 * decided only after the old writer's lease ended in its database (docs/design.md rule 2), so a site that commits a
 * write outside its own period overlapped another writer — or wrote on the failsafe after the arbiter had ended its
 * epoch (rule 9 keeps only a running lease; a promise given after the standby's last report, to a request that left
 * just before the lease's end, is the one way left, and the standby then holds its promotion): either way a write
 * the arbiter had ended, which the checker reports. An unknown timeline (no arbiter to ask) answers "maybe" to
 * everything.
 */
public final class WriterTimeline {
    /** The writer from {@code fromMs} on, in {@code epoch}. */
    public record Period(double fromMs, long epoch, String site) {
    }

    /** A promotion as the arbiter recorded it. */
    public record Promotion(double atMs, EventKind kind, long epoch, String site) {
    }

    private final List<Period> periods;

    private WriterTimeline(List<Period> periods) {
        this.periods = periods;
    }

    public static WriterTimeline unknown() {
        return new WriterTimeline(List.of());
    }

    /** @param initialWriter the writer before the first promotion, {@code initialEpoch} its epoch */
    public static WriterTimeline of(String initialWriter, long initialEpoch, List<Promotion> promotions) {
        List<Period> p = new ArrayList<>();
        p.add(new Period(Double.NEGATIVE_INFINITY, initialEpoch, initialWriter));
        promotions.stream().sorted(Comparator.comparingDouble(Promotion::atMs))
                .forEach(x -> p.add(new Period(x.atMs(), x.epoch(), x.site())));
        return new WriterTimeline(List.copyOf(p));
    }

    public boolean known() {
        return !periods.isEmpty();
    }

    public List<Period> periods() {
        return periods;
    }

    public Optional<Period> at(double ms) {
        Period found = null;
        for (Period p : periods) {
            if (p.fromMs() <= ms) {
                found = p;
            }
        }
        return Optional.ofNullable(found);
    }

    /** Whether {@code site} was the writer at some instant of {@code [from, to]}. */
    public boolean writerSometimeIn(String site, double from, double to) {
        if (!known()) {
            return true;
        }
        for (int i = 0; i < periods.size(); i++) {
            Period p = periods.get(i);
            double end = i + 1 < periods.size() ? periods.get(i + 1).fromMs() : Double.POSITIVE_INFINITY;
            if (p.site().equals(site) && p.fromMs() <= to && end >= from) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code site} was the writer throughout {@code [from, to]}. */
    public boolean writerThroughout(String site, double from, double to) {
        if (!known()) {
            return true;
        }
        for (int i = 0; i < periods.size(); i++) {
            Period p = periods.get(i);
            double end = i + 1 < periods.size() ? periods.get(i + 1).fromMs() : Double.POSITIVE_INFINITY;
            if (p.fromMs() <= from && end >= to) {
                return p.site().equals(site);
            }
        }
        return false;
    }
}
