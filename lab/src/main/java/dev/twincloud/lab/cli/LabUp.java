package dev.twincloud.lab.cli;

import dev.twincloud.core.protocol.Timing;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.backup.BackupSchedule;
import dev.twincloud.lab.backup.BackupTools;
import dev.twincloud.lab.backup.BarmanCloud;
import dev.twincloud.lab.backup.LabBackups;
import dev.twincloud.lab.backup.ObjectStore;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.Lab;
import dev.twincloud.lab.supervisor.LabControlServer;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabSecrets;
import dev.twincloud.lab.supervisor.LabSettings;
import dev.twincloud.lab.supervisor.LinkLatency;
import java.util.Locale;
import java.util.Map;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lab up}: start the whole two-cloud system on this machine. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = {"Start the lab: per site (gcp, aws) PostgreSQL with streaming replication, an agent and the API;",
                "an arbiter (or, with --arbiter-replicas 2, two replicas on a three-member etcd behind a front);",
                "an edge (the global load balancer). Prints the entry URL and a dev token.",
                "Runs in the foreground until Ctrl-C or 'twincloud lab down' (or use --detach)."})
public final class LabUp implements Callable<Integer> {
    private static final String PATH_SEPARATOR = System.getProperty("path.separator");
    @Mixin
    LabOptions lab;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--fresh", description = "Delete the lab's directory first (all its data).")
    boolean fresh;

    @Option(names = "--detach", description = "Start in the background and return once the lab is up.")
    boolean detach;

    @Option(names = "--mode", defaultValue = "SYNC", description = "Durability: SYNC or ASYNC. Default: ${DEFAULT-VALUE}")
    Durability mode;

    @Option(names = "--lease-ttl-ms", defaultValue = "" + Timing.LEASE_TTL_MS, description = "Write lease ttl in ms. Default: ${DEFAULT-VALUE}")
    long leaseTtlMs;

    @Option(names = "--edge-profile", paramLabel = "lab|cloud", converter = LabOptions.EdgeProfileConverter.class,
            description = "The edge's health checks: lab (every 100 ms, 80 ms timeout, 1/2, a definitive 'not the writer' "
                    + "drops a site at once) or cloud (exactly the GCP load balancer's check deploy/terraform sets: 1 s, 1 s, "
                    + "1/2, every failure counts the same). See docs/edge.md. Default: lab")
    LabSettings.EdgeProfile edgeProfile = LabSettings.EdgeProfile.LAB;

    @Option(names = "--db-roles", paramLabel = "PRODUCTION|SUPERUSER", description = "Database roles of the APIs: PRODUCTION "
            + "(twincloud_app at run time, twincloud_owner for migrations) or SUPERUSER (postgres). Default: ${DEFAULT-VALUE}")
    LabSettings.DbRoles dbRoles = LabSettings.DbRoles.DEFAULT;

    @Option(names = "--no-monitoring",
            description = "Skip Prometheus and Alertmanager. Without it they start when their binaries are found "
                    + "(Debian: prometheus, prometheus-alertmanager) on base+4 and base+5: Prometheus scrapes every "
                    + "component and evaluates the alert rules (docs/observability.md)")
    boolean noMonitoring;

    @Option(names = "--tls", description = LabOptions.TLS_HELP)
    boolean tlsFlag;

    @Option(names = "--no-tls", description = LabOptions.NO_TLS_HELP)
    boolean noTls;

    /** {@code --tls}, {@code --no-tls} or the default, resolved in {@link #call()}. */
    private boolean tls;

    @Option(names = "--active-active", description = LabOptions.ACTIVE_ACTIVE_HELP)
    boolean activeActive;

    @Mixin
    LinkLatencyOptions linkLatency;

    @Option(names = "--arbiter-replicas", paramLabel = "1|2", defaultValue = "1", description = LabOptions.ARBITER_REPLICAS_HELP)
    int arbiterReplicas;

