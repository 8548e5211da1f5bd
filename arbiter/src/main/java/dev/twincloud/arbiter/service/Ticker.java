package dev.twincloud.arbiter.service;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Calls {@link ArbiterService#tick()} every {@code interval} on one virtual thread, so that a silent
 * writer is failed over and alerts are raised even when no heartbeat arrives. A failing tick is
 * logged and the next one runs.
 */
public final class Ticker implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Ticker.class);

    private final Runnable tick;
    private final Duration interval;
    private volatile ScheduledExecutorService executor;
    private volatile String lastFailure = "";

    public Ticker(Runnable tick, Duration interval) {
        this.tick = tick;
        this.interval = interval;
    }

    @Override
    public void start() {
        var ex = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().name("arbiter-tick").factory());
        long nanos = interval.toNanos();
        ex.scheduleWithFixedDelay(this::safeTick, nanos, nanos, TimeUnit.NANOSECONDS);
        executor = ex;
        log.info("deciding every {} ms without heartbeats too", interval.toMillis());
    }

    private void safeTick() {
        try {
            tick.run();
            lastFailure = "";
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            if (!msg.equals(lastFailure)) { // once per distinct failure, not every tick
                log.error("periodic decision failed: {}", msg, e);
                lastFailure = msg;
            }
        }
    }

    @Override
    public void stop() {
        ScheduledExecutorService ex = executor;
        executor = null;
        if (ex != null) {
            ex.shutdownNow();
            try {
                if (!ex.awaitTermination(5, TimeUnit.SECONDS)) {
                    log.warn("the tick did not stop within 5 s");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return executor != null;
    }
}
