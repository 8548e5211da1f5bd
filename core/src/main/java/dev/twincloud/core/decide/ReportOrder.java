package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.AgentReport;

/**
 * A place in one site's ordered stream of reports (docs/design.md rule 7), without the arrival time:
 * what the arbiter stores durably, so that it keeps ordering reports across its own restarts.
 * {@link #NONE} (0/0) is no place: an older agent's reports are not ordered. {@link #UNKNOWN} is
 * a barrier not known at all: a state file written before the barrier was stored.
 */
public record ReportOrder(long incarnation, long sequence) {

    public static final ReportOrder NONE = new ReportOrder(0, 0);
    /** The barrier of a state file from before it was stored: the previous run may have seen anything. */
    public static final ReportOrder UNKNOWN = new ReportOrder(-1, -1);

    public static ReportOrder of(AgentReport r) {
        return new ReportOrder(r.incarnation(), r.sequence());
    }

    /** A place in an order (not {@link #NONE}, not {@link #UNKNOWN}). */
    public boolean ordered() {
        return incarnation > 0 || sequence > 0;
    }

    /** Whether {@code r} (ordered) comes after this place; false for an unordered report or place. */
    public boolean isBefore(AgentReport r) {
        if (!ordered() || (r.incarnation() == 0 && r.sequence() == 0)) {
            return false;
        }
        return r.incarnation() != incarnation ? r.incarnation() > incarnation : r.sequence() > sequence;
    }

    /** Whether this place is at or after {@code other} (two ordered places). */
    public boolean isAtLeast(ReportOrder other) {
        return incarnation != other.incarnation ? incarnation > other.incarnation : sequence >= other.sequence;
    }

    /** The later of the two places (an unordered one counts as the earliest). */
    public ReportOrder max(ReportOrder other) {
        if (!ordered()) {
            return other;
        }
        return !other.ordered() || isAtLeast(other) ? this : other;
    }
}