    @Option(names = "--backups", description = "Start the two object stores (gcs, s3), archive each site's WAL to its own, "
            + "and take scheduled base backups (docs/backups.md; needs s3rver and barman-cloud). Off by default (or "
            + "TWINCLOUD_LAB_BACKUPS=on): a planned switchover then waits for PostgreSQL to archive its last segment "
            + "while it stops (about 9 s here).")
    boolean backupsFlag;

    @Option(names = "--no-backups", description = "No object stores, no WAL archiving, no scheduled base backups.")
    boolean noBackups;

    @Option(names = "--backup-every", paramLabel = "DURATION", defaultValue = "6h", description = "With backups on: a base "
            + "backup of each site into its own store this long after the previous round, the first one "
            + "--first-backup-after the lab is up (as the chart's ScheduledBackup; 'lab backup' takes one now). "
            + "0 turns the schedule off. Default: ${DEFAULT-VALUE}")
    String backupEvery;

    @Option(names = "--first-backup-after", paramLabel = "DURATION", defaultValue = "1m",
            description = "With backups on: when the first scheduled base backup starts. Default: ${DEFAULT-VALUE}")
    String firstBackupAfter;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LabLayout layout = lab.layout();
        if (leaseTtlMs < 500 || leaseTtlMs > 600_000) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--lease-ttl-ms must be between 500 and 600000");
        }
        Map<String, Duration> latency = linkLatency.latency(spec.commandLine());
        LabOptions.arbiterReplicas(spec.commandLine(), arbiterReplicas);
        tls = LabOptions.tls(spec.commandLine(), tlsFlag, noTls);
        boolean backups = backups(spec.commandLine());
        Duration every;
        Duration first;
        try {
            every = backupEvery.trim().equals("0") ? Duration.ZERO : TimeArgs.duration(backupEvery); // 0: none scheduled
            first = TimeArgs.duration(firstBackupAfter);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--backup-every / --first-backup-after: " + e.getMessage());
        }
        if (every.isNegative() || first.isNegative()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--backup-every and --first-backup-after cannot be negative");
        }
        if (running(layout)) {
            err.println("a lab is already running with control port " + layout.labControlPort()
                    + " (see 'twincloud lab status'); stop it with 'twincloud lab down'");
            return 1;
        }
        if (fresh) {
            deleteTree(layout.root());
        }
        Files.createDirectories(layout.root());
        if (detach) {
            return detach(layout, latency, backups, out, err);
        }
        Path home = Path.of(System.getProperty("twincloud.home", System.getenv().getOrDefault("TWINCLOUD_HOME", "."))).toAbsolutePath().normalize();
        LabSettings settings = LabSettings.defaults(layout, home).withMode(mode).withLeaseTtl(Duration.ofMillis(leaseTtlMs))
                .withDbRoles(dbRoles).withEdgeProfile(edgeProfile).withLinkLatency(latency)
                .withArbiterReplicas(arbiterReplicas).withMonitoring(!noMonitoring).withTls(tls).withActiveActive(activeActive)
                .withBackups(backups);
        out.println("starting the lab in " + layout.root() + " (logs in " + layout.logs() + ") ...");
        out.flush();
        long t0 = System.nanoTime();
        Lab running;
        try {
            running = Lab.up(settings, m -> {
                out.printf(Locale.ROOT, "  [%5.1f s] %s%n", (System.nanoTime() - t0) / 1e9, m);
                out.flush();
            });
        } catch (IllegalStateException e) {
            err.println("the lab did not start: " + e.getMessage());
            err.println("see the logs in " + layout.logs());
            return 1;
        }
        try (Lab l = running; LabControlServer control = LabControlServer.start(l);
             AutoCloseable schedule = schedule(l, first, every, out)) {
            Thread hook = new Thread(l::close, "lab-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            printSummary(out, l, Duration.ofNanos(System.nanoTime() - t0));
            if (l.backups()) {
                out.println(every.isZero() ? "  base backups: none scheduled (--backup-every 0); 'lab backup' takes one"
                        : "  base backups: scheduled, both stores, first in " + firstBackupAfter + ", then every " + backupEvery
                        + " ('lab backups' lists them)");
                out.flush();
            }
            control.awaitDown();
            out.println("stopping the lab ...");
            Runtime.getRuntime().removeShutdownHook(hook);
        }
        out.println("lab stopped; data kept in " + layout.root() + " ('lab up --fresh' starts over)");
        return 0;
    }

    /** {@code --backups}, {@code --no-backups}, or the default: {@code TWINCLOUD_LAB_BACKUPS=on}, else off. */
    private boolean backups(CommandLine cmd) {
        if (backupsFlag && noBackups) {
            throw new CommandLine.ParameterException(cmd, "--backups and --no-backups exclude each other");
        }
        if (backupsFlag || noBackups) {
            if (backupsFlag && BackupTools.find().isEmpty()) {
                throw new CommandLine.ParameterException(cmd, "--backups: " + BackupTools.notFound());
            }
            return backupsFlag;
        }
        return LabBackups.enabled();
    }

    /** The scheduled base backups of a lab with backups on ({@code every} 0: none). */
    private static AutoCloseable schedule(Lab l, Duration first, Duration every, PrintWriter out) {
        if (!l.backups() || every.isZero()) {
            return () -> { };
        }
        BarmanCloud barman = new BarmanCloud(BackupTools.require());
        return BackupSchedule.start(ObjectStore.all(l.layout()), s -> LabBackups.backup(l.layout(), barman, s), first, every, m -> {
            out.println("  " + m);
            out.flush();
        });
    }

    private static boolean running(LabLayout layout) {
        try {
            return CliHttp.get("http://127.0.0.1:" + layout.labControlPort() + "/lab/status", null).status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** Re-runs this command in a background process and waits for its control port. */
    private int detach(LabLayout layout, Map<String, Duration> latency, boolean backups, PrintWriter out, PrintWriter err)
            throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        String cp = System.getProperty("java.class.path");
        List<String> cmd = new ArrayList<>(List.of(java, "-Dtwincloud.home=" + System.getProperty("twincloud.home", ".")));
        if (cp.endsWith(".jar") && !cp.contains(PATH_SEPARATOR)) {
            cmd.addAll(List.of("-jar", cp)); // the runnable jar: its own launcher finds the classes
        } else {
            cmd.addAll(List.of("-cp", cp, "dev.twincloud.lab.TwincloudCli"));
        }
        cmd.addAll(List.of("lab", "up",
                "--root", layout.root().toString(), "--base-port", Integer.toString(layout.basePort()),
                "--mode", mode.name(), "--lease-ttl-ms", Long.toString(leaseTtlMs), "--db-roles", dbRoles.name(),
                "--edge-profile", edgeProfile.flag(), "--arbiter-replicas", Integer.toString(arbiterReplicas)));
        if (noMonitoring) {
            cmd.add("--no-monitoring");
        }
        cmd.add(tls ? "--tls" : "--no-tls"); // explicit: the detached lab must not depend on its own default
        cmd.add(backups ? "--backups" : "--no-backups");
        cmd.addAll(List.of("--backup-every", backupEvery, "--first-backup-after", firstBackupAfter));
        if (activeActive) {
            cmd.add("--active-active");
        }
        LinkLatency.toSpecs(latency).forEach(l -> cmd.addAll(List.of("--link-latency", l)));
        Files.createDirectories(layout.logs());
        Path log = layout.logs().resolve("lab.log");
        long logStart = Files.exists(log) ? Files.size(log) : 0; // the log is appended to: read only this run's part
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
        int shown = 0;
        while (System.nanoTime() < deadline) {
            String run = newPart(log, logStart);
            List<String> steps = run.lines().filter(l -> l.startsWith("  [")).toList();
            for (; shown < steps.size(); shown++) {
                out.println(steps.get(shown)); // the background lab's progress, as it goes
            }
            out.flush();
            if (!p.isAlive()) {
                err.println("the lab did not start; see " + log);
                return 1;
            }
            if (run.contains("twincloud lab is up")) {
                out.print(run.lines().dropWhile(l -> !l.startsWith("twincloud lab is up")).reduce("", (a, b) -> a + b + "\n"));
                out.flush();
                return 0;
            }
            Thread.sleep(200);
        }
        err.println("the lab did not come up within 4 minutes; see " + log);
        return 1;
    }

    private static String newPart(Path log, long from) throws IOException {
        byte[] all = Files.readAllBytes(log);
        return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from), java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void printSummary(PrintWriter out, Lab l, Duration took) {
        LabLayout layout = l.layout();
        String token = l.secrets().devToken(Duration.ofHours(12));
        out.printf("twincloud lab is up in %.1f s (%s mode, lease ttl %d ms, %s database roles, edge profile %s%s%s)%n",
                took.toMillis() / 1000.0, l.settings().mode(), l.settings().leaseTtl().toMillis(),
                l.settings().dbRoles().name().toLowerCase(), l.settings().edgeProfile().describe(),
                l.settings().linkLatency().isEmpty() ? "" : ", link latency " + String.join(" ", LinkLatency.toSpecs(l.settings().linkLatency())),
                l.settings().replicated() ? ", " + l.settings().arbiterReplicas() + " arbiter replicas on a three-member etcd" : "");
        out.println();
        out.println("  entry (edge):  " + layout.entryUrl() + (l.settings().activeActive() ? "  (follows the writer)" : ""));
        if (l.settings().activeActive()) {
            for (SiteId s : LabLayout.SITES) {
                out.printf("  %s's users:   %s  (home %s while it can serve reads; its API forwards through link %s->%s:api, :%d)%n",
                        s, layout.homeEntryUrl(s), s, s, LabLayout.peer(s), layout.peerApiLinkPort(s));
            }
        }
        for (SiteId s : LabLayout.SITES) {
            out.printf("  %-4s          api %s  agent :%d (%s; actuator :%d)  postgres :%d%n", s, l.apiUrl(s), layout.agentPort(s),
                    l.tls().isPresent() ? "https" : "http", layout.agentManagementPort(s), layout.pgPort(s));
        }
        out.println("  TLS:           " + l.tls().map(t -> "on the cross-site links (replication, the agents' database connections and "
                + "failsafe link, the agents' calls to the arbiter: https://127.0.0.1:" + layout.arbiterTlsPort()
                + (l.settings().replicated() ? ", the front, on to the replicas over HTTPS" : "") + "); the lab's CA and certificates in " + t.dir()).orElse("off (--no-tls or the default; lab up --tls --fresh turns it on)"));
        if (l.settings().replicated()) {
            out.println("  arbiter:       " + l.arbiterUrl() + "  (the front: sends every request to the acting replica, now "
                    + l.actingArbiter().orElse("none") + ")");
            for (int i = 1; i <= l.settings().arbiterReplicas(); i++) {
                out.printf("                 %s %s%n", Lab.replicaName(i), l.replicaUrl(i));
            }
            out.println("  etcd:          " + dev.twincloud.lab.supervisor.LabEtcd.endpoints(layout));
        } else {
            out.println("  arbiter:       " + l.arbiterUrl());
        }
        out.println("  status page:   " + l.arbiterUrl() + "/status  (token: " + LabSecrets.VIEWER_KEY + " in "
                + layout.secretsFile() + ")");
        if (l.monitoring()) {
            out.println("  prometheus:    " + layout.prometheusUrl() + "  (alerts: " + layout.prometheusUrl() + "/alerts)");
            out.println("  alertmanager:  " + layout.alertmanagerUrl() + "  (API: " + layout.alertmanagerUrl() + "/api/v2/alerts)");
        }
        out.println("  logs:          " + layout.logs());
        out.println();
        out.println("  dev token (12 h):");
        out.println("  " + token);
        out.println();
        out.println("  try:  curl -s -H \"Authorization: Bearer $TOKEN\" " + layout.entryUrl() + "/v1/ecgs?patientRef=p-1");
        out.println("  then: twincloud lab status | lab kill gcp | lab start gcp | lab switchover aws | lab down");
        if (l.settings().replicated()) {
            out.println("        lab kill acting-arbiter | lab kill etcd-leader | lab start arbiter | lab rolling-restart");
        }
        out.flush();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
