package dev.twincloud.lab.drill;

import dev.twincloud.core.decide.Event;
import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.drill.FaultStep.Action;
import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The drill engine: for every run and scenario, bring the system to its steady state, start the
 * workload through the edge, play the fault schedule, heal, wait for the system to settle, stop the
 * workload, read every site's database and the arbiter's events, and judge the history.
 */
public final class Drill {
    private static final java.util.concurrent.ExecutorService SNAPSHOTS = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor();
    private final DrillTarget target;
    private final DrillSettings settings;
    private final PrintWriter progress;
    private final java.nio.file.Path historyDir;
    private final RunObserver observer;
    /** Whether a run's alert verdicts decide its pass (see {@link #alertsFailRuns}). */
    private boolean alertsGate = true;

    public Drill(DrillTarget target, DrillSettings settings, PrintWriter progress) {
        this(target, settings, progress, null);
    }

    /** @param historyDir where each run's raw history goes ({@code <scenario>-<run>.jsonl}), or null */
    public Drill(DrillTarget target, DrillSettings settings, PrintWriter progress, java.nio.file.Path historyDir) {
        this.target = target;
        this.settings = settings;
        this.progress = progress;
        this.historyDir = historyDir;
        this.observer = new RunObserver(target);
    }

    /**
     * Whether a late, missing or unexplained alert fails its run. On by default; {@code lab drill
     * --alerts-report-only} turns it off (the verdicts are then reported only).
     */
    public Drill alertsFailRuns(boolean on) {
        this.alertsGate = on;
        return this;
    }

    /** One JSON object a line: every operation, fault mark and role sample of the run, in time order of kind. */
    private void writeHistory(String scenario, int run, History h, List<WriterTimeline.Promotion> promotions, List<DbSnapshot> dbs) {
        if (historyDir == null) {
            return;
        }
        try {
            java.nio.file.Files.createDirectories(historyDir);
            StringBuilder b = new StringBuilder();
            var w = Http.JSON.writer();
            for (History.Mark m : h.marks()) {
                b.append("{\"mark\":").append(w.writeValueAsString(m)).append("}\n");
            }
            for (WriterTimeline.Promotion p : promotions) {
                b.append("{\"promotion\":").append(w.writeValueAsString(p)).append("}\n");
            }
            for (History.RoleSample s : h.samples()) {
                b.append("{\"role\":").append(w.writeValueAsString(s)).append("}\n");
            }
            for (History.Op o : h.ops()) {
                b.append("{\"op\":").append(w.writeValueAsString(o)).append("}\n");
            }
            for (DbSnapshot d : dbs) {
                b.append("{\"db\":").append(w.writeValueAsString(d)).append("}\n");
            }
            java.nio.file.Files.writeString(historyDir.resolve(scenario + "-" + run + ".jsonl"), b.toString());
        } catch (IOException | RuntimeException e) {
            say("could not write the history of %s run %d: %s", scenario, run, e.toString());
        }
    }

