package dev.twincloud.core.failsafe;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.util.Objects;

/**
 * The standby's side of the failsafe (docs/design.md rule 9): which promises it gives, and when
 * it may be promoted. A pure policy over the times it is given (monotonic nanoseconds of the
 * agent's process); thread-safe, since promise requests arrive on the agent's web threads while its
 * loop asks whether a promotion may go ahead.
 *
 * <p>The standby promises the writer of the newest epoch it was told of ({@link #assigned}) not to be
 * promoted for {@code duration} from the request's arrival, only while it follows that writer: it runs
 * as a standby, streams from it, and lags at most {@code maxLagBytes} behind the position the writer
 * sent. A run that has not been told of any epoch yet (the agent just started and the arbiter has not
 * answered it) takes the asking writer's epoch and writer as the newest it knows. It then holds every promotion until the latest promise has ended plus {@code margin}. An agent
 * that (re)starts does not know what an earlier run promised: it holds promotions for one promise and
 * margin from its start.
 *
 * <p>Why a promotion and a promise cannot cross: the agent records every assignment here before it
 * asks {@link #promotionHeld}, and an assignment that promotes this site names a newer epoch (or this
 * site as the writer). A request judged before the record extends the hold the agent then sees; one
 * judged after it is refused.
 */
public final class PromiseKeeper {

    /** What the standby's agent observes of itself now, for judging a request. */
    public record Self(SiteState state, DbRole role, boolean streaming, Lsn receiveLsn) {
        public Self {
            Objects.requireNonNull(state, "state");
            Objects.requireNonNull(role, "role");
            Objects.requireNonNull(receiveLsn, "receiveLsn");
        }
    }

    private final Duration duration;
    private final Duration margin;
    private final long maxLagBytes;
    /** The newest epoch this agent was told of, and its writer (null before the first assignment). */
    private long epoch;
    private SiteId writer;
    /** Promotions are held until then (nanoTime). */
    private long holdUntilNanos;
    /** The end of the latest promise itself, without the margin (nanoTime; the start until one is given). */
    private long promisedUntilNanos;

    public PromiseKeeper(Duration duration, Duration margin, long maxLagBytes, long startNanos) {
        if (duration.isNegative() || duration.isZero() || margin.isNegative() || maxLagBytes < 0) {
            throw new IllegalArgumentException("promise duration must be positive, margin and max lag not negative");
        }
        this.duration = duration;
        this.margin = margin;
        this.maxLagBytes = maxLagBytes;
        this.holdUntilNanos = startNanos + duration.toNanos() + margin.toNanos();
        this.promisedUntilNanos = startNanos;
    }

    public Duration duration() {
        return duration;
    }

    /** The arbiter told this site that {@code writer} is the writer of {@code epoch} (an older epoch is ignored). */
    public synchronized void assigned(long epoch, SiteId writer) {
        Objects.requireNonNull(writer, "writer");
        if (this.writer == null || epoch >= this.epoch) {
            this.epoch = epoch;
            this.writer = writer;
        }
    }

    /** Judges {@code request}, which arrived at {@code arrivalNanos}, against what this standby is now. */
    public synchronized PromiseAnswer consider(PromiseRequest request, Self self, long arrivalNanos) {
        String refusal = refusal(request, self);
        if (refusal != null) {
            return PromiseAnswer.refuse(epoch, refusal);
        }
        if (writer == null) {
            // A fresh run, not yet answered by the arbiter, takes the asking writer's epoch as the newest
            // it knows. Safe: a newer epoch that promotes this site waits out this promise (and this
            // run's start hold) like any other.
            epoch = request.epoch();
            writer = request.writer();
        }
        long end = arrivalNanos + duration.toNanos();
        if (end - promisedUntilNanos > 0) {
            promisedUntilNanos = end;
        }
        long hold = end + margin.toNanos();
        if (hold - holdUntilNanos > 0) {
            holdUntilNanos = hold;
        }
        return PromiseAnswer.grant(request.epoch(), duration.toMillis());
    }

    private String refusal(PromiseRequest r, Self self) {
        if (writer != null && epoch != r.epoch()) {
            return "this standby knows epoch " + epoch + ", the request is of " + r.epoch();
        }
        if (writer != null && !r.writer().equals(writer)) {
            return "the writer of epoch " + epoch + " is " + writer + ", not " + r.writer();
        }
        if (self.state() != SiteState.STANDBY || self.role() != DbRole.STANDBY) {
            return "not a running standby (" + self.state() + ", database " + self.role() + ")";
        }
        if (!self.streaming()) {
            return "not streaming from " + r.writer();
        }
        long lag = r.writeLsn().bytesAfter(self.receiveLsn());
        if (lag > maxLagBytes) {
            return "lagging " + lag + " bytes behind " + r.writer() + " (max " + maxLagBytes + ")";
        }
        return null;
    }

    /** Whether a promotion must wait now: a promise given (or one an earlier run may have given) still holds. */
    public synchronized boolean promotionHeld(long nowNanos) {
        return nowNanos - holdUntilNanos < 0;
    }

    /** How long promotions stay held from {@code nowNanos}, in whole milliseconds rounded up (0: none). */
    public synchronized long heldForMillis(long nowNanos) {
        long left = holdUntilNanos - nowNanos;
        return left <= 0 ? 0 : (left + 999_999) / 1_000_000;
    }

    /** How long the latest promise itself still lasts, in whole milliseconds rounded up, for reports (0: none). */
    public synchronized long promiseMillis(long nowNanos) {
        long left = promisedUntilNanos - nowNanos;
        return left <= 0 ? 0 : (left + 999_999) / 1_000_000;
    }
}
