package dev.twincloud.edge;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes every backend once per interval, each on its own virtual thread so that one slow backend
 * never delays the verdict on another. Probes of one backend never overlap: the next starts one
 * interval after the previous one started, or right after it ended if it took longer. While no
 * backend is healthy the pause is the (shorter) none-healthy interval instead, so the edge finds a
 * new writer soon after it became one.
 */
public final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final BackendPool pool;
    private final Prober prober;
    private final Duration interval;
    private final Duration noneHealthyInterval;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean running;

    public HealthChecker(BackendPool pool, Prober prober, Duration interval, Duration noneHealthyInterval) {
        this.pool = pool;
        this.prober = prober;
        this.interval = interval;
        this.noneHealthyInterval = noneHealthyInterval;
    }

    public synchronized void start() {
        if (running) {
            return;
        }
        running = true;
        for (Backend b : pool.backends()) {
            threads.add(Thread.ofVirtual().name("health-" + b.name()).start(() -> loop(b)));
        }
    }

    private void loop(Backend backend) {
        while (running) {
            long started = System.nanoTime();
            Prober.Result r;
            try {
                r = prober.probe(backend);
            } catch (RuntimeException e) {
                r = new Prober.Result(false, e.toString());
            }
            if (!running) {
                return;
            }
            pool.record(backend, r);
            long intervalNanos = (pool.anyHealthy() ? interval : noneHealthyInterval).toNanos();
            long wait = intervalNanos - (System.nanoTime() - started);
            if (wait > 0) {
                LockSupport.parkNanos(wait); // bounded: at most one interval
            }
        }
    }

    @Override
    public synchronized void close() {
        running = false;
        for (Thread t : threads) {
            t.interrupt();
        }
        for (Thread t : threads) {
            try {
                if (!t.join(Duration.ofSeconds(2))) {
                    log.warn("health thread {} did not stop within 2 s", t.getName());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        threads.clear();
    }
}