    public DrillReport run() throws IOException {
        Instant started = Instant.now();
        String tag = Long.toString(System.currentTimeMillis(), 36);
        List<RunResult> results = new ArrayList<>();
        if (!observer.awaitFirstScrape(java.time.Duration.ofSeconds(30))) {
            say("Prometheus has not scraped the arbiter's counters within 30 s: an alert for the first failover may be missed");
        }
        for (int run = 1; run <= settings.runs(); run++) {
            for (Scenario s : settings.scenarios()) {
                List<FaultStep> schedule = s.schedule(settings.seed() + run - 1);
                List<String> cannot = schedule.stream().filter(step -> !target.canPlay(step)).map(Drill::describe).distinct().toList();
                if (!cannot.isEmpty()) {
                    say("%-26s run %d: skipped: cannot play %s against %s%s", s.id, run, cannot, target.describe(),
                            schedule.stream().anyMatch(step -> step.action() == Action.RESTORE_DRILL)
                                    ? " (the restore drill needs a lab with backups on: " + dev.twincloud.lab.backup.LabBackups.OFF_VARIABLE
                                    + "=on, s3rver and barman-cloud-*; docs/backups.md)" : "");
                    continue;
                }
                RunResult r = runOnce(s, run, schedule, "drill-" + tag + "-" + s.id + "-" + run);
                results.add(r);
                say("%-26s run %d: %s  rto %s ms, writes unavailable %.0f ms (outage %.0f ms), failovers %d (expected %s), anomalies %d%s",
                        s.id, run, r.passed() ? "PASS" : "FAIL", fmt(r.figures().rtoMs()), r.figures().writeUnavailMs(),
                        r.figures().writeOutageMs(),
                        r.figures().failovers(), expected(r.figures()), r.anomalies().size(),
                        r.settled() ? "" : " (did not settle)");
                for (Anomaly a : r.anomalies().subList(0, Math.min(5, r.anomalies().size()))) {
                    say("    %s %s", a.kind(), a.detail());
                }
                AlertCheck.Report alerts = r.observed().alerts();
                if (alerts.checked()) {
                    say("    %s%s", alerts.summary(), alerts.waitedMs() > 0 ? " (waited %.1f s for a deadline)".formatted(alerts.waitedMs() / 1000) : "");
                }
                for (String f : alerts.failures()) {
                    say("    ALERT %s", f);
                }
            }
        }
        return DrillReport.of(started, target.describe(), settings, results);
    }

    /** A step as the skip message names it: its action, and its target when the target decides (e.g. {@code kill acting-arbiter}). */
    private static String describe(FaultStep step) {
        String action = step.action().name().toLowerCase();
        return step.target().contains("-") ? action + " " + step.target() : action;
    }

    static String expected(RunFigures f) {
        return f.expectedMinFailovers() == f.expectedMaxFailovers() ? Integer.toString(f.expectedMinFailovers())
                : f.expectedMinFailovers() + ".." + f.expectedMaxFailovers();
    }

    static String fmt(double d) {
        return Double.isNaN(d) ? "-" : String.format("%.0f", d);
    }

