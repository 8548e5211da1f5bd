package dev.twincloud.edge;

import java.time.Instant;
import java.util.Optional;

/**
 * The health-check state machine of one backend, free of I/O and clocks so the threshold logic is
 * tested by tables: feed it probe results with the time they completed.
 *
 * <p>A backend starts <em>unhealthy</em>, like a new backend behind a cloud load balancer: the edge
 * must see {@code healthyThreshold} successes in a row before it sends a site traffic, so a site that
 * has just started is never trusted on one lucky probe. It turns unhealthy after
 * {@code unhealthyThreshold} failures in a row. A result that agrees with the current state only
 * resets the opposite counter.
 *
 * <p>With {@code definitiveDownAtOnce} (the edge's {@code lab} profile), a <em>definitive</em> failure
 * — the backend answered that it is not the writer — turns a healthy backend unhealthy at once,
 * whatever the threshold: there is nothing to wait out, the site said so. Slow or failed probes
 * (timeouts, connection errors) still count towards the threshold, so load that slows the health
 * answer down cannot flip the writer on one late probe. Without it (the {@code cloud} profile, like a
 * cloud load balancer, which cannot tell the two apart), every failure counts the same.
 *
 * <p>It also remembers whether the backend was ever healthy and whether it has said "not the writer"
 * since ({@link #lastResort()}): with {@code definitiveDownAtOnce}, {@link BackendPool} keeps sending
 * traffic to a writer that turned unhealthy through slow probes only while no other backend is
 * healthy, rather than answering 503 itself.
 *
 * <p>Not thread-safe: the owner ({@link BackendPool}) serialises access.
 */
public final class HealthState {

    /** A change of health, for logs and metrics. */
    public record Transition(boolean healthy, Instant at, int consecutive) {
    }

    private final int healthyThreshold;
    private final int unhealthyThreshold;
    private final boolean definitiveDownAtOnce;
    private boolean healthy;
    private int consecutiveOk;
    private int consecutiveFail;
    private Instant lastChange;
    private boolean everHealthy;
    /** A definitive "not the writer" came since the backend was last healthy. */
    private boolean saidNotWriter;

    public HealthState(int healthyThreshold, int unhealthyThreshold, Instant start) {
        this(healthyThreshold, unhealthyThreshold, false, start);
    }

    public HealthState(int healthyThreshold, int unhealthyThreshold, boolean definitiveDownAtOnce, Instant start) {
        if (healthyThreshold < 1 || unhealthyThreshold < 1) {
            throw new IllegalArgumentException("thresholds must be >= 1");
        }
        this.healthyThreshold = healthyThreshold;
        this.unhealthyThreshold = unhealthyThreshold;
        this.definitiveDownAtOnce = definitiveDownAtOnce;
        this.lastChange = start;
    }

    /** Records one probe result that is a success or a non-definitive failure. */
    public Optional<Transition> record(boolean success, Instant now) {
        return record(success, false, now);
    }

    /**
     * Records one probe result; returns the transition it caused, if any.
     *
     * @param definitive for a failure: the backend answered for certain that it is not the writer
     */
    public Optional<Transition> record(boolean success, boolean definitive, Instant now) {
        if (success) {
            saidNotWriter = false;
            consecutiveOk++;
            consecutiveFail = 0;
            if (!healthy && consecutiveOk >= healthyThreshold) {
                healthy = true;
                everHealthy = true;
                lastChange = now;
                return Optional.of(new Transition(true, now, consecutiveOk));
            }
        } else {
            saidNotWriter |= definitive;
            consecutiveFail++;
            consecutiveOk = 0;
            if (healthy && (consecutiveFail >= unhealthyThreshold || (definitive && definitiveDownAtOnce))) {
                healthy = false;
                lastChange = now;
                return Optional.of(new Transition(false, now, consecutiveFail));
            }
        }
        return Optional.empty();
    }

    public boolean healthy() {
        return healthy;
    }

    /**
     * Unhealthy, but only through slow or failed probes since it was last healthy (it never answered
     * "not the writer" since): with {@code definitiveDownAtOnce}, the backend to keep using when no
     * other is healthy — its database's lease guard, not routing, refuses writes it may not take.
     */
    public boolean lastResort() {
        return definitiveDownAtOnce && !healthy && everHealthy && !saidNotWriter;
    }

    /**
     * {@link #lastResort()} for at most {@code bound} after the backend turned unhealthy: long enough to
     * ride out health answers delayed by load (a few probes), short enough that a hung site (a frozen
     * VM) does not keep the traffic — requests sent to it hang until the client's timeout, which would
     * add to the failover's RTO.
     */
    public boolean lastResort(Instant now, java.time.Duration bound) {
        return lastResort() && !now.isAfter(lastChange.plus(bound));
    }

    public int consecutiveOk() {
        return consecutiveOk;
    }

    public int consecutiveFail() {
        return consecutiveFail;
    }

    /** When the state last flipped (or the start time if it never did). */
    public Instant lastChange() {
        return lastChange;
    }
}
