package dev.twincloud.lab.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * The benchmarks' write load: small {@code POST /v1/ecgs} (one lead of {@link #SAMPLES} samples, a fresh
 * Idempotency-Key each) from a fixed number of clients, for a bounded time, either as fast as the answers come
 * (closed loop: the maximum rate) or at a fixed rate (open loop: each request is due at its time, and its latency
 * counts from then, so waiting for a free client counts too). Shared by {@link EdgeThroughputBenchmark} and
 * {@link DistanceBenchmark}.
 */
final class WriteLoad {

    static final int SAMPLES = 500;

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    static final String BODY;

    static {
        StringBuilder b = new StringBuilder("{\"patientRef\":\"bench\",\"recordedAt\":\"2026-01-01T00:00:00Z\",\"samplingRateHz\":500,"
                + "\"leads\":{\"I\":[");
        for (int i = 0; i < SAMPLES; i++) {
            b.append(i == 0 ? "" : ",").append(i % 2000 - 1000);
        }
        BODY = b.append("]}}").toString();
    }

    /**
     * What one run gave: acknowledged writes per second, failed attempts (any answer but 201, or none), answers made
     * by the edge itself ({@code Twincloud-Edge}), and every attempt's latency in ms.
     */
    record Result(double rate, int errors, int edgeMade, List<Double> latenciesMs) {
        double p50() {
            return BenchStats.percentile(latenciesMs, 50);
        }

        double p99() {
            return BenchStats.percentile(latenciesMs, 99);
        }
    }

    private final String url;
    private final String token;

    /** Writes to {@code url} (an API's or the edge's {@code .../v1/ecgs}) with bearer {@code token}. */
    WriteLoad(String url, String token) {
        this.url = url;
        this.token = token;
    }

    /** {@code clients} clients, each sending its next write when its last one is answered, for {@code duration}. */
    Result closedLoop(int clients, Duration duration) throws InterruptedException {
        long end = System.nanoTime() + duration.toNanos();
        return run(clients, tally -> {
            while (System.nanoTime() < end) {
                long t0 = System.nanoTime();
                tally.record(post(tally.edgeMade), t0);
            }
        });
    }

    /**
     * {@code rate} writes per second due at fixed times for {@code duration}, sent by {@code clients} clients; a
     * write's latency counts from when it was due.
     */
    Result openLoop(int clients, double rate, Duration duration) throws InterruptedException {
        long slots = (long) Math.floor(rate * duration.toNanos() / 1e9);
        AtomicLong next = new AtomicLong();
        long start = System.nanoTime();
        return run(clients, tally -> {
            for (long i = next.getAndIncrement(); i < slots; i = next.getAndIncrement()) {
                long due = start + Math.round(i * 1e9 / rate);
                long wait;
                while ((wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                tally.record(post(tally.edgeMade), due);
            }
        });
    }

    /** What the clients of one run saw. */
    private static final class Tally {
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger errors = new AtomicInteger();
        final AtomicInteger edgeMade = new AtomicInteger();
        final ConcurrentLinkedQueue<Double> latencies = new ConcurrentLinkedQueue<>();

        void record(int status, long fromNanos) {
            latencies.add((System.nanoTime() - fromNanos) / 1e6);
            (status == 201 ? ok : errors).incrementAndGet();
        }
    }

    /** Runs {@code client} on {@code clients} virtual threads until each returns. */
    private static Result run(int clients, Consumer<Tally> client) throws InterruptedException {
        Tally tally = new Tally();
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            threads.add(Thread.ofVirtual().start(() -> client.accept(tally)));
        }
        for (Thread t : threads) {
            t.join();
        }
        double took = (System.nanoTime() - start) / 1e9;
        return new Result(tally.ok.get() / took, tally.errors.get(), tally.edgeMade.get(), new ArrayList<>(tally.latencies));
    }

    /** One POST; returns its status (0: no answer) and counts an edge-made answer. */
    private int post(AtomicInteger edgeMade) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .header("Idempotency-Key", "bench-" + UUID.randomUUID()).POST(HttpRequest.BodyPublishers.ofString(BODY)).build();
        try {
            HttpResponse<Void> r = HTTP.send(req, HttpResponse.BodyHandlers.discarding());
            if (r.headers().firstValue("Twincloud-Edge").isPresent()) {
                edgeMade.incrementAndGet();
            }
            return r.statusCode();
        } catch (IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