    private RunResult runOnce(Scenario scenario, int run, List<FaultStep> schedule, String keyPrefix) throws IOException {
        target.restoreAll();
        List<String> notes = new ArrayList<>();
        if (!awaitSteady(settings.settleTimeout())) {
            notes.add("the system was not steady before the run (waited " + settings.settleTimeout().toSeconds() + " s)");
        }
        Optional<ArbiterStatus> before = status();
        String initialWriter = before.map(s -> s.writer().name()).orElse("");
        long initialEpoch = before.map(ArbiterStatus::epoch).orElse(-1L);

        OpenLoad.Measured measured = null;
        if (scenario == Scenario.LOAD) {
            measured = OpenLoad.measure(target.edgeUrl(), target.token(), "max-" + keyPrefix, Scenario.LOAD_MEASURE_CLIENTS,
                    Scenario.LOAD_MEASURE);
            say("%-26s run %d: maximum %.1f writes/s through the edge (closed loop, %d clients, %d s; %d failed, %d edge-made 503s)",
                    scenario.id, run, measured.rate(), measured.clients(), measured.duration().toSeconds(), measured.failed(),
                    measured.edgeMade503s());
            notes.add("load: maximum %.1f writes/s measured through the edge (closed loop, %d clients, %d s: %d acknowledged, "
                    .formatted(measured.rate(), measured.clients(), measured.duration().toSeconds(), measured.ok())
                    + "%d failed, %d edge-made 503s)".formatted(measured.failed(), measured.edgeMade503s()));
            awaitSteady(settings.settleTimeout());
        }

        long startNanos = System.nanoTime();
        Instant wallStart = Instant.now();
        double wallStartMillis = wallStart.getEpochSecond() * 1000.0 + wallStart.getNano() / 1e6;
        History h = new History(startNanos);
        Duration bound = Duration.ofSeconds(60).plus(settings.settleTimeout().multipliedBy(2)).plus(scenario.extraRunTime());
        RoleSampler sampler = target.arbiterUrl().map(a -> new RoleSampler(a, target.operatorToken(), target.edgeStatusUrl(), h, 100, bound))
                .orElse(null);
        Workload load = new Workload(target.edgeUrl(), target.token(), h, keyPrefix, settings.writers(), settings.readers(),
                settings.paceMs(), bound, settings.seed() + run, target.siteApiUrls(), target.homeEntryUrls());
        List<String> played = new ArrayList<>();
        double faultAt;
        double healAt;
        boolean settled;
        boolean selfHealed = true;
        double endMs;
        Map<String, java.util.concurrent.CompletableFuture<Optional<DbSnapshot>>> beforeRejoin = new LinkedHashMap<>();
        List<LongTransactions> txns = new ArrayList<>();
        List<Anomaly> restoreFailures = new ArrayList<>();
        OpenLoad open = null;
        try {
            sleep(Scenario.LEAD_IN_MS);
            faultAt = h.now();
            if (measured != null) {
                double rate = OpenLoad.targetRate(measured.rate(), Scenario.LOAD_FRACTION);
                open = new OpenLoad(target.edgeUrl(), target.token(), h, keyPrefix, rate,
                        Duration.ofMillis(Scenario.LOAD_MS), Scenario.LOAD_MAX_IN_FLIGHT);
                h.mark("open loop at %.1f writes/s for %d s".formatted(rate, Scenario.LOAD_MS / 1000), false);
                played.add("+0 ms open loop at %.1f writes/s (%.0f%% of %.1f) for %d s".formatted(rate,
                        Scenario.LOAD_FRACTION * 100, measured.rate(), Scenario.LOAD_MS / 1000));
            }
            Map<String, String[]> bound0 = new HashMap<>();
            PostmasterChecks postmasterChecks = new PostmasterChecks();
            for (FaultStep step : schedule) {
                sleepUntil(h, faultAt + step.atMs());
                if (!step.action().fault) {
                    keepDeposedWriters(keyPrefix, wallStartMillis, beforeRejoin); // their commits, before a repair lets them re-join
                }
                String[] sites = resolve(step, h, bound0);
                String label = step.action().name().toLowerCase().replace('_', '-') + " " + step.target()
                        + (step.other().isEmpty() ? "" : "-" + step.other()) + " (" + sites[0] + (sites[1].isEmpty() ? "" : "-" + sites[1]) + ")"
                        + (step.ms() == 0 ? "" : " " + step.ms() + " ms");
                try {
                    Optional<String> moot = step.action() == FaultStep.Action.CHECK_POSTGRES ? postmasterChecks.moot(sites[0])
                            : Optional.empty();
                    postmasterChecks.played(step.action(), sites[0], sites[1], label);
                    switch (step.action()) {
                        case CHECK_POSTGRES -> {
                            if (moot.isPresent()) {
                                label += ": not checked: " + moot.get() + " stopped its agent after the kill";
                            } else {
                                target.play(step.action(), sites[0], sites[1], step.ms());
                            }
                        }
                        case OPEN_TXNS -> {
                            LongTransactions t = LongTransactions.open(target.jdbcUrl(sites[0]).orElseThrow(
                                            () -> new IOException("the database of " + sites[0] + " cannot be reached from here")),
                                    target.databaseUser(), "postgres", sites[0], keyPrefix, txns.size(), h, 3);
                            txns.add(t);
                            label += ": " + t.heldCount() + " held";
                            if (!t.problems().isEmpty()) {
                                notes.add("long transactions on " + sites[0] + ": " + t.problems());
                            }
                        }
                        case COMMIT_TXNS -> {
                            for (LongTransactions t : txns) {
                                t.commitAll();
                            }
                        }
                        case RESTORE_DRILL -> {
                            double askedMs = h.now();
                            var checked = new java.util.concurrent.atomic.AtomicInteger();
                            var results = target.restoreDrill(ackedBefore(h, askedMs, checked), m -> say("    %s", m));
                            List<String> figures = new ArrayList<>();
                            for (var r : results) {
                                figures.add(r.summary());
                                notes.add(r.summary());
                                if (!r.passed()) {
                                    restoreFailures.add(new Anomaly(Anomaly.Kind.RESTORE_FAILED, r.summary()
                                            + r.kept().map(k -> " (restored copy kept in " + k + ")").orElse(""), h.now()));
                                }
                            }
                            label += ": " + String.join("; ", figures) + " (" + checked.get()
                                    + " writes acknowledged before the restore point checked in each copy)";
                        }
                        default -> target.play(step.action(), sites[0], sites[1], step.ms());
                    }
                } catch (FaultStep.NotSelfHealed e) {
                    selfHealed = false;
                    label += ": " + e.getMessage();
                    notes.add("not self-healed: " + e.getMessage());
                } catch (IOException | RuntimeException e) {
                    label += " failed: " + e.getMessage();
                    notes.add(label);
                    if (step.action() == FaultStep.Action.RESTORE_DRILL) {
                        restoreFailures.add(new Anomaly(Anomaly.Kind.RESTORE_FAILED, "the restore drill did not run: " + e.getMessage(), h.now()));
                    }
                }
                h.mark(label, step.action().fault);
                played.add(String.format("+%.0f ms %s", h.now() - faultAt, label));
            }
            long phase = schedule.isEmpty() ? scenario.quietPhaseMs() : schedule.get(schedule.size() - 1).atMs();
            sleepUntil(h, faultAt + phase + 200);
            if (open != null) {
                open.close();
                notes.add("load: open loop sent %d writes in %d s (%d skipped: %d already in flight)".formatted(open.sent(),
                        Scenario.LOAD_MS / 1000, open.skipped(), Scenario.LOAD_MAX_IN_FLIGHT));
            }
            keepDeposedWriters(keyPrefix, wallStartMillis, beforeRejoin);
            target.restoreAll();
            healAt = h.now();
            h.mark("heal all", false);
            settled = awaitSteady(settings.settleTimeout());
            if (!settled) {
                notes.add("not steady within " + settings.settleTimeout().toSeconds() + " s after the heal");
            }
            settled &= selfHealed;
            sleep(settings.tail().toMillis());
        } finally {
            if (open != null) {
                open.close();
            }
            load.close();
            for (LongTransactions t : txns) {
                t.close();
            }
            endMs = h.now();
            if (sampler != null) {
                sampler.close();
            }
        }
        List<DbSnapshot> deposed = new ArrayList<>();
        for (var f : beforeRejoin.values()) {
            try {
                f.get(10, java.util.concurrent.TimeUnit.SECONDS).ifPresent(deposed::add);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                notes.add("a deposed writer's database could not be read before it re-joined: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        Optional<ArbiterStatus> after = status();
        String finalWriter = after.map(s -> s.writer().name()).orElse(initialWriter);
        long finalEpoch = after.map(ArbiterStatus::epoch).orElse(-1L);
        List<WriterTimeline.Promotion> promotions = promotions(wallStartMillis, endMs);
        WriterTimeline timeline = target.arbiterUrl().isPresent() && !initialWriter.isEmpty()
                ? WriterTimeline.of(initialWriter, initialEpoch, promotions) : WriterTimeline.unknown();
        if (!timeline.known()) {
            notes.add("no arbiter to read: split brain not checked; reads assumed served by the writer");
        }
        List<DbSnapshot> snapshots = snapshotsCaughtUp(keyPrefix, wallStartMillis, finalWriter);
        if (snapshots.isEmpty()) {
            notes.add("databases not readable from here: acknowledged writes, duplicates and commit times not checked in the databases");
        }
        Checker.Config checks = new Checker.Config(settings.sync(), settings.lossBoundBytes(), settings.toleranceMs(),
                settings.stalenessBoundMs());
        // load: no fault may take the writer away, so any 503 the edge makes itself is a health-check flap
        Checker.Result check = new Checker(scenario == Scenario.LOAD ? checks.strictEdge() : checks)
                .check(new Checker.Input(h, timeline, snapshots, finalWriter, deposed));
        notes.addAll(check.notes());
        if (check.edgeMade503s() > 0) {
            notes.add(check.edgeMade503s() + " answer(s) 503 made by the edge itself (no healthy backend)");
        }
        List<Checker.ReadAvailability> readAvailability = Checker.readAvailability(h.ops());
        if (!target.homeEntryUrls().isEmpty() && !readAvailability.isEmpty()) {
            // active-active: reads answered 2xx / reads sent, per home entry (docs/reliability.md)
            notes.add("read availability: " + readAvailability.stream().map(Checker.ReadAvailability::toString)
                    .collect(java.util.stream.Collectors.joining(", ")));
        }
        List<DbSnapshot> recorded = new ArrayList<>(snapshots);
        deposed.forEach(d -> recorded.add(new DbSnapshot(d.site(), d.available(), d.role() + " before re-join", d.rows())));
        writeHistory(scenario.id, run, h, promotions, recorded);
        int max = scenario.maxFailovers(schedule);
        RunFigures figures = RunFigures.measure(h, faultAt, healAt, endMs, initialWriter,
                scenario.unplanned || promotions.stream().anyMatch(p -> p.kind() == EventKind.FAILOVER),
                scenario.minFailovers, max, promotions.size(), check);
        Observations observed = observer.observe(scenario, h.marks(), faultAt, promotions, wallStartMillis, endMs)
                .withAlertsGate(alertsGate);
        List<Anomaly> anomalies = new ArrayList<>(check.anomalies());
        anomalies.addAll(restoreFailures);
        return new RunResult(scenario.id, run, settings.seed() + run - 1, target.describe(), played, initialWriter, finalWriter,
                new long[] {initialEpoch, finalEpoch}, faultAt, healAt, endMs, settled, promotions, figures, anomalies,
                notes, timelineOf(h, endMs), observed);
    }

    /**
     * The restore drill's check of a restored copy: every write the workload had acknowledged by {@code askedMs} (before
     * the restore point was asked for, so committed before it) is there, by its recording id.
     */
    static dev.twincloud.lab.backup.RestoreDrill.ExtraCheck ackedBefore(History h, double askedMs,
                                                                     java.util.concurrent.atomic.AtomicInteger checked) {
        return restored -> {
            List<String> ids = h.ops().stream().filter(o -> o.type() == History.OpType.WRITE && o.ok() && o.completeMs() < askedMs
                    && o.id() != null && o.id().matches("[0-9a-fA-F-]{36}")).map(History.Op::id).distinct().toList();
            checked.set(ids.size());
            List<String> missing = new ArrayList<>();
            try (var q = restored.prepareStatement("SELECT w.id FROM unnest(?::uuid[]) w(id) "
                    + "WHERE NOT EXISTS (SELECT 1 FROM public.ecg_recording r WHERE r.id = w.id)")) {
                q.setArray(1, restored.createArrayOf("text", ids.toArray()));
                try (var rs = q.executeQuery()) {
                    while (rs.next()) {
                        missing.add(rs.getString(1));
                    }
                }
            }
            return missing.isEmpty() ? List.of() : List.of(missing.size() + " of the " + ids.size()
                    + " writes acknowledged before the restore point are missing from the restored copy, e.g. "
                    + missing.subList(0, Math.min(5, missing.size())));
        };
    }

    /**
     * Starts reading, in the background, the database of every site that is a primary while the arbiter
     * names another writer (a deposed writer not yet demoted): what it committed is evidence that its
     * re-join (rewind) would erase. A later read of the same site replaces an earlier one when it succeeds.
     */
    private void keepDeposedWriters(String keyPrefix, double wallStartMillis,
                                    Map<String, java.util.concurrent.CompletableFuture<Optional<DbSnapshot>>> kept) {
        String writer = status().map(s -> s.writer().name()).orElse("");
        if (writer.isEmpty()) {
            return;
        }
        for (String site : target.siteApiUrls().keySet()) {
            if (site.equals(writer)) {
                continue;
            }
            var previous = kept.get(site);
            var next = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> target.quickSnapshot(site, keyPrefix, wallStartMillis).filter(s -> s.role().equals("primary")),
                    SNAPSHOTS);
            kept.put(site, previous == null ? next : next.thenCombine(previous, (n, p) -> n.isPresent() ? n : p));
        }
    }

    /** Waits (bounded) for the standby to replay what the writer holds, then reads every database. */
    private List<DbSnapshot> snapshotsCaughtUp(String keyPrefix, double wallStartMillis, String writer) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<DbSnapshot> s = target.snapshots(keyPrefix, wallStartMillis);
            int w = s.stream().filter(x -> x.site().equals(writer)).mapToInt(x -> x.rows().size()).max().orElse(0);
            boolean caughtUp = s.stream().filter(DbSnapshot::available).allMatch(x -> x.rows().size() >= w);
            if (caughtUp || System.nanoTime() > deadline) {
                return s;
            }
            sleep(200);
        }
    }

