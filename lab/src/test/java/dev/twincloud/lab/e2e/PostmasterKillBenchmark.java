package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.supervisor.LabLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.parallel.Isolated;
import tools.jackson.databind.JsonNode;

/**
 * The writer's postmaster alone killed (SIGKILL; its agent, API and the other site live), on one lab
 * at its default settings, a client writing through the edge every 10 ms:
 * <ol>
 *   <li><b>crash</b>: the agent starts the postmaster again as the writer within its lease; measured
 *       from the kill to the first write acknowledged again by the same site (sent after the first
 *       write that failed after the kill), with no FAILOVER event and the same epoch;</li>
 *   <li><b>gone for good</b>: the writer's data directory cannot be started ({@code PG_VERSION}
 *       renamed), then its postmaster is killed; the agent's starts fail, it makes the directory
 *       refuse writes and says so, and the arbiter fails over at once (a FAILOVER whose why starts
 *       with "fast path:"); measured from the kill to the first write acknowledged by the new writer.
 *       {@code PG_VERSION} is put back as soon as the refusal is in {@code postgresql.auto.conf} (the
 *       agent does not try a start for 5 s then), and the old writer re-joins before the next run.
 *       Its agent is then restarted ({@code -Dbench.freshAgent=false} to skip): it keeps its count of
 *       failed starts through the re-join and a later promotion, and would otherwise take the fast
 *       path on the first failed start of the next run instead of after two over 500 ms.</li>
 * </ol>
 * {@code ./mvnw -B -ntp -pl lab -am test -Dtest=PostmasterKillBenchmark -Dbench=true -Dbench.runs=6
 * -Dsurefire.failIfNoSpecifiedTests=false}. Prints the figures and writes them to
 * {@code lab/target/postmaster-kill-benchmark.md}; the assertions (no failover in 1, fast path in 2)
 * are checked after the report is written. Not part of {@code verify}.
 */
@Isolated("needs the machine to itself: timing, figures or deadlines (junit-platform.properties)")
@EnabledIfSystemProperty(named = "bench", matches = "true")
class PostmasterKillBenchmark {
    private static final String HIDDEN = "PG_VERSION.bench-hidden";
    /** Restart the old writer's agent once it re-joined, so that every fast-path run starts with no failed start counted. */
    private static final boolean FRESH_AGENT = Boolean.parseBoolean(System.getProperty("bench.freshAgent", "true"));

