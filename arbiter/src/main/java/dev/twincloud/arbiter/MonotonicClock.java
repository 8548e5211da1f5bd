package dev.twincloud.arbiter;

import java.time.Instant;
import java.time.InstantSource;

/**
 * The arbiter's clock: wall-clock time at start-up plus elapsed {@link System#nanoTime()}. Lease
 * math must not follow steps of the wall clock: a step forward would end the writer's lease early by
 * the arbiter's reckoning while it is still valid in the writer's database (two writers). The price
 * is that event timestamps may drift from wall time by the clock's slew (ppm) over a long run.
 */
final class MonotonicClock implements InstantSource {
    private final Instant base = Instant.now();
    private final long baseNanos = System.nanoTime();

    @Override
    public Instant instant() {
        return base.plusNanos(System.nanoTime() - baseNanos);
    }
}
