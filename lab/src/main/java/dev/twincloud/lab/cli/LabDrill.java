package dev.twincloud.lab.cli;

import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Timing;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.lab.drill.Checker;
import dev.twincloud.lab.drill.Drill;
import dev.twincloud.lab.drill.DrillReport;
import dev.twincloud.lab.drill.DrillSettings;
import dev.twincloud.lab.drill.DrillTarget;
import dev.twincloud.lab.drill.EdgeTarget;
import dev.twincloud.lab.drill.LabTarget;
import dev.twincloud.lab.drill.Scenario;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lab drill}: a client workload through the edge while faults play; then the history is checked. */
@Command(name = "drill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Failover drills. Starts a fresh lab, runs writers (idempotency keys, retries, read-your-writes) and "
                + "readers through the edge while a fault schedule plays, heals, waits for the system to settle, and checks the "
                + "history and every site's database: lost acknowledged writes, split brain, duplicates, stale reads, async loss "
                + "over its bound; and the alerts the lab's Prometheus fired: each scenario's expected alerts must fire in time, "
                + "nothing else may (docs/lab.md, \"Alerts\"). Prints a summary table and writes drill-report.{json,md,html} (with the run's metrics "
                + "and the merged log lines around each fault) and histories/ to --report-dir. "
                + "Exit code 0 when every run passed.",
                "",
                "With --edge and --token it drills an existing deployment instead: the workload and the client-side checks only "
                + "(kill, freeze and partition need the lab; a switchover runs when --arbiter and --operator-token are given).",
                "",
                "Scenarios: all, or a comma-separated list of kill-writer, freeze-writer, partition-writer-arbiter, "
                + "partition-sites, kill-standby, kill-arbiter, kill-writer-agent, switchover, flapping-link, pause-writer-agent, "
                + "pause-writer-api, pause-writer-postmaster, kill-writer-postmaster, kill-standby-postmaster, long-txns-deposed, "
                + "delay-writer-arbiter, slow-writer-arbiter, delay-replication, random, none, load, restore (none, load and restore are not "
                + "in all; restore needs TWINCLOUD_LAB_BACKUPS=on, docs/backups.md). With "
                + "--arbiter-replicas 2 also kill-acting-arbiter, kill-etcd-member and rolling-restart-arbiter (in all then, and "
                + "arbiter-restart-old-state is not: the state is in etcd). See docs/lab.md.", ""})
