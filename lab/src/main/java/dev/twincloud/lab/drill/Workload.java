package dev.twincloud.lab.drill;

import dev.twincloud.lab.drill.History.Op;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The client workload of one run, through the edge:
 * <ul>
 *   <li>writers: each sends writes with a fresh Idempotency-Key, retries a failed or unanswered one
 *       with the <em>same</em> key until it is acknowledged (bounded), then reads it back
 *       (read-your-writes); every 10th acknowledged key is sent once more to check the replay;</li>
 *   <li>readers: read keys other clients had acknowledged (read availability, monotonic reads);</li>
 *   <li>direct readers (when the sites' API URLs are known): read recently acknowledged keys straight
 *       from each site's API in turn, bypassing the edge, so that reads served by a standby or a
 *       deposed writer are judged too (client ids from {@link #DIRECT_CLIENT_BASE}, left out of the figures).</li>
 * </ul>
 * With home entries (an active-active lab, {@code lab drill --active-active}) the writers and readers are spread over
 * the entries, half on each (client i on entry i mod 2), instead of the one edge entry, and every client is read-local:
 * it sends {@code Twincloud-Min-Lsn} with the most it has seen ({@link DrillClient}).
 * Every loop is bounded by {@code maxDuration}, whatever happens to {@link #close()}.
 */
final class Workload implements AutoCloseable {
    private static final int MAX_ATTEMPTS_PER_KEY = 400;
    /** Client ids of the direct readers start here. */
    static final int DIRECT_CLIENT_BASE = 1000;

    record Acked(String key, String id) {
    }

    private final List<Thread> threads = new ArrayList<>();
    private final List<Acked> acked = new CopyOnWriteArrayList<>();
    private volatile boolean stop;

    Workload(String edgeUrl, String token, History history, String keyPrefix, int writers, int readers, long paceMs,
             Duration maxDuration, long seed) {
        this(edgeUrl, token, history, keyPrefix, writers, readers, paceMs, maxDuration, seed, java.util.Map.of());
    }

    /** @param siteApis site name to its API's base URL, for the direct reader; empty: none */
    Workload(String edgeUrl, String token, History history, String keyPrefix, int writers, int readers, long paceMs,
             Duration maxDuration, long seed, java.util.Map<String, String> siteApis) {
        this(edgeUrl, token, history, keyPrefix, writers, readers, paceMs, maxDuration, seed, siteApis, java.util.Map.of());
    }

    /**
     * @param homeEntries entry name to URL (active-active: {@code edge-gcp}, {@code edge-aws}); empty: every client on
     *                    {@code edgeUrl}, not read-local
     */
    Workload(String edgeUrl, String token, History history, String keyPrefix, int writers, int readers, long paceMs,
             Duration maxDuration, long seed, java.util.Map<String, String> siteApis, java.util.Map<String, String> homeEntries) {
        long end = System.nanoTime() + maxDuration.toNanos();
        Duration timeout = Duration.ofSeconds(2);
        List<java.util.Map.Entry<String, String>> entries = List.copyOf(new java.util.TreeMap<>(homeEntries).entrySet());
        java.util.function.IntFunction<DrillClient> clientFor = c -> entries.isEmpty()
                ? new DrillClient(edgeUrl, token, history, timeout)
                : new DrillClient(entries.get(c % entries.size()).getValue(), token, history, timeout, "",
                entries.get(c % entries.size()).getKey(), true);
        for (int c = 0; c < writers; c++) {
            int client = c;
            DrillClient http = clientFor.apply(c);
            threads.add(Thread.ofVirtual().name("drill-writer-" + c).start(() -> {
                int seq = 0;
                while (!stop && System.nanoTime() < end) {
                    String key = keyPrefix + "-c" + client + "-" + seq++;
                    Op last = null;
                    for (int attempt = 1; attempt <= MAX_ATTEMPTS_PER_KEY && !stop && System.nanoTime() < end; attempt++) {
                        last = http.write(client, key, attempt);
                        if (last.ok() || (last.status() >= 400 && last.status() < 500)) {
                            break;
                        }
                        pause(paceMs);
                    }
                    if (last != null && last.ok() && last.id() != null) {
                        acked.add(new Acked(key, last.id()));
                        http.read(client, key, last.id());
                        if (seq % 10 == 0) {
                            http.write(client, key, 0); // attempt 0: a deliberate replay of an acknowledged key
                        }
                    }
                    pause(paceMs);
                }
            }));
        }
        Random random = new Random(seed);
        for (int c = 0; c < readers; c++) {
            int client = writers + c;
            DrillClient http = clientFor.apply(client);
            threads.add(Thread.ofVirtual().name("drill-reader-" + c).start(() -> {
                while (!stop && System.nanoTime() < end) {
                    int n = acked.size();
                    if (n > 0) {
                        Acked a;
                        synchronized (random) {
                            // mostly recent keys: a stale replica shows first there
                            a = acked.get(Math.max(0, n - 1 - random.nextInt(Math.min(n, 20))));
                        }
                        http.read(client, a.key(), a.id());
                    }
                    pause(paceMs * 2);
                }
            }));
        }
        if (!siteApis.isEmpty()) {
            List<java.util.Map.Entry<String, String>> sites = List.copyOf(new java.util.TreeMap<>(siteApis).entrySet());
            List<DrillClient> direct = sites.stream().map(e -> new DrillClient(e.getValue(), token, history, timeout, e.getKey())).toList();
            threads.add(Thread.ofVirtual().name("drill-direct-reader").start(() -> {
                int i = 0;
                while (!stop && System.nanoTime() < end) {
                    int n = acked.size();
                    if (n > 0) {
                        Acked a = acked.get(n - 1); // the newest: a lagging or deposed site shows first there
                        direct.get(i++ % direct.size()).read(DIRECT_CLIENT_BASE, a.key(), a.id());
                    }
                    pause(paceMs * 2);
                }
            }));
        }
    }

    int ackedCount() {
        return acked.size();
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop = true;
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