    @Test
    void writerPostmasterKilledAndGoneForGood() throws Exception {
        int runs = Integer.getInteger("bench.runs", 5);
        List<Double> crashBack = new ArrayList<>();
        List<Double> crashGap = new ArrayList<>();
        List<Double> fastRto = new ArrayList<>();
        List<Double> fastEvent = new ArrayList<>();
        List<Double> fastRefusal = new ArrayList<>();
        List<Double> rejoin = new ArrayList<>();
        List<String> details = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        String settings;
        try (LabHarness h = LabHarness.start("bench-postmaster", 25600)) {
            var st = h.lab.settings();
            settings = "%s, lease ttl %d ms, margin %d ms, heartbeat %d ms, edge %d ms x%d/x%d".formatted(st.mode(),
                    st.leaseTtl().toMillis(), st.margin().toMillis(), st.heartbeat().toMillis(), st.edgeInterval().toMillis(),
                    st.edgeHealthy(), st.edgeUnhealthy());

            // 1. a plain crash of the writer's postmaster: restarted in its role, no failover
            for (int i = 0; i < runs; i++) {
                try {
                    SiteId w = h.awaitSteady();
                    long epoch = h.epoch();
                    Path data = h.lab.layout().pgData(w);
                    long oldPid;
                    Instant killedAt;
                    try (var load = new LabHarness.Load(h.edge, "p-bench-crash", 10)) {
                        LabHarness.sleep(300);
                        killedAt = Instant.now();
                        long t0 = System.nanoTime();
                        oldPid = h.lab.killPostmaster(w.name()).orElseThrow(() -> new AssertionError("no postmaster on " + w));
                        // back: a write sent after the new postmaster is seen running, acknowledged (by w; by the other
                        // site would be a failover, recorded below). Not any write sent after t0: the kill may land later.
                        LabHarness.await(w + "'s postmaster running again", Duration.ofSeconds(30), () -> restarted(data, oldPid));
                        long seen = System.nanoTime();
                        LabHarness.await("writes acknowledged again after " + w + "'s postmaster's kill", Duration.ofSeconds(30),
                                () -> load.attempts.stream().anyMatch(a -> a.ok() && a.sentNanos() > seen));
                        LabHarness.sleep(1000);
                        load.close();
                        // writes are back at the end of the longest stretch without an acknowledgement after the kill
                        // (writes may fail fast meanwhile, or wait inside the API for the database; both count)
                        long[] gap = longestGap(load.acked(), t0);
                        crashBack.add((gap[1] - t0) / 1e6);
                        crashGap.add((gap[1] - gap[0]) / 1e6);
                        long elsewhere = load.attempts.stream().filter(a -> a.ok() && a.sentNanos() > t0 && !a.site().equals(w.name())).count();
                        if (elsewhere > 0) {
                            failures.add("crash run " + (i + 1) + ": " + elsewhere + " writes acknowledged by a site other than " + w);
                        }
                        h.assertNoAcknowledgedWriteLost(load, w);
                    }
                    SiteId after = h.awaitSteady();
                    long newPid = postmasterPid(data).orElse(-1L);
                    long epochAfter = h.epoch();
                    List<JsonNode> newFailovers = failoversAfter(h, epoch);
                    details.add("crash run %d: killed %s postmaster pid %d at %s; back after %.0f ms (longest gap %.0f ms); new pid %d; epoch %d -> %d; writer %s -> %s; FAILOVER events %d"
                            .formatted(i + 1, w, oldPid, killedAt, crashBack.getLast(), crashGap.getLast(), newPid, epoch, epochAfter, w, after, newFailovers.size()));
                    if (!after.equals(w) || epochAfter != epoch || !newFailovers.isEmpty() || newPid == oldPid) {
                        failures.add(details.getLast());
                    }
                } catch (Exception | AssertionError e) {
                    String now;
                    try {
                        now = "writer now " + h.writer() + ", epoch " + h.epoch() + ", FAILOVER events " + failoversAfter(h, 0).size() + " in all";
                    } catch (AssertionError | RuntimeException e2) {
                        now = "arbiter status unavailable";
                    }
                    failures.add("crash run " + (i + 1) + ": " + e + " (" + now + ")");
                }
            }

            // 2. the writer's postmaster gone for good, its agent alive: the fast path
            for (int i = 0; i < runs; i++) {
                try {
                    SiteId w = h.awaitSteady();
                    SiteId s = LabLayout.peer(w);
                    long epoch = h.epoch();
                    Path data = h.lab.layout().pgData(w);
                    Files.move(data.resolve("PG_VERSION"), data.resolve(HIDDEN)); // pg_ctl start fails from now on
                    Instant killedAt;
                    long refusedNanos;
                    long t0;
                    try (var load = new LabHarness.Load(h.edge, "p-bench-fast", 10)) {
                        LabHarness.sleep(300);
                        killedAt = Instant.now();
                        t0 = System.nanoTime();
                        h.lab.killPostmaster(w.name()).orElseThrow(() -> new AssertionError("no postmaster on " + w));
                        // the agent's refusal in postgresql.auto.conf: the data directory may be repaired now
                        refusedNanos = awaitRefusal(data, Duration.ofSeconds(30));
                        restoreVersion(data);
                        LabHarness.await("a write at " + s + " after " + w + "'s postmaster is gone", Duration.ofSeconds(30),
                                () -> load.attempts.stream().anyMatch(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0));
                        LabClient.Write first = load.attempts.stream().filter(a -> a.ok() && a.site().equals(s.name()) && a.sentNanos() > t0)
                                .findFirst().orElseThrow();
                        fastRto.add((first.ackNanos() - t0) / 1e6);
                        fastRefusal.add((refusedNanos - t0) / 1e6);
                        LabHarness.sleep(300);
                        load.close();
                        h.assertNoAcknowledgedWriteLost(load, s);
                    } finally {
                        restoreVersion(data);
                    }
                    List<JsonNode> newFailovers = failoversAfter(h, epoch);
                    String why = newFailovers.isEmpty() ? "(none)" : newFailovers.getFirst().path("why").asString("");
                    double eventMs = newFailovers.isEmpty() ? Double.NaN
                            : Duration.between(killedAt, instant(newFailovers.getFirst().path("at"))).toNanos() / 1e6;
                    fastEvent.add(eventMs);
                    long r0 = System.nanoTime();
                    String rejoined;
                    try {
                        SiteId after = h.awaitSteady();
                        rejoin.add((System.nanoTime() - r0) / 1e6);
                        rejoined = "steady again after %.0f ms with writer %s".formatted(rejoin.getLast(), after);
                        if (FRESH_AGENT) {
                            // the agent keeps its count of failed starts across the re-join and a later promotion,
                            // so its next failed start would take the fast path at once: start it afresh
                            long incarnation = incarnation(h, w);
                            h.lab.restartAgent(w.name());
                            LabHarness.await(w + "'s new agent reporting", Duration.ofSeconds(90), () -> incarnation(h, w) != incarnation);
                            h.awaitSteady();
                            rejoined += "; " + w + "'s agent restarted";
                        }
                    } catch (AssertionError e) {
                        rejoined = "NOT steady again: " + e.getMessage() + "; " + w + " state " + h.siteState(w);
                        failures.add("fast run " + (i + 1) + ": " + rejoined);
                    }
                    details.add("fast run %d: %s (epoch %d) PG_VERSION hidden, postmaster killed at %s; refusal in auto.conf after %.0f ms; FAILOVER event after %.0f ms (epoch now %d); first write at %s after %.0f ms; why: %s; %s"
                            .formatted(i + 1, w, epoch, killedAt, fastRefusal.getLast(), eventMs, h.epoch(), s, fastRto.getLast(), why, rejoined));
                    if (newFailovers.size() != 1 || !why.startsWith("fast path:")) {
                        failures.add("fast run " + (i + 1) + ": expected one FAILOVER by the fast path, got " + newFailovers.size() + ": " + why);
                    }
                    if (rejoined.startsWith("NOT")) {
                        break; // the next run needs a steady lab
                    }
                } catch (Exception | AssertionError e) {
                    failures.add("fast run " + (i + 1) + ": " + e);
                    break; // the next run needs a steady lab
                }
            }
        }
        String report = """
                # Postmaster-kill benchmark — %s
                runs: %d each, lab defaults (%s); a client writes through the edge every 10 ms; old writer's agent restarted after its re-join: %s

                | figure | median ms | max ms | all runs ms |
                |---|---|---|---|
                | writer's postmaster SIGKILL -> writes acknowledged by the same site again (restarted by its agent, no failover) | %.0f | %.0f | %s |
                | same, longest gap between acknowledged writes | %.0f | %.0f | %s |
                | writer's postmaster gone for good (PG_VERSION hidden) -> first write acknowledged by the new writer (fast path) | %.0f | %.0f | %s |
                | same, kill -> refusal written to postgresql.auto.conf by the agent | %.0f | %.0f | %s |
                | same, kill -> FAILOVER event (arbiter clock) | %.0f | %.0f | %s |
                | old writer repaired (PG_VERSION back) -> steady again (re-joined as standby, in sync, eligible) | %.0f | %.0f | %s |

                %s
                """.formatted(Instant.now(), runs, settings, FRESH_AGENT,
                median(crashBack), max(crashBack), fmt(crashBack), median(crashGap), max(crashGap), fmt(crashGap),
                median(fastRto), max(fastRto), fmt(fastRto), median(fastRefusal), max(fastRefusal), fmt(fastRefusal),
                median(fastEvent), max(fastEvent), fmt(fastEvent), median(rejoin), max(rejoin), fmt(rejoin),
                String.join("\n", details.stream().map(d -> "- " + d).toList())
                        + (failures.isEmpty() ? "" : "\n\nFAILURES:\n" + String.join("\n", failures.stream().map(f -> "- " + f).toList())));
        System.out.println(report);
        Files.writeString(LabHarness.HOME.resolve("lab/target/postmaster-kill-benchmark.md"), report);
        assertThat(failures).isEmpty();
    }