public final class LabDrill implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--scenario", defaultValue = "all", paramLabel = "LIST",
            description = "all, or a comma-separated list (see above); -ID leaves one out (all,-random). Default: ${DEFAULT-VALUE}")
    String scenario;

    @Option(names = "--runs", defaultValue = "1", description = "Runs of every scenario. Default: ${DEFAULT-VALUE}")
    int runs;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the random schedule (run i uses seed+i-1). Default: ${DEFAULT-VALUE}")
    long seed;

    @Option(names = "--report-dir", paramLabel = "DIR", description = "Where the reports go. Default: <root>/report, or drill-report-<time> with --edge")
    Path reportDir;

    @Option(names = "--root", paramLabel = "DIR", description = "The drill lab's directory (must be new or a lab root). Default: lab/target/drill-<time>")
    Path root;

    @Option(names = "--base-port", defaultValue = "7400", description = "First of the drill lab's ports. Default: ${DEFAULT-VALUE}")
    int basePort;

    @Option(names = "--mode", defaultValue = "SYNC", description = "SYNC or ASYNC. Default: ${DEFAULT-VALUE}")
    Durability mode;

    @Option(names = "--lease-ttl-ms", defaultValue = "" + Timing.LEASE_TTL_MS, description = "Write lease ttl of the drill lab. Default: ${DEFAULT-VALUE}")
    long leaseTtlMs;

    @Option(names = "--db-roles", paramLabel = "PRODUCTION|SUPERUSER", description = "Database roles of the drill lab's APIs "
            + "(see 'lab up --help'). Default: ${DEFAULT-VALUE}")
    LabSettings.DbRoles dbRoles = LabSettings.DbRoles.DEFAULT;

    @Option(names = "--edge-profile", paramLabel = "lab|cloud", converter = LabOptions.EdgeProfileConverter.class,
            description = "The drill lab's edge health checks: lab or cloud (see 'lab up --help', docs/edge.md). Default: lab")
    LabSettings.EdgeProfile edgeProfile;

    @Option(names = "--tls", description = LabOptions.TLS_HELP)
    boolean tls;

    @Option(names = "--no-tls", description = LabOptions.NO_TLS_HELP)
    boolean noTls;

    @Option(names = "--active-active", description = LabOptions.ACTIVE_ACTIVE_HELP)
    boolean activeActive;

    @CommandLine.Mixin
    LinkLatencyOptions linkLatency;

    @Option(names = "--arbiter-replicas", paramLabel = "1|2", defaultValue = "1", description = LabOptions.ARBITER_REPLICAS_HELP)
    int arbiterReplicas;

    @Option(names = "--no-monitoring", description = "Run the drill lab without Prometheus and Alertmanager: no alerts checked, no "
            + "metrics in the report. Without it they start when their binaries are found (docs/observability.md), and every run's "
            + "alerts are judged against what its scenario expects (docs/lab.md, \"Alerts\")")
    boolean noMonitoring;

    @Option(names = "--alerts-report-only", description = "Report the alert verdicts without letting them fail a run. By default "
            + "a late, missing or unexplained alert fails its run (docs/lab.md, \"Alerts\")")
    boolean alertsReportOnly;

    @Option(names = "--writers", defaultValue = "3", description = "Concurrent writing clients. Default: ${DEFAULT-VALUE}")
    int writers;

    @Option(names = "--readers", defaultValue = "1", description = "Concurrent reading clients. Default: ${DEFAULT-VALUE}")
    int readers;

    @Option(names = "--settle-timeout-s", defaultValue = "90", description = "Wait for the steady state, per run. Default: ${DEFAULT-VALUE}")
    int settleTimeoutS;

    @Option(names = "--loss-bound-bytes", description = "ASYNC: the most acknowledged bytes a failover may lose. Default: the arbiter's max-lag")
    Long lossBoundBytes;

    @Option(names = "--staleness-bound-ms", defaultValue = "" + Checker.DEFAULT_STALENESS_BOUND_MS, description = "The most a standby may lag and still serve "
            + "reads (the API's bound): a read answered as a standby with a larger Twincloud-Staleness-Ms is stale. Default: ${DEFAULT-VALUE}")
    long stalenessBoundMs;

    @Option(names = "--edge", paramLabel = "URL", description = "Drill an existing deployment through this edge URL instead of a lab")
    String edge;

    @Option(names = "--token", paramLabel = "T", description = "With --edge: an API token with ecg:read and ecg:write")
    String token;

    @Option(names = "--arbiter", paramLabel = "URL", description = "With --edge: the arbiter, to read roles and events and to switch over")
    String arbiter;

    @Option(names = "--operator-token", paramLabel = "T", description = "With --arbiter: the operator token")
    String operatorToken;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Scenario> scenarios;
        LabOptions.arbiterReplicas(spec.commandLine(), arbiterReplicas);
        if (edge != null && arbiterReplicas != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--arbiter-replicas sets the drill lab's arbiter; "
                    + "with --edge the deployment has its own");
        }
        try {
            scenarios = Scenario.parse(scenario, arbiterReplicas);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (edge == null && scenarios.contains(Scenario.RESTORE)) {
            String why = !dev.twincloud.lab.backup.LabBackups.enabled()
                    ? dev.twincloud.lab.backup.LabBackups.OFF_VARIABLE + " is not 'on'"
                    : dev.twincloud.lab.backup.BackupTools.find().isEmpty() ? dev.twincloud.lab.backup.BackupTools.notFound() : null;
            if (why != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "scenario restore needs a drill lab with backups ("
                        + why + "): run it as " + dev.twincloud.lab.backup.LabBackups.OFF_VARIABLE + "=on twincloud lab drill --scenario "
                        + "restore (docs/backups.md#restore-drill)");
            }
        }
        if (runs < 1 || runs > 1000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--runs must be between 1 and 1000");
        }
        String ts = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        DrillSettings settings = DrillSettings.defaults(scenarios, runs, seed).withClients(writers, readers)
                .withSettleTimeout(Duration.ofSeconds(settleTimeoutS)).withStalenessBound(stalenessBoundMs);
        if (stalenessBoundMs < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--staleness-bound-ms must not be negative");
        }
        java.util.Map<String, Duration> latency = linkLatency.latency(spec.commandLine());
        boolean tlsOn = LabOptions.tls(spec.commandLine(), tls, noTls);
        if (edge != null && !latency.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--link-latency goes with a lab, not with --edge");
        }
        if (edge != null && noMonitoring) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--no-monitoring goes with a lab, not with --edge "
                    + "(a deployment's alerts are not read)");
        }
        DrillTarget target;
        Path reports;
        if (edge != null) {
            if (token == null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--edge needs --token");
            }
            if (edgeProfile != null) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--edge-profile sets the drill lab's edge; "
                        + "with --edge the deployment's own load balancer decides");
            }
            target = new EdgeTarget(edge, token, arbiter, operatorToken);
            reports = reportDir != null ? reportDir : Path.of("drill-report-" + ts);
            out.println("drilling " + target.describe() + ": only the workload and client-side checks (and a switchover with"
                    + " --arbiter/--operator-token); kill, freeze and partition need the lab");
        } else {
            Path home = Path.of(System.getProperty("twincloud.home", System.getenv().getOrDefault("TWINCLOUD_HOME", ".")))
                    .toAbsolutePath().normalize();
            Path dir = root != null ? root : home.resolve("lab").resolve("target").resolve("drill-" + ts);
            if (!prepareRoot(dir, err) || !portsFree(basePort, err)) {
                return 1;
            }
            reports = reportDir != null ? reportDir : dir.resolve("report");
            LabSettings ls = LabSettings.defaults(new LabLayout(dir, basePort), home).withMode(mode)
                    .withLeaseTtl(Duration.ofMillis(leaseTtlMs)).withDbRoles(dbRoles)
                    .withEdgeProfile(edgeProfile != null ? edgeProfile : LabSettings.EdgeProfile.LAB)
                    .withLinkLatency(latency).withArbiterReplicas(arbiterReplicas)
                    .withMonitoring(!noMonitoring).withTls(tlsOn).withActiveActive(activeActive);
            out.println("starting a drill lab in " + dir + " (base port " + basePort + ", edge profile "
                    + ls.edgeProfile().describe() + (ls.replicated() ? ", " + arbiterReplicas + " arbiter replicas on a three-member etcd" : "")
                    + ") ...");
            out.flush();
            Lab lab;
            try {
                lab = Lab.up(ls);
            } catch (IllegalStateException e) {
                err.println("the lab did not start: " + e.getMessage());
                return 1;
            }
            target = new LabTarget(lab, true);
            if (!noMonitoring && !lab.monitoring()) {
                out.println("alerts will not be checked: " + dev.twincloud.lab.supervisor.LabMonitoring.notFound());
            }
        }
        if (mode == Durability.ASYNC || edge != null) {
            long bound = lossBoundBytes != null ? lossBoundBytes : maxLag(target).orElse(Timing.MAX_LAG_BYTES);
            boolean sync = edge == null ? mode == Durability.SYNC : arbiterMode(target).map(m -> m == Durability.SYNC).orElse(true);
            settings = settings.withMode(sync, bound);
        }
        Thread hook = new Thread(target::close, "drill-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        DrillReport report;
        try {
            out.println("drill: " + scenarios.stream().map(s -> s.id).toList() + " x " + runs + " run(s), seed " + seed);
            out.flush();
            report = new Drill(target, settings, out, reports.resolve("histories")).alertsFailRuns(!alertsReportOnly).run();
        } finally {
            target.close();
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        out.println();
        out.print(report.table());
        for (Path p : report.write(reports)) {
            out.println("report: " + p);
        }
        out.println(report.passed() ? "PASS" : "FAIL: " + report.runs().stream().filter(r -> !r.passed()).count() + " run(s) failed, "
                + report.anomalyCount() + " anomalies");
        return report.passed() ? 0 : 1;
    }

    private static java.util.Optional<Long> maxLag(DrillTarget t) {
        return status(t).map(ArbiterStatus::config).map(ArbiterStatus.Config::maxLagBytes).filter(v -> v > 0);
    }

    private static java.util.Optional<Durability> arbiterMode(DrillTarget t) {
        return status(t).map(ArbiterStatus::mode);
    }

    private static java.util.Optional<ArbiterStatus> status(DrillTarget t) {
        try {
            if (t.arbiterUrl().isEmpty()) {
                return java.util.Optional.empty();
            }
            return java.util.Optional.of(Http.get(t.arbiterUrl().get() + "/v1/status", t.operatorToken()).as(ArbiterStatus.class));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** A new directory, or an old drill lab's (it has a secrets file): deleted, so that every drill starts fresh. */
    private static boolean prepareRoot(Path dir, PrintWriter err) throws IOException {
        if (!Files.exists(dir)) {
            return true;
        }
        boolean empty;
        try (Stream<Path> s = Files.list(dir)) {
            empty = s.findAny().isEmpty();
        }
        if (!empty && !Files.exists(dir.resolve("secrets.properties"))) {
            err.println(dir + " exists and is not a lab root: choose another --root");
            return false;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
        return true;
    }

    private static boolean portsFree(int base, PrintWriter err) {
        for (int p : new int[] {base, base + 1, base + 10, base + 20}) {
            try (ServerSocket s = new ServerSocket(p, 1, java.net.InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                err.println("port " + p + " is in use (a lab running there?): choose another --base-port");
                return false;
            }
        }
        return true;
    }
}
