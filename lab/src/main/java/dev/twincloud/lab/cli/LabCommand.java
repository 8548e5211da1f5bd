package dev.twincloud.lab.cli;

import dev.twincloud.lab.link.LinkStatus;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabSecrets;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code twincloud lab ...}: the whole two-cloud system on this machine, and faults to inject into it. */
@Command(name = "lab", mixinStandardHelpOptions = true,
        description = "Run the two-cloud system on this machine and inject faults.",
        subcommands = {LabUp.class, LabCommand.Down.class, LabCommand.Status.class, LabCommand.Kill.class,
                LabCommand.Freeze.class, LabCommand.Thaw.class, LabCommand.Start.class, LabCommand.Partition.class,
                LabCommand.Delay.class, LabCommand.Latency.class, LabCommand.Heal.class, LabCommand.RollingRestart.class, LabCommand.Token.class, LabSwitchover.class, LabPromote.class, LabDrill.class, LabLogsCommand.class,
                LabBackupCommands.Backup.class, LabBackupCommands.Backups.class, LabBackupCommands.RestoreCmd.class,
                LabBackupCommands.RestoreDrillCmd.class, LabCommand.Recover.class})
public final class LabCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a lab command, e.g. 'lab up'");
    }

    /** Sends one verb to the running lab and prints its answer. */
    abstract static class Verb implements Callable<Integer> {
        @Mixin
        LabOptions lab;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        Integer call(String method, String verb, String query) {
            return call(method, verb, query, CliHttp.READ_TIMEOUT_MS);
        }

        /** As {@link #call(String, String, String)}, waiting up to {@code readTimeoutMs} for the answer. */
        Integer call(String method, String verb, String query, int readTimeoutMs) {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try {
                Http.Response r = method.equals("POST") && readTimeoutMs != CliHttp.READ_TIMEOUT_MS
                        ? CliHttp.post(lab.controlUrl() + verb + (query.isEmpty() ? "" : "?" + query), null, "", readTimeoutMs)
                        : send(method, verb, query);
                if (r.status() != 200) {
                    err.println("lab " + verb + ": " + r.json().path("error").asString(r.body()));
                    return 1;
                }
                out.println(Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r.json().path("result")));
                return 0;
            } catch (java.net.SocketTimeoutException e) {
                err.println("lab " + verb + ": no answer within " + readTimeoutMs / 1000 + " s; the lab may still be at it "
                        + "(see its output and 'twincloud lab status')");
                return 1;
            } catch (IOException e) {
                err.println(noLab());
                return 1;
            }
        }

        Http.Response send(String method, String verb, String query) throws IOException {
            String url = lab.controlUrl() + verb + (query.isEmpty() ? "" : "?" + query);
            return method.equals("POST") ? CliHttp.post(url, null, "") : CliHttp.get(url, null);
        }

        String noLab() {
            return "no lab is running at " + lab.layout().root() + " (control port "
                    + lab.layout().labControlPort() + " does not answer): start one with 'twincloud lab up'";
        }

        static String q(String key, String value) {
            return key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = {
            "Stop every process of the running lab (data is kept), and return once all its ports are free (at most 60 s),",
            "so that 'lab down && lab up' works."})
    static final class Down extends Verb {
        static final java.time.Duration WAIT = java.time.Duration.ofSeconds(60);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            long started = System.nanoTime();
            int replicas = 1;
            boolean activeActive = false;
            try {
                // with two arbiter replicas, their ports and etcd's must be free too; active-active, the home entries' and links'
                Http.Response st = send("GET", "status", "");
                if (st.status() == 200 && st.json().path("result").has("arbiterReplicas")) {
                    replicas = st.json().path("result").path("arbiterReplicas").size();
                }
                activeActive = st.status() == 200 && st.json().path("result").has("homeEntries");
                Http.Response r = send("POST", "down", "");
                if (r.status() != 200) {
                    err.println("lab down: " + r.json().path("error").asString(r.body()));
                    return 1;
                }
            } catch (IOException e) {
                err.println(noLab());
                return 1;
            }
            long deadline = started + WAIT.toNanos();
            List<Integer> busy = busyPorts(replicas, activeActive);
            while (!busy.isEmpty() && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return 1;
                }
                busy = busyPorts(replicas, activeActive);
            }
            double secs = (System.nanoTime() - started) / 1e9;
            if (!busy.isEmpty()) {
                err.printf("lab down: still listening on %s after %.0f s; see %s%n", busy, secs, lab.layout().logs());
                return 1;
            }
            out.printf("the lab is down (%.1f s); its data stays in %s%n", secs, lab.layout().root());
            return 0;
        }

        private List<Integer> busyPorts(int replicas, boolean activeActive) {
            return lab.layout().ports(replicas, activeActive).stream().filter(p -> !dev.twincloud.pgctl.Ports.isFree(p)).toList();
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = {
            "The running lab: its processes (pid or down), its links (state, latency, delay, traffic); with two arbiter "
                    + "replicas which one acts, where the front sends requests, and the etcd members (health, raft leader); then "
                    + "the arbiter's view as 'ctl status' shows it (one row per site, alerts, last events).",
            "--json prints the lab's machine format instead (processes and links)."})
    static final class Status extends Verb {
        @CommandLine.Option(names = "--json", description = "the lab control's status as JSON")
        boolean json;

        @Override
        public Integer call() {
            if (json) {
                return call("GET", "status", "");
            }
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            LabLayout layout = lab.layout();
            LabState state;
            List<LinkStatus> links;
            try {
                Http.Response r = send("GET", "status", "");
                if (r.status() != 200) {
                    err.println("lab status: " + r.json().path("error").asString(r.body()));
                    return 1;
                }
                state = Http.JSON.treeToValue(r.json().path("result"), LabState.class);
                Http.Response l = CliHttp.get("http://127.0.0.1:" + layout.linkControlPort() + "/links", null);
                links = l.status() == 200 ? Http.JSON.treeToValue(l.json().path("links"), LINKS) : List.of();
            } catch (IOException e) {
                err.println(noLab());
                return 1;
            }
            out.print(StatusTables.lab(state.root(), state.entry(), state.processes(), links));
            if (state.monitoring() != null && !state.monitoring().isEmpty()) {
                out.println();
                state.monitoring().forEach((name, url) -> out.printf("%-13s %s%n", name, url));
            }
            out.println();
            if (state.homeEntries() != null && !state.homeEntries().isEmpty()) {
                out.print(StatusTables.homeEntries(state.homeEntries()));
                out.println();
            }
            if (state.arbiterReplicas() != null && !state.arbiterReplicas().isEmpty()) {
                out.print(StatusTables.replicas(state.arbiterReplicas(), state.arbiterFront(), state.etcd()));
                out.println();
            }
            String arbiter = "http://127.0.0.1:" + layout.arbiterPort();
            try {
                String token = LabSecrets.operatorToken(layout);
                StringWriter text = new StringWriter();
                int rc = new ArbiterCalls(arbiter, token, new PrintWriter(text), new PrintWriter(text)).status(false);
                out.print(rc == 0 ? text : "arbiter: " + text);
            } catch (IOException e) {
                out.println("arbiter: cannot read the operator token in " + layout.secretsFile() + ": " + e.getMessage());
            }
            out.flush();
            return 0;
        }

        private static final tools.jackson.core.type.TypeReference<List<LinkStatus>> LINKS = new tools.jackson.core.type.TypeReference<>() {
        };

        /** The lab control's {@code GET /lab/status} result. */
        @com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
        record LabState(String root, String entry, Map<String, Object> processes, List<String> links,
                        List<StatusTables.Replica> arbiterReplicas, String arbiterFront, List<StatusTables.EtcdMember> etcd,
                        Map<String, String> monitoring, List<StatusTables.HomeEntry> homeEntries) {
        }
    }

    /** The targets of a lab with two arbiter replicas, for the verbs' --help. */
    static final String REPLICA_TARGETS = "With two arbiter replicas (lab up --arbiter-replicas 2): arbiter is both replicas "
            + "(the front stays, as a load balancer would); acting-arbiter the replica acting now; arbiter-1, arbiter-2 one "
            + "replica; arbiter-front the front; etcd every etcd member, etcd-leader etcd's raft leader now, etcd-1..3 one member. "
            + "'start' and 'thaw' of acting-arbiter or etcd-leader start or thaw every replica or member that needs it. "
            + "With --active-active also edge-gcp, edge-aws: a home entry.";

    @Command(name = "kill", mixinStandardHelpOptions = true,
            description = {"SIGKILL every process of a site (PostgreSQL, agent, api), or the arbiter or edge. "
                    + "A component alone with --component: gcp-agent, gcp-api, or gcp-postgres (the postmaster process alone).",
                    REPLICA_TARGETS})
    static final class Kill extends Verb {
        @Parameters(paramLabel = "TARGET", description = "gcp, aws, arbiter or edge (more with two arbiter replicas, above); "
                + "with --component: e.g. gcp-agent")
        String target;

        @CommandLine.Option(names = "--component", description = "kill only the named component")
        boolean component;

        @Override
        public Integer call() {
            return component ? call("POST", "kill-component", q("name", target)) : call("POST", "kill", q("target", target));
        }
    }

    @Command(name = "freeze", mixinStandardHelpOptions = true, description = {"SIGSTOP every process of a site (or the arbiter). "
            + "A component alone with --component: gcp-agent, gcp-api, or gcp-postgres (the postmaster process alone, not its backends).",
            REPLICA_TARGETS})
    static final class Freeze extends Verb {
        @Parameters(paramLabel = "TARGET")
        String target;

        @CommandLine.Option(names = "--component", description = "freeze only the named component")
        boolean component;

        @Override
        public Integer call() {
            return component ? call("POST", "freeze-component", q("name", target)) : call("POST", "freeze", q("target", target));
        }
    }

    @Command(name = "thaw", mixinStandardHelpOptions = true, description = "SIGCONT what 'freeze' stopped (with --component: one component).")
    static final class Thaw extends Verb {
        @Parameters(paramLabel = "TARGET")
        String target;

        @CommandLine.Option(names = "--component", description = "thaw only the named component")
        boolean component;

        @Override
        public Integer call() {
            return component ? call("POST", "thaw-component", q("name", target)) : call("POST", "thaw", q("target", target));
        }
    }

    @Command(name = "recover", mixinStandardHelpOptions = true, description = {
            "Both sites lost: bring the system back from one object store alone (docs/backups.md, \"Both sites lost\"). "
                    + "The store's site is restored from its newest base backup and all the WAL the store holds (as 'lab restore "
                    + "--latest'), recorded at the arbiter as a new epoch with that site as the writer, and started; the other "
                    + "site's agent then re-clones it from the new writer. Prints the base backup, the point recovered to, the "
                    + "epoch, and how long the restore, the first writes and the re-clone took.",
            "Refused, with nothing changed, while either site still has its database (running, or a data directory). To "
                    + "rehearse: 'lab kill gcp', 'lab kill aws', delete both data directories (<root>/pg/gcp, <root>/pg/aws), "
                    + "then 'lab recover --store gcs'. Needs a lab with backups on ('lab up --backups', or "
                    + "TWINCLOUD_LAB_BACKUPS=on)."})
    static final class Recover extends Verb {
        @CommandLine.Option(names = "--store", required = true, paramLabel = "STORE",
                description = "gcs (restores site gcp, the writer afterwards) or s3 (site aws)")
        String store;

        @Override
        public Integer call() {
            if (!dev.twincloud.lab.backup.ObjectStore.NAMES.contains(store)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "unknown store '" + store + "': the lab's stores are "
                        + String.join(", ", dev.twincloud.lab.backup.ObjectStore.NAMES) + " (gcs keeps site gcp's archive, s3 site aws's)");
            }
            return call("POST", "recover", q("store", store) + "&" + q("operator", System.getProperty("user.name", "lab")), 15 * 60_000);
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = {"Start again what 'kill' stopped; a site's agent re-joins its database as the arbiter assigns.", REPLICA_TARGETS})
    static final class Start extends Verb {
        @Parameters(paramLabel = "TARGET")
        String target;

        @Override
        public Integer call() {
            return call("POST", "start", q("target", target));
        }
    }

    @Command(name = "partition", mixinStandardHelpOptions = true,
            description = "Cut every link between two endpoints (gcp, aws, arbiter): real TCP failures.")
    static final class Partition extends Verb {
        @Parameters(index = "0", paramLabel = "A")
        String a;

        @Parameters(index = "1", paramLabel = "B")
        String b;

        @Override
        public Integer call() {
            return call("POST", "partition", q("a", a) + "&" + q("b", b));
        }
    }

    @Command(name = "delay", mixinStandardHelpOptions = true,
            description = {"A fault: hold every byte on every link between two endpoints (gcp, aws, arbiter) for MS milliseconds "
                    + "before delivering it, in both directions (a round trip takes 2 x MS more), order kept: heartbeats, "
                    + "reports and WAL arrive late. 0 clears it; 'lab heal' clears every delay. For a steady latency, one "
                    + "way or both, see 'lab latency'."})
    static final class Delay extends Verb {
        @Parameters(index = "0", paramLabel = "A")
        String a;

        @Parameters(index = "1", paramLabel = "B")
        String b;

        @Parameters(index = "2", paramLabel = "MS", description = "milliseconds, 0..600000")
        long ms;

        @Override
        public Integer call() {
            if (ms < 0 || ms > 600_000) {
                throw new CommandLine.ParameterException(spec.commandLine(), "MS must be between 0 and 600000, got " + ms);
            }
            return call("POST", "delay", q("a", a) + "&" + q("b", b) + "&" + q("ms", Long.toString(ms)));
        }
    }

    @Command(name = "latency", mixinStandardHelpOptions = true,
            description = {"Set the steady latency between two endpoints (gcp, aws, arbiter): MS milliseconds one way, on every "
                    + "link between them, in both directions (a round trip takes 2 x MS more), or from A to B only with --one-way.",
                    "Unlike 'lab delay' (a fault) it stays through 'lab heal'; 0 clears it. 'lab up --link-latency-ms' sets it at start."})
    static final class Latency extends Verb {
        @Parameters(index = "0", paramLabel = "A")
        String a;

        @Parameters(index = "1", paramLabel = "B")
        String b;

        @Parameters(index = "2", paramLabel = "MS", description = "one-way milliseconds, 0..600000")
        long ms;

        @CommandLine.Option(names = "--one-way", description = "only from A to B (B to A keeps its latency)")
        boolean oneWay;

        @Override
        public Integer call() {
            if (ms < 0 || ms > 600_000) {
                throw new CommandLine.ParameterException(spec.commandLine(), "MS must be between 0 and 600000, got " + ms);
            }
            int rc = call("POST", "latency", q("from", a) + "&" + q("to", b) + "&" + q("ms", Long.toString(ms)));
            return rc != 0 || oneWay ? rc : call("POST", "latency", q("from", b) + "&" + q("to", a) + "&" + q("ms", Long.toString(ms)));
        }
    }

    @Command(name = "heal", mixinStandardHelpOptions = true, description = "Restore every link (state UP, no delay; latencies stay).")
    static final class Heal extends Verb {
        @Override
        public Integer call() {
            return call("POST", "heal", "");
        }
    }

    @Command(name = "rolling-restart", mixinStandardHelpOptions = true,
            description = {"Restart the arbiter replicas one at a time, the acting one last, as a rolling update would: each gets "
                    + "SIGTERM (the acting one gives its etcd lease back, so the other takes over at once), starts again, and the "
                    + "next waits until it is live and a replica acts. Needs a lab with two arbiter replicas. Writes go on "
                    + "throughout."})
    static final class RollingRestart extends Verb {
        /** Two JVM restarts and a handover: minutes on a busy machine, not the verbs' usual 10 s. */
        static final int TIMEOUT_MS = 10 * 60_000;

        @Override
        public Integer call() {
            return call("POST", "rolling-restart", "", TIMEOUT_MS);
        }
    }

    @Command(name = "token", mixinStandardHelpOptions = true, description = "Print a fresh dev token for the API (12 h).")
    static final class Token extends Verb {
        @Override
        public Integer call() {
            return call("GET", "token", "");
        }
    }
}
