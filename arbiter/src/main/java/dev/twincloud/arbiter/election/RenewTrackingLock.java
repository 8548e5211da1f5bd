package dev.twincloud.arbiter.election;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * A {@link Lock} (fabric8's Lease lock) that also knows until when this replica may act: until
 * {@code renewDeadline} after the renew time it last wrote successfully as the holder, on its own
 * monotonic clock. Another replica may take the Lease only {@code leaseDuration} after that renew
 * time, so this replica stops acting {@code leaseDuration - renewDeadline} before anyone else can
 * start, independently of when fabric8 calls back.
 */
final class RenewTrackingLock implements Lock {

    private final Lock delegate;
    private final long renewDeadlineNanos;
    private final LongSupplier nanoTime;
    private final Supplier<ZonedDateTime> wallClock;
    /** Monotonic time until which this replica may act; meaningful only when {@link #held}. */
    private volatile long validUntil;
    private volatile boolean held;

    RenewTrackingLock(Lock delegate, Duration renewDeadline, LongSupplier nanoTime, Supplier<ZonedDateTime> wallClock) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.renewDeadlineNanos = renewDeadline.toNanos();
        this.nanoTime = nanoTime;
        this.wallClock = wallClock;
    }

    /** Whether this replica holds the Lease by its last successful write and is within the renew deadline. */
    boolean valid() {
        return held && nanoTime.getAsLong() - validUntil < 0;
    }

    /** Stop acting now, whatever the Lease says (stepping down, shutting down). */
    void invalidate() {
        held = false;
    }

    @Override
    public LeaderElectionRecord get(KubernetesClient client) {
        return delegate.get(client);
    }

    @Override
    public void create(KubernetesClient client, LeaderElectionRecord record) {
        write(record, () -> delegate.create(client, record));
    }

    @Override
    public void update(KubernetesClient client, LeaderElectionRecord record) {
        write(record, () -> delegate.update(client, record));
    }

    private void write(LeaderElectionRecord record, Runnable call) {
        if (!identity().equals(record.getHolderIdentity())) {
            held = false; // releasing (or writing for someone else): stop acting before the write
            call.run();
            return;
        }
        // Age of the renew time in the record when the request is sent: the deadline runs from the
        // renew time the others will see, not from when the answer arrived.
        long sent = nanoTime.getAsLong();
        long ageNanos = record.getRenewTime() == null ? 0
                : Math.max(0, Duration.between(record.getRenewTime(), wallClock.get()).toNanos());
        call.run(); // throws when the write did not happen (conflict, forbidden, timeout): nothing changes
        validUntil = sent - ageNanos + renewDeadlineNanos;
        held = true;
    }

    @Override
    public String identity() {
        return delegate.identity();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }
}
