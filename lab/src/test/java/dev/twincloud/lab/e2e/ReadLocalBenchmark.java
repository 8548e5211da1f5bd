package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.lab.supervisor.LabLayout;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Read-local active-active (issue 15), one lab started with {@code --active-active}, two figures:
 * <ol>
 *   <li><b>read throughput</b>: {@code bench.concurrency} clients (8) in a closed loop of {@code GET /v1/ecgs/{id}} over
 *       {@code bench.keys} (200) recordings written first, for {@code bench.seconds} (15 s) each way: all clients on one
 *       home entry (the writer's users', base+15 or base+25: one site serves every read), then half on each home
 *       entry (both sites serve). Reads per second and errors, and the ratio both / one (the target: ≥ 1.7);</li>
 *   <li><b>read availability through a writer kill</b>: the same clients, half on each home entry, each reading every
 *       {@code bench.paceMs} (20 ms) for {@code bench.failoverSeconds} (30 s); {@code SIGKILL} of the writer site
 *       after 5 s. Reads answered 2xx / reads sent per entry (the target for the standby's users: ≥ 99.9 %),
 *       and the longest run of failed reads per entry.</li>
 * </ol>
 * A {@code bench.warmup} (10 s) closed loop on both entries first is not measured (JIT). Both sites share this
 * machine's cores, so "both sites serving" here measures the spreading of the work over two API JVMs and two
 * PostgreSQL servers on one machine, not two machines' worth. Prints a table and writes
 * {@code lab/target/read-local-benchmark.md}. Run on an idle machine, jars packaged first:
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=ReadLocalBenchmark -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false};
 * {@code -Dbench.basePort} moves the lab (default 27800, ports base..base+47). Not part of {@code verify}.
 * {@code -Dbench.pinSites=true} pins each site to a CPU of its own; {@code -Dbench.client=wrk} reads with {@code wrk}
 * instead of this JVM; {@code -Dbench.direct=true} reads straight from each site's API (the global load balancer's
 * place, off the sites' machines in the clouds). The availability phase always uses this JVM and the home entries.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class ReadLocalBenchmark {

    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 8);
    static final int KEYS = Integer.getInteger("bench.keys", 200);
    static final Duration PHASE = Duration.ofSeconds(Long.getLong("bench.seconds", 15));
    static final Duration WARMUP = Duration.ofSeconds(Long.getLong("bench.warmup", 10));
    /** Rounds of the two throughput phases, one then both each time (the ratio is of the sums). */
    static final int ROUNDS = Integer.getInteger("bench.rounds", 1);
    static final Duration FAILOVER = Duration.ofSeconds(Long.getLong("bench.failoverSeconds", 30));
    static final long PACE_MS = Long.getLong("bench.paceMs", 20);
    static final int BASE_PORT = Integer.getInteger("bench.basePort", 27800);
    /**
     * Each site's processes (PostgreSQL with its backends, API, agent) pinned to a CPU of its own ({@code taskset}):
     * a stand-in for each cloud's own machines on this one; the edges, the arbiter and the clients share every CPU.
     */
    static final boolean PIN_SITES = Boolean.getBoolean("bench.pinSites");
    /**
     * Who reads: {@code java} (this JVM's HTTP client, the default) or {@code wrk} (one {@code wrk -t1} per entry, the
     * entry's share of the connections; a client that costs the sites' CPUs much less). With {@link #PIN_SITES} every
     * wrk runs on the last site's CPU: when both sites serve, that site shares its CPU with all the clients (which
     * counts against the ratio, not for it).
     */
    static final String CLIENT = System.getProperty("bench.client", "java");
    /**
     * Read straight from each site's API instead of through its users' home entry: the global load balancer's part,
     * which in the clouds runs on neither site's machines, taken off the sites' CPUs.
     */
    static final boolean DIRECT = Boolean.getBoolean("bench.direct");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();

    /** Reads of one entry over one phase. */
    record Count(String entry, long sent, long ok, long longestFailRun) {
        double availability() {
            return sent == 0 ? Double.NaN : 100.0 * ok / sent;
        }
    }

    @Test
    void readThroughputOnBothEntriesVsOneAndReadAvailabilityThroughAWriterKill() throws Exception {
        if (!CLIENT.equals("java") && !CLIENT.equals("wrk")) { // before a lab is started for nothing
            throw new IllegalArgumentException("bench.client must be java or wrk, not '" + CLIENT + "'");
        }
        if (ROUNDS < 1) {
            throw new IllegalArgumentException("bench.rounds must be at least 1, not " + ROUNDS);
        }
        StringBuilder out = new StringBuilder();
        try (LabHarness h = LabHarness.start("bench-read-local", BASE_PORT, s -> s.withActiveActive(true))) {
            SiteId writer = h.awaitSteady();
            Lab lab = h.lab;
            List<String> ids = new ArrayList<>();
            LabClient edge = h.edge;
            while (ids.size() < KEYS) {
                LabClient.Write w = edge.write("p-bench-read-local");
                if (w.ok()) {
                    ids.add(w.id());
                }
            }
            LabHarness.sleep(2000); // the standby replays the last of them
            String pinned = PIN_SITES ? pinSites(lab) : "";
            Map<String, String> entries = new LinkedHashMap<>();
            Map<String, String> readFrom = new LinkedHashMap<>(); // what the throughput phases read from
            for (SiteId site : LabLayout.SITES) {
                entries.put(Lab.homeEntry(site), lab.layout().homeEntryUrl(site) + "/v1/ecgs/");
                readFrom.put(DIRECT ? site + "'s API" : Lab.homeEntry(site),
                        (DIRECT ? "http://127.0.0.1:" + lab.layout().apiPort(site) : lab.layout().homeEntryUrl(site)) + "/v1/ecgs/");
            }
            String writerEntry = DIRECT ? writer + "'s API" : Lab.homeEntry(writer);
            Loop loop = CLIENT.equals("wrk") ? ReadLocalBenchmark::wrkLoop : ReadLocalBenchmark::closedLoop;
            loop.run(h.token, ids, List.copyOf(readFrom.values()), WARMUP);
            out.append(String.format(Locale.ROOT, "# Read-local benchmark (%s)%n%n%d clients (%s), closed loop, %d s each, %d round(s) "
                    + "of one then both, %d keys%s%s%n%n", Instant.now(), CONCURRENCY, CLIENT, PHASE.toSeconds(), ROUNDS, KEYS,
                    DIRECT ? "; straight to each site's API" : "", pinned));
            out.append("| round | clients on | reads/s | errors |\n|---|---|---|---|\n");
            double oneSum = 0;
            double bothSum = 0;
            for (int round = 1; round <= ROUNDS; round++) { // alternated, so a noisy spell of the machine hits both sides
                List<Count> one = loop.run(h.token, ids, List.of(readFrom.get(writerEntry)), PHASE);
                List<Count> both = loop.run(h.token, ids, List.copyOf(readFrom.values()), PHASE);
                double oneRate = one.stream().mapToLong(Count::ok).sum() / (double) PHASE.toSeconds();
                double bothRate = both.stream().mapToLong(Count::ok).sum() / (double) PHASE.toSeconds();
                oneSum += oneRate;
                bothSum += bothRate;
                out.append(String.format(Locale.ROOT, "| %d | %s only (%s serves every read) | %.0f | %d |%n", round, writerEntry, writer,
                        oneRate, one.stream().mapToLong(c -> c.sent() - c.ok()).sum()));
                out.append(String.format(Locale.ROOT, "| %d | both %s (both sites serve) | %.0f | %d |%n", round,
                        DIRECT ? "sites' APIs" : "home entries", bothRate, both.stream().mapToLong(c -> c.sent() - c.ok()).sum()));
            }
            out.append(String.format(Locale.ROOT, "%nmean reads/s: one %.0f, both %.0f; ratio both / one: **%.2f×**%n%n",
                    oneSum / ROUNDS, bothSum / ROUNDS, bothSum / oneSum));

            // read availability through a writer kill
            List<Count> through = paced(h.token, ids, entries, FAILOVER, () -> lab.kill(writer.name()), Duration.ofSeconds(5));
            out.append(String.format(Locale.ROOT, "Read availability through a kill of the writer (%s) at 5 s, %d s, a read every %d ms "
                    + "per client:%n%n| entry | sent | answered 2xx | availability | longest run of failed reads |%n|---|---|---|---|---|%n",
                    writer, FAILOVER.toSeconds(), PACE_MS));
            for (Count c : through) {
                out.append(String.format(Locale.ROOT, "| %s | %d | %d | %.3f %% | %d |%n", c.entry(), c.sent(), c.ok(), c.availability(),
                        c.longestFailRun()));
            }
            lab.revive(writer.name());
        }
        System.out.println(out);
        Files.writeString(LabHarness.HOME.resolve("lab").resolve("target").resolve("read-local-benchmark.md"), out.toString());
        assertThat(out.toString()).contains("ratio both / one");
    }

    /** Pins each site's processes to CPU i (gcp 0, aws 1, ...); says how, for the report. */
    static String pinSites(Lab lab) throws Exception {
        int cpus = Runtime.getRuntime().availableProcessors();
        List<String> how = new ArrayList<>();
        for (int i = 0; i < LabLayout.SITES.size(); i++) {
            SiteId site = LabLayout.SITES.get(i);
            int cpu = i % cpus;
            List<Long> pids = lab.pids(site.name());
            for (long pid : pids) {
                new ProcessBuilder("taskset", "-a", "-p", "-c", Integer.toString(cpu), Long.toString(pid))
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor();
            }
            how.add(site + ": " + pids.size() + " processes on CPU " + cpu);
        }
        return "; sites pinned with taskset (" + String.join(", ", how) + "; the edges and the arbiter on every CPU; the clients "
                + (CLIENT.equals("wrk") ? "of the throughput phases on the last site's CPU" : "on every CPU") + ")";
    }

    /** A closed loop of reads over {@code urls} for {@code phase}: per url, reads sent and answered 2xx. */
    interface Loop {
        List<Count> run(String token, List<String> ids, List<String> urls, Duration phase) throws Exception;
    }

    /**
     * {@code CONCURRENCY} connections spread over {@code urls} as one {@code wrk -t1} per url, all at once, reading
     * random ids ({@code bench/read-local.lua}). Sent: wrk's requests plus its socket errors; answered: its requests
     * less the non-2xx/3xx ones.
     */
    static List<Count> wrkLoop(String token, List<String> ids, List<String> urls, Duration phase) throws Exception {
        Path dir = Files.createTempDirectory("read-local-wrk");
        Path script = dir.resolve("read-local.lua");
        try (var in = ReadLocalBenchmark.class.getResourceAsStream("/bench/read-local.lua")) {
            Files.copy(Objects.requireNonNull(in, "bench/read-local.lua"), script);
        }
        Path idsFile = Files.write(dir.resolve("ids"), ids);
        List<Process> running = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            int connections = CONCURRENCY / urls.size() + (i < CONCURRENCY % urls.size() ? 1 : 0);
            URI u = URI.create(urls.get(i));
            List<String> command = new ArrayList<>();
            if (PIN_SITES) { // the clients on the last site's CPU in both phases: it serves alongside them when both sites do
                command.addAll(List.of("taskset", "-c", Integer.toString(Math.min(LabLayout.SITES.size(),
                        Runtime.getRuntime().availableProcessors()) - 1)));
            }
            command.addAll(List.of("wrk", "-t1", "-c" + connections, "-d" + phase.toSeconds() + "s", "--timeout", "2s",
                    "-s", script.toString(), u.getScheme() + "://" + u.getAuthority()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put("IDS_FILE", idsFile.toString());
            pb.environment().put("TOKEN", token);
            running.add(pb.start());
        }
        List<Count> out = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            String text = new String(running.get(i).getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (running.get(i).waitFor() != 0) {
                throw new IllegalStateException("wrk on " + urls.get(i) + " failed:\n" + text);
            }
            long requests = wrkFigure(text, "(\\d+) requests in");
            long non2xx = wrkFigure(text, "Non-2xx or 3xx responses: (\\d+)");
            var socket = Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)")
                    .matcher(text);
            long socketErrors = 0;
            if (socket.find()) {
                for (int g = 1; g <= 4; g++) {
                    socketErrors += Long.parseLong(socket.group(g));
                }
            }
            out.add(new Count(urls.get(i), requests + socketErrors, requests - non2xx, -1));
        }
        return out;
    }

    /** The number {@code regex}'s group 1 finds in wrk's output, 0 when the line is absent (wrk omits zero counts). */
    static long wrkFigure(String text, String regex) {
        var m = Pattern.compile(regex).matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** {@code CONCURRENCY} clients spread over {@code urls} (client i on url i mod n), each reading back to back. */
    static List<Count> closedLoop(String token, List<String> ids, List<String> urls, Duration phase) throws InterruptedException {
        long end = System.nanoTime() + phase.toNanos();
        AtomicLong[] sent = new AtomicLong[urls.size()];
        AtomicLong[] ok = new AtomicLong[urls.size()];
        for (int i = 0; i < urls.size(); i++) {
            sent[i] = new AtomicLong();
            ok[i] = new AtomicLong();
        }
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < CONCURRENCY; c++) {
            int u = c % urls.size();
            threads.add(Thread.ofVirtual().start(() -> {
                while (System.nanoTime() < end) {
                    sent[u].incrementAndGet();
                    if (read(token, urls.get(u) + ids.get(ThreadLocalRandom.current().nextInt(ids.size()))) / 100 == 2) {
                        ok[u].incrementAndGet();
                    }
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        List<Count> out = new ArrayList<>();
        for (int i = 0; i < urls.size(); i++) {
            out.add(new Count(urls.get(i), sent[i].get(), ok[i].get(), -1));
        }
        return out;
    }

    /** Clients half on each entry, a read every {@link #PACE_MS}; {@code fault} played after {@code faultAfter}. */
    static List<Count> paced(String token, List<String> ids, Map<String, String> entries, Duration phase, ThrowingRunnable fault,
                             Duration faultAfter) throws Exception {
        long start = System.nanoTime();
        long end = start + phase.toNanos();
        List<String> names = List.copyOf(entries.keySet());
        long[][] counts = new long[names.size()][3]; // sent, ok, longest fail run
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < CONCURRENCY; c++) {
            int e = c % names.size();
            String url = entries.get(names.get(e));
            threads.add(Thread.ofVirtual().start(() -> {
                long run = 0;
                while (System.nanoTime() < end) {
                    boolean good = read(token, url + ids.get(ThreadLocalRandom.current().nextInt(ids.size()))) / 100 == 2;
                    synchronized (counts) {
                        counts[e][0]++;
                        if (good) {
                            counts[e][1]++;
                        }
                    }
                    run = good ? 0 : run + 1;
                    synchronized (counts) {
                        counts[e][2] = Math.max(counts[e][2], run);
                    }
                    LabHarness.sleep(PACE_MS);
                }
            }));
        }
        Thread.sleep(faultAfter.toMillis());
        fault.run();
        for (Thread t : threads) {
            t.join();
        }
        List<Count> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            out.add(new Count(names.get(i), counts[i][0], counts[i][1], counts[i][2]));
        }
        return out;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** One read's status, 0 when no answer came within 2 s. */
    static int read(String token, String url) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2))
                    .header("Authorization", "Bearer " + token).GET().build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return 0;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        }
    }
}