    /** The incarnation of the agent whose report the arbiter holds for {@code site} (0 when none). */
    private static long incarnation(LabHarness h, SiteId site) {
        var st = h.status().sites().get(site.name());
        return st == null ? 0 : st.lastReport().map(r -> r.incarnation()).orElse(0L);
    }

    /** FAILOVER events that made an epoch after {@code epoch}. */
    private static List<JsonNode> failoversAfter(LabHarness h, long epoch) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode e = h.events();
        (e.isArray() ? e : e.path("events")).forEach(n -> {
            if ("FAILOVER".equals(n.path("kind").asString()) && n.path("epoch").asLong() > epoch) {
                out.add(n);
            }
        });
        return out;
    }

    /** An event's time, as ISO-8601 text or as decimal seconds since the epoch. */
    private static Instant instant(JsonNode at) {
        if (at.isNumber()) {
            java.math.BigDecimal sec = at.decimalValue();
            return Instant.ofEpochSecond(sec.longValue(), sec.remainder(java.math.BigDecimal.ONE).movePointRight(9).longValue());
        }
        return Instant.parse(at.asString());
    }

    /**
     * The longest stretch without an acknowledgement after {@code t0} (starting at the last one before
     * it): {start, end} in nanoTime.
     */
    private static long[] longestGap(List<LabClient.Write> acked, long t0) {
        long last = acked.stream().filter(a -> a.ackNanos() <= t0).mapToLong(LabClient.Write::ackNanos).max().orElse(t0);
        long[] gap = {last, last};
        for (LabClient.Write a : acked.stream().filter(a -> a.ackNanos() > t0).sorted((x, y) -> Long.compare(x.ackNanos(), y.ackNanos())).toList()) {
            if (a.ackNanos() - last > gap[1] - gap[0]) {
                gap = new long[] {last, a.ackNanos()};
            }
            last = a.ackNanos();
        }
        return gap;
    }

    private static boolean restarted(Path data, long oldPid) {
        return postmasterPid(data).filter(p -> p != oldPid).isPresent();
    }

    /** Polls {@code postgresql.auto.conf} every 5 ms for the agent's fast-path refusal; returns when it appeared. */
    private static long awaitRefusal(Path data, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path auto = data.resolve("postgresql.auto.conf");
        while (System.nanoTime() < deadline) {
            try {
                for (String line : Files.readAllLines(auto)) {
                    String l = line.strip();
                    if (l.startsWith("twincloud.fenced_epoch") && !l.startsWith("#")) {
                        return System.nanoTime();
                    }
                }
            } catch (NoSuchFileException e) {
                // being rewritten
            }
            LabHarness.sleep(5);
        }
        throw new AssertionError("no fast-path refusal in " + auto + " after " + timeout.toSeconds() + " s");
    }

    /** Puts PG_VERSION back unless the agent re-cloned the directory meanwhile (which writes its own). */
    private static void restoreVersion(Path data) throws IOException {
        Path hidden = data.resolve(HIDDEN);
        if (!Files.exists(hidden)) {
            return;
        }
        if (Files.exists(data.resolve("PG_VERSION"))) {
            Files.deleteIfExists(hidden);
        } else {
            try {
                Files.move(hidden, data.resolve("PG_VERSION"));
            } catch (NoSuchFileException e) {
                // removed by a re-clone between the two checks
            }
        }
    }

    private static Optional<Long> postmasterPid(Path data) {
        try {
            String first = Files.readAllLines(data.resolve("postmaster.pid")).getFirst().strip();
            return Optional.of(Long.parseLong(first));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    static double median(List<Double> v) {
        return v.isEmpty() ? Double.NaN : BenchStats.median(v);
    }

    static double max(List<Double> v) {
        return BenchStats.max(v);
    }

    static String fmt(List<Double> v) {
        return BenchStats.fmt(v);
    }
}
