package dev.twincloud.lab.backup;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@code lab up}'s scheduled base backups, as the chart's {@code ScheduledBackup} takes them in production
 * (docs/backups.md): every store in turn (each from its own site's database, a standby's from the standby), the
 * first {@code first} after the lab is up — so that a fresh lab can be restored and recovered without anyone
 * thinking of {@code lab backup} — then {@code every} after the previous round ended (never two at once). A store
 * whose backup fails is reported and tried again at the next round; the others go on.
 */
public final class BackupSchedule implements AutoCloseable {
    /** What happened to a store's last scheduled backup. */
    public record Outcome(String store, Instant at, Optional<BaseBackup> backup, Optional<String> error, Duration took) {
    }

    private final ScheduledExecutorService timer;
    private final List<ObjectStore> stores;
    private final Function<ObjectStore, BaseBackup> backup;
    private final Consumer<String> log;
    private final Duration every;
    private final Map<String, Outcome> last = new ConcurrentHashMap<>();

    private BackupSchedule(List<ObjectStore> stores, Function<ObjectStore, BaseBackup> backup, Duration every, Consumer<String> log) {
        this.stores = List.copyOf(stores);
        this.backup = backup;
        this.every = every;
        this.log = log;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lab-backup-schedule");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts the schedule: {@code backup} of each of {@code stores} (e.g. {@link LabBackups#backup}), first after
     * {@code first}, then {@code every} after each round. {@code every} must be positive.
     */
    public static BackupSchedule start(List<ObjectStore> stores, Function<ObjectStore, BaseBackup> backup, Duration first,
                                       Duration every, Consumer<String> log) {
        if (every.isZero() || every.isNegative()) {
            throw new IllegalArgumentException("the interval between scheduled backups must be positive, not " + every);
        }
        BackupSchedule s = new BackupSchedule(stores, backup, every, log);
        s.timer.scheduleWithFixedDelay(s::round, Math.max(0, first.toMillis()), every.toMillis(), TimeUnit.MILLISECONDS);
        return s;
    }

    /** The last scheduled backup of each store that had one, by store name. */
    public Map<String, Outcome> last() {
        return Map.copyOf(last);
    }

    private void round() {
        for (ObjectStore s : stores) {
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
            long t0 = System.nanoTime();
            Outcome o;
            try {
                BaseBackup b = backup.apply(s);
                o = new Outcome(s.name(), Instant.now(), Optional.of(b), Optional.empty(), Duration.ofNanos(System.nanoTime() - t0));
                log.accept(String.format(Locale.ROOT, "scheduled base backup: store %s, backup %s of site %s (from the %s), took %.1f s",
                        s.name(), b.id(), s.site(), b.fromStandby() ? "standby" : "primary", o.took().toMillis() / 1000.0));
            } catch (RuntimeException e) {
                o = new Outcome(s.name(), Instant.now(), Optional.empty(), Optional.of(String.valueOf(e.getMessage())),
                        Duration.ofNanos(System.nanoTime() - t0));
                log.accept("scheduled base backup into store " + s.name() + " failed: " + e.getMessage() + " (tried again in "
                        + every.toString().substring(2).toLowerCase(Locale.ROOT) + ")");
            }
            last.put(s.name(), o);
        }
    }

    /** Stops the schedule; a backup under way is interrupted. */
    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
