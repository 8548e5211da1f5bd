package dev.twincloud.lab.drill;

import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The traffic of scenario {@code load}: first the maximum write rate through the edge, measured in a
 * closed loop ({@link #measure}: {@code clients} clients each sending the next write as soon as the last
 * one is answered), then writes at a fixed rate in an <em>open loop</em> (a request is sent when it is
 * due, whether or not earlier ones were answered, as real clients do; a closed loop would slow down with
 * the system and hide the problem). Each open-loop write has a fresh Idempotency-Key and is sent once,
 * recorded in the run's {@link History} like any other write (clients from {@link #CLIENT_BASE}: one id
 * per in-flight request, so one client's operations never overlap). At most {@code maxInFlight}
 * requests are outstanding; a request due while all are taken is skipped and counted.
 */
final class OpenLoad implements AutoCloseable {

    /** Client ids of the open-loop writes start here (below {@link Workload#DIRECT_CLIENT_BASE}: they count in the figures). */
    static final int CLIENT_BASE = 200;

    /**
     * What the closed loop measured.
     *
     * @param edgeMade503s answers the edge made itself ({@code Twincloud-Edge}) during the measurement
     */
    record Measured(int clients, Duration duration, int ok, int failed, int edgeMade503s) {
        /** Acknowledged writes per second. */
        double rate() {
            return ok * 1000.0 / Math.max(1, duration.toMillis());
        }
    }

    /** The open-loop rate: {@code fraction} of the measured maximum, rounded up to a tenth, at least one per second. */
    static double targetRate(double maxRate, double fraction) {
        if (!(fraction > 0) || fraction > 1) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        if (Double.isNaN(maxRate) || maxRate < 0) {
            throw new IllegalArgumentException("maximum rate must be >= 0, got " + maxRate);
        }
        return Math.max(1.0, Math.ceil(maxRate * fraction * 10) / 10);
    }

    /** When request {@code i} (from 0) of an open loop at {@code ratePerSecond} is due, in ns after the start. */
    static long dueNanos(long i, double ratePerSecond) {
        return Math.round(i * 1e9 / ratePerSecond);
    }

    /** How many requests an open loop at {@code ratePerSecond} sends in {@code duration}. */
    static long requestsIn(Duration duration, double ratePerSecond) {
        long n = 0;
        while (dueNanos(n, ratePerSecond) < duration.toNanos()) {
            n++;
        }
        return n;
    }

    /**
     * The maximum write rate through {@code edgeUrl}: {@code clients} closed-loop writers for
     * {@code duration}, keys {@code keyPrefix-m<client>-<n>} (a prefix the run's checks do not read).
     */
    static Measured measure(String edgeUrl, String token, String keyPrefix, int clients, Duration duration) {
        History scratch = new History(System.nanoTime());
        long end = System.nanoTime() + duration.toNanos();
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            int client = c;
            DrillClient http = new DrillClient(edgeUrl, token, scratch, Duration.ofSeconds(2));
            threads[c] = Thread.ofVirtual().name("load-measure-" + c).start(() -> {
                int seq = 0;
                do { // at least once: on a starved machine a client may first run after the end
                    http.write(client, keyPrefix + "-m" + client + "-" + seq++, 1);
                } while (System.nanoTime() < end);
            });
        }
        for (Thread t : threads) {
            try {
                t.join(duration.plusSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        var ops = scratch.ops();
        return new Measured(clients, duration, (int) ops.stream().filter(History.Op::ok).count(),
                (int) ops.stream().filter(o -> !o.ok()).count(), (int) ops.stream().filter(History.Op::edgeMade503).count());
    }

    private final Thread generator;
    private final AtomicInteger sent = new AtomicInteger();
    private final AtomicInteger skipped = new AtomicInteger();
    private final BlockingQueue<Integer> freeClients;
    private volatile boolean stop;

    /** Starts writing at {@code ratePerSecond} for {@code duration}, recorded in {@code history}. */
    OpenLoad(String edgeUrl, String token, History history, String keyPrefix, double ratePerSecond, Duration duration,
             int maxInFlight) {
        if (!(ratePerSecond > 0)) {
            throw new IllegalArgumentException("rate must be > 0, got " + ratePerSecond);
        }
        if (maxInFlight < 1 || maxInFlight > Workload.DIRECT_CLIENT_BASE - CLIENT_BASE) {
            throw new IllegalArgumentException("maxInFlight must be 1.." + (Workload.DIRECT_CLIENT_BASE - CLIENT_BASE));
        }
        freeClients = new ArrayBlockingQueue<>(maxInFlight);
        for (int i = 0; i < maxInFlight; i++) {
            freeClients.add(CLIENT_BASE + i);
        }
        DrillClient http = new DrillClient(edgeUrl, token, history, Duration.ofSeconds(2));
        long start = System.nanoTime();
        generator = Thread.ofPlatform().name("load-open-loop").daemon().start(() -> {
            for (long i = 0; !stop; i++) {
                long due = start + dueNanos(i, ratePerSecond);
                if (due - start >= duration.toNanos()) {
                    break;
                }
                long wait;
                while (!stop && (wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                Integer client = freeClients.poll();
                if (client == null) {
                    skipped.incrementAndGet();
                    continue;
                }
                String key = keyPrefix + "-o" + i;
                sent.incrementAndGet();
                Thread.ofVirtual().name("load-write-" + i).start(() -> {
                    try {
                        http.write(client, key, 1);
                    } finally {
                        freeClients.add(client);
                    }
                });
            }
        });
    }

    int sent() {
        return sent.get();
    }

    int skipped() {
        return skipped.get();
    }

    /** Waits for the schedule to end (bounded by {@code timeout}). */
    void awaitEnd(Duration timeout) throws InterruptedException {
        generator.join(timeout);
    }

    /** Stops sending and waits (bounded) for the requests in flight. */
    @Override
    public void close() {
        stop = true;
        try {
            generator.join(Duration.ofSeconds(5));
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (freeClients.remainingCapacity() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
