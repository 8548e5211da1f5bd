package dev.twincloud.pgctl;

import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;

/** Bounded polling: every wait in pgctl goes through here, so none can hang forever. */
final class Poll {
    private Poll() {
    }

    /** Polls until {@code probe} yields a value or {@code timeout} passes; the last exception is kept for messages. */
    static <T> Optional<T> until(Duration timeout, Duration interval, Supplier<Optional<T>> probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<T> v = probe.get();
            if (v.isPresent() || System.nanoTime() - deadline > 0) {
                return v;
            }
            try {
                Thread.sleep(interval.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
    }

    static boolean until(Duration timeout, Supplier<Boolean> condition) {
        return until(timeout, Duration.ofMillis(50), () -> condition.get() ? Optional.of(true) : Optional.empty())
                .isPresent();
    }
}
