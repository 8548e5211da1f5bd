package dev.twincloud.core.protocol;

import java.util.Objects;

/**
 * The standby's answer to a {@link PromiseRequest}. When {@code granted}, the standby will not be
 * promoted until {@code millis} (plus its margin) have passed from the request's arrival, so the
 * writer may keep its database lease until {@code t0 + millis}, {@code t0} taken before the request
 * left (the same lease math as an arbiter's grant, docs/design.md rule 2).
 *
 * @param why when refused, the reason (for the writer's log and status)
 */
public record PromiseAnswer(boolean granted, long epoch, long millis, String why) {
    public PromiseAnswer {
        Objects.requireNonNull(why, "why");
        if (granted && millis < 1) {
            throw new IllegalArgumentException("a granted promise lasts at least 1 ms");
        }
    }

    public static PromiseAnswer grant(long epoch, long millis) {
        return new PromiseAnswer(true, epoch, millis, "");
    }

    public static PromiseAnswer refuse(long epoch, String why) {
        return new PromiseAnswer(false, epoch, 0, why);
    }
}