    /** Binds a role to a site when a fault plays; its repair step undoes it on the same site. */
    private String[] resolve(FaultStep step, History h, Map<String, String[]> bound) {
        String pairKey = pair(step.action()) + ":" + step.target() + ":" + step.other();
        if (!step.action().fault && bound.containsKey(pairKey)) {
            return bound.remove(pairKey);
        }
        String writer = status().map(s -> s.writer().name())
                .orElseGet(() -> h.samples().isEmpty() ? "gcp" : h.samples().get(h.samples().size() - 1).writer());
        String[] sites = {role(step.target(), writer), role(step.other(), writer)};
        if (step.action().fault) {
            bound.put(pairKey, sites);
        }
        return sites;
    }

    private static String pair(Action a) {
        return switch (a) {
            case KILL, REVIVE -> "kill";
            case FREEZE, THAW -> "freeze";
            case PARTITION, HEAL -> "partition";
            case KILL_AGENT, START_AGENT -> "agent";
            case SWITCHOVER -> "switchover";
            case PAUSE, RESUME -> "pause";
            case KILL_POSTGRES, CHECK_POSTGRES -> "postgres";
            case DELAY, UNDELAY -> "delay";
            case OPEN_TXNS, COMMIT_TXNS -> "txns";
            case SAVE_ARBITER_STATE, RESTART_ARBITER_FROM_SAVED, CHECK_ARBITER_REFUSES -> "arbiter-state";
            case ROLLING_RESTART_ARBITER -> "rolling-restart";
            case RESTORE_DRILL -> "restore-drill";
        };
    }

