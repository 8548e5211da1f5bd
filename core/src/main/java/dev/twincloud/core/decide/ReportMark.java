package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.AgentReport;
import java.time.Instant;
import java.util.Objects;

/**
 * A place in one site's stream of reports (docs/design.md rule 7): the report's incarnation and
 * sequence, and when the arbiter received it.
 *
 * <p>Order: two <em>ordered</em> reports (incarnation or sequence not 0) compare by (incarnation,
 * sequence). A report of an older agent carries 0/0 and cannot be ordered that way; it, and anything
 * compared with a mark that has no order, is judged by arrival at the arbiter instead (later arrival
 * = later report), which is all an older agent allows.
 */
public record ReportMark(long incarnation, long sequence, Instant receivedAt) {

    public ReportMark {
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    public static ReportMark of(Observed o) {
        return new ReportMark(o.report().incarnation(), o.report().sequence(), o.receivedAt());
    }

    /** A mark without order at {@code at}: only reports received after {@code at} come after it. */
    public static ReportMark arrivalAfter(Instant at) {
        return new ReportMark(0, 0, at);
    }

    /** This mark's place in the stream, without its arrival time. */
    ReportOrder order() {
        return new ReportOrder(incarnation, sequence);
    }

    boolean ordered() {
        return order().ordered();
    }

    /** Whether {@code o} comes after this mark in its site's stream of reports. */
    public boolean isBefore(Observed o) {
        AgentReport r = o.report();
        if (ordered() && ReportOrder.of(r).ordered()) {
            return order().isBefore(r);
        }
        return o.receivedAt().isAfter(receivedAt);
    }

    /**
     * Whether the arbiter may take {@code incoming} as the newest report of its site in place of
     * {@code stored} (null: none yet). Both ordered: only a newer one. Otherwise (an older agent's
     * 0/0 on either side): yes, in arrival order, as before reports were ordered.
     */
    public static boolean supersedes(AgentReport incoming, AgentReport stored) {
        if (stored == null || !ReportOrder.of(incoming).ordered() || !ReportOrder.of(stored).ordered()) {
            return true;
        }
        return incoming.isNewerThan(stored);
    }
}