    private static String role(String role, String writer) {
        return switch (role) {
            case "writer" -> writer;
            case "standby" -> writer.equals("gcp") ? "aws" : "gcp";
            default -> role;
        };
    }

    private Optional<ArbiterStatus> status() {
        if (target.arbiterUrl().isEmpty()) {
            return Optional.empty();
        }
        try {
            Http.Response r = Http.get(target.arbiterUrl().get() + "/v1/status", target.operatorToken());
            return r.status() == 200 ? Optional.of(r.as(ArbiterStatus.class)) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private List<WriterTimeline.Promotion> promotions(double wallStartMillis, double endMs) {
        if (target.arbiterUrl().isEmpty()) {
            return new ArrayList<>();
        }
        Optional<List<JsonNode>> recorded = target.arbiterHistory();
        if (recorded.isPresent()) {
            return promotionsOf(recorded.get(), wallStartMillis, endMs);
        }
        for (int attempt = 0; attempt < 50; attempt++) { // the arbiter may still be starting
            try {
                Http.Response r = Http.get(target.arbiterUrl().get() + "/v1/events?limit=1000", target.operatorToken());
                if (r.status() == 200) {
                    return promotionsOf(r.json(), wallStartMillis, endMs);
                }
            } catch (IOException | RuntimeException e) {
                // retry
            }
            sleep(200);
        }
        return new ArrayList<>();
    }

    /** The promotions among {@code events} (the arbiter's JSON events) within the run, on the run's axis. */
    private static List<WriterTimeline.Promotion> promotionsOf(Iterable<JsonNode> events, double wallStartMillis, double endMs) {
        List<WriterTimeline.Promotion> out = new ArrayList<>();
        for (JsonNode n : events) {
            Event e;
            try {
                e = Http.JSON.treeToValue(n, Event.class);
            } catch (RuntimeException unknown) {
                continue; // a kind this drill does not know (a newer arbiter): not a promotion it can use
            }
            if (!e.kind().isPromotion() || e.at() == null) {
                continue;
            }
            Instant at = e.at();
            double ms = at.getEpochSecond() * 1000.0 + at.getNano() / 1e6 - wallStartMillis;
            if (ms >= 0 && ms <= endMs) {
                out.add(new WriterTimeline.Promotion(ms, e.kind(), e.epoch(), e.site() == null ? "" : e.site().name()));
            }
        }
        return out;
    }

    private boolean awaitSteady(Duration timeout) {
        if (target.arbiterUrl().isEmpty()) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<ArbiterStatus> s = status();
            if (s.isPresent()) {
                String edge = null;
                if (target.edgeStatusUrl() != null) {
                    try {
                        JsonNode active = Http.get(target.edgeStatusUrl(), null).json().path("active");
                        edge = active.isString() ? active.asString() : "";
                    } catch (IOException | RuntimeException e) {
                        edge = "";
                    }
                }
                if (RoleSampler.of(s.get(), edge, 0).steady() && target.componentsReady()) {
                    return true;
                }
            }
            sleep(200);
        }
        return false;
    }

    static RunResult.Timeline timelineOf(History h, double endMs) {
        double bucket = 250;
        int n = (int) Math.ceil(endMs / bucket) + 1;
        int[][] c = new int[n][4];
        for (History.Op o : h.ops()) {
            if (o.type() == History.OpType.TXN || o.client() >= Workload.DIRECT_CLIENT_BASE) {
                continue; // the chart shows the edge's clients
            }
            int i = (int) Math.min(n - 1, Math.max(0, o.completeMs() / bucket));
            int col = (o.type() == History.OpType.WRITE ? 0 : 2) + (o.ok() ? 0 : 1);
            c[i][col]++;
        }
        List<RunResult.Timeline.Bucket> buckets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            buckets.add(new RunResult.Timeline.Bucket(i * bucket, c[i][0], c[i][1], c[i][2], c[i][3]));
        }
        List<RunResult.Timeline.Role> roles = new ArrayList<>();
        RunResult.Timeline.Role last = null;
        for (History.RoleSample s : h.samples()) {
            if (last == null || !last.writer().equals(s.writer()) || last.epoch() != s.epoch() || last.steady() != s.steady()) {
                last = new RunResult.Timeline.Role(s.atMs(), s.writer(), s.epoch(), s.steady());
                roles.add(last);
            }
        }
        return new RunResult.Timeline(bucket, buckets, h.marks(), roles);
    }

    /** Asks the arbiter for a planned switchover to {@code to}. */
    static void switchover(String arbiterUrl, String operatorToken, String to) throws IOException {
        Http.Response r = Http.post(arbiterUrl + "/v1/switchover", operatorToken,
                Http.JSON.writeValueAsString(new OperatorRequest.Switchover(SiteId.of(to))));
        if (r.status() != 202) {
            throw new IOException("switchover to " + to + " refused: " + r.status() + " " + r.body());
        }
    }

    private static void sleepUntil(History h, double ms) {
        double wait = ms - h.now();
        if (wait > 0) {
            sleep((long) Math.ceil(wait));
        }
    }

    private void say(String fmt, Object... args) {
        if (progress != null) {
            progress.printf(fmt + "%n", args);
            progress.flush();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.version"));
        return m;
    }
}
