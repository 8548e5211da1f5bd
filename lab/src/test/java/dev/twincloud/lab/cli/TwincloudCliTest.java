package dev.twincloud.lab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.TwincloudCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The CLI in-process: bad input gets a message and a non-zero exit; no lab running is said plainly. */
public class TwincloudCliTest {
    /** One in-process run of the CLI: its exit code and what it printed. */
    public record Run(int exit, String out, String err) {
    }

    /** Runs {@code twincloud ARGS} in this JVM (what the launcher would run), capturing its output. */
    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = new CommandLine(new TwincloudCli());
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void everyCommandHasHelp() {
        for (String[] cmd : new String[][] {{"--help"}, {"lab", "--help"}, {"lab", "up", "--help"}, {"lab", "kill", "--help"},
                {"lab", "partition", "--help"}, {"lab", "delay", "--help"}, {"lab", "drill", "--help"}, {"ctl", "--help"}, {"ctl", "promote", "--help"},
                {"lab", "status", "--help"}, {"lab", "latency", "--help"}, {"lab", "heal", "--help"}, {"ctl", "status", "--help"},
                {"ctl", "watch", "--help"}, {"ctl", "events", "--help"}, {"ctl", "mode", "--help"}, {"ctl", "switchover", "--help"},
                {"lab", "logs", "--help"}, {"lab", "rolling-restart", "--help"}, {"lab", "start", "--help"}, {"lab", "freeze", "--help"}}) {
            Run r = run(cmd);
            assertThat(r.exit()).as(String.join(" ", cmd)).isZero();
            assertThat(r.out()).as(String.join(" ", cmd)).contains("Usage:");
        }
    }

    @Test
    void unknownCommandsAndMissingArgumentsExitWith2AndSayWhy() {
        Run unknown = run("lab", "frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("frobnicate");
        Run noForce = run("ctl", "promote", "aws", "--token", "x".repeat(20));
        assertThat(noForce.exit()).isEqualTo(2);
        assertThat(noForce.err()).contains("--force");
        Run badTtl = run("lab", "up", "--lease-ttl-ms", "10", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(badTtl.exit()).isEqualTo(2);
        assertThat(badTtl.err()).contains("--lease-ttl-ms must be between 500 and 600000");
        Run badDelay = run("lab", "delay", "gcp", "arbiter", "-5", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(badDelay.exit()).isEqualTo(2);
        assertThat(badDelay.err()).contains("MS must be between 0 and 600000");
        Run noDelay = run("lab", "delay", "gcp", "arbiter");
        assertThat(noDelay.exit()).isEqualTo(2);
        assertThat(noDelay.err()).contains("MS");
        Run badLatency = run("lab", "up", "--link-latency", "gcp-mars=5", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(badLatency.exit()).isEqualTo(2);
        assertThat(badLatency.err()).contains("'gcp-mars' must name two of [gcp, aws, arbiter]");
        Run badDrillLatency = run("lab", "drill", "--link-latency", "gcp-aws=soon", "--root", "target/cli-test-drill", "--base-port", "19900");
        assertThat(badDrillLatency.exit()).isEqualTo(2);
        assertThat(badDrillLatency.err()).contains("must be whole milliseconds");
        assertThat(java.nio.file.Path.of("target/cli-test-drill")).as("nothing made before the options were checked").doesNotExist();
        Run noMonitoringWithEdge = run("lab", "drill", "--no-monitoring", "--edge", "http://127.0.0.1:1", "--token", "t", "--scenario", "none");
        assertThat(noMonitoringWithEdge.exit()).isEqualTo(2);
        assertThat(noMonitoringWithEdge.err()).contains("--no-monitoring goes with a lab, not with --edge");
        assertThat(run("lab", "drill", "--help").out()).contains("--no-monitoring");
        Run badLatencyMs = run("lab", "up", "--link-latency-ms", "-1", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(badLatencyMs.exit()).isEqualTo(2);
        assertThat(badLatencyMs.err()).contains("a latency must be between 0 and 600000 ms");
        Run badLive = run("lab", "latency", "gcp", "aws", "700000", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(badLive.exit()).isEqualTo(2);
        Run badDbRoles = run("lab", "up", "--db-roles", "root", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(badDbRoles.exit()).isEqualTo(2);
        Run badMode = run("ctl", "mode", "MAYBE", "--token", "x".repeat(20));
        assertThat(badMode.exit()).isEqualTo(2);
        // nothing listens on port 1: a site name no arbiter can know is refused before any call
        Run badSite = run("ctl", "switchover", "Azure!", "--arbiter", "http://127.0.0.1:1", "--token", "x".repeat(20));
        assertThat(badSite.exit()).isEqualTo(2);
        assertThat(badSite.err()).contains("invalid site name 'Azure!'").doesNotContain("cannot reach");
        Run badPromote = run("ctl", "promote", "Azure!", "--force", "--reason", "drill", "--arbiter", "http://127.0.0.1:1",
                "--token", "x".repeat(20));
        assertThat(badPromote.exit()).isEqualTo(2);
        assertThat(badPromote.err()).contains("invalid site name 'Azure!'");
    }

    @Test
    void badBackupOptionsAreRefusedBeforeAnythingIsMade() {
        Run both = run("lab", "up", "--backups", "--no-backups", "--root", "target/cli-test-lab-backups", "--base-port", "19900");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--backups and --no-backups exclude each other");
        Run every = run("lab", "up", "--backup-every", "often", "--root", "target/cli-test-lab-backups", "--base-port", "19900");
        assertThat(every.exit()).isEqualTo(2);
        assertThat(every.err()).contains("--backup-every / --first-backup-after: not a duration: 'often'");
        assertThat(java.nio.file.Path.of("target/cli-test-lab-backups")).as("nothing made before the options were checked").doesNotExist();
        assertThat(run("lab", "up", "--help").out()).contains("--backup-every=DURATION").contains("Default: 6h")
                .contains("--no-backups");
    }

    @Test
    void tlsAndNoTlsExcludeEachOtherAndTheHelpNamesTheDefault() {
        Run up = run("lab", "up", "--tls", "--no-tls", "--root", "target/cli-test-lab-tls", "--base-port", "19900");
        assertThat(up.exit()).isEqualTo(2);
        assertThat(up.err()).contains("--tls and --no-tls exclude each other");
        assertThat(java.nio.file.Path.of("target/cli-test-lab-tls")).as("nothing made before the options were checked").doesNotExist();
        Run drill = run("lab", "drill", "--no-tls", "--tls", "--root", "target/cli-test-drill-tls", "--base-port", "19900");
        assertThat(drill.exit()).isEqualTo(2);
        assertThat(drill.err()).contains("--tls and --no-tls exclude each other");
        assertThat(java.nio.file.Path.of("target/cli-test-drill-tls")).doesNotExist();
        String defaultText = dev.twincloud.lab.supervisor.LabSettings.TLS_DEFAULT ? "Default: on" : "Default: off";
        for (String verb : new String[] {"up", "drill"}) {
            assertThat(run("lab", verb, "--help").out().replaceAll("\\s+", " ")).contains("--no-tls").contains(defaultText);
        }
    }

    @Test
    void aBadEdgeProfileIsRefusedWithTheChoices() {
        Run up = run("lab", "up", "--edge-profile", "fast", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(up.exit()).isEqualTo(2);
        assertThat(up.err()).contains("Invalid value for option '--edge-profile'").contains("edge profile must be lab or cloud, got: fast");
        Run drill = run("lab", "drill", "--edge-profile", "gcp-ish", "--root", "target/cli-test-drill", "--base-port", "19900");
        assertThat(drill.exit()).isEqualTo(2);
        assertThat(drill.err()).contains("edge profile must be lab or cloud, got: gcp-ish");
        Run withEdge = run("lab", "drill", "--edge-profile", "cloud", "--edge", "http://127.0.0.1:1", "--token", "t",
                "--scenario", "none");
        assertThat(withEdge.exit()).isEqualTo(2);
        assertThat(withEdge.err()).contains("--edge-profile sets the drill lab's edge");
        assertThat(run("lab", "up", "--help").out()).contains("--edge-profile=lab|cloud");
        assertThat(run("lab", "drill", "--help").out()).contains("--edge-profile=lab|cloud");
    }

    @Test
    void arbiterReplicasAreOneOrTwoAndTheDrillsScenariosMustFitThem() {
        Run three = run("lab", "up", "--arbiter-replicas", "3", "--root", "target/cli-test-lab", "--base-port", "19900");
        assertThat(three.exit()).isEqualTo(2);
        assertThat(three.err()).contains("--arbiter-replicas: arbiter replicas must be 1 (one arbiter, file store) or 2");
        Run drillThree = run("lab", "drill", "--arbiter-replicas", "0", "--root", "target/cli-test-drill", "--base-port", "19900");
        assertThat(drillThree.exit()).isEqualTo(2);
        assertThat(drillThree.err()).contains("got 0");
        Run needsTwo = run("lab", "drill", "--scenario", "kill-acting-arbiter", "--root", "target/cli-test-drill", "--base-port", "19900");
        assertThat(needsTwo.exit()).isEqualTo(2);
        assertThat(needsTwo.err()).contains("kill-acting-arbiter needs a drill lab with two arbiter replicas (--arbiter-replicas 2)");
        Run needsOne = run("lab", "drill", "--scenario", "arbiter-restart-old-state", "--arbiter-replicas", "2",
                "--root", "target/cli-test-drill", "--base-port", "19900");
        assertThat(needsOne.exit()).isEqualTo(2);
        assertThat(needsOne.err()).contains("arbiter-restart-old-state needs a drill lab with one arbiter");
        Run withEdge = run("lab", "drill", "--arbiter-replicas", "2", "--edge", "http://127.0.0.1:1", "--token", "t", "--scenario", "none");
        assertThat(withEdge.exit()).isEqualTo(2);
        assertThat(withEdge.err()).contains("--arbiter-replicas sets the drill lab's arbiter");
        assertThat(java.nio.file.Path.of("target/cli-test-drill")).as("nothing made before the options were checked").doesNotExist();
        assertThat(run("lab", "up", "--help").out()).contains("--arbiter-replicas=1|2");
        assertThat(run("lab", "drill", "--help").out()).contains("--arbiter-replicas=1|2").contains("kill-acting-arbiter");
        assertThat(run("lab", "kill", "--help").out()).contains("acting-arbiter").contains("etcd-leader");
    }

    @Test
    void verbsWithoutARunningLabSaySoAndFail() {
        for (String[] verb : new String[][] {{"lab", "kill", "gcp"}, {"lab", "status"}, {"lab", "status", "--json"},
                {"lab", "latency", "gcp", "aws", "10"}, {"lab", "rolling-restart"}, {"lab", "kill", "acting-arbiter"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(verb),
                    java.util.stream.Stream.of("--root", "target/cli-test-lab", "--base-port", "19900")).toArray(String[]::new);
            Run r = run(args);
            assertThat(r.exit()).as(String.join(" ", verb)).isEqualTo(1);
            assertThat(r.err()).as(String.join(" ", verb)).contains("no lab is running").contains("19903");
        }
    }

    /**
     * A root remembers the base port its lab was started with: {@code lab down --root X} finds a lab started with
     * {@code --base-port 19800} without being told the port again (it looked at 7400 and said no lab was running).
     * An explicit {@code --base-port} still wins.
     */
    @Test
    void verbsOnARootUseThePortItsLabWasStartedWith() throws Exception {
        java.nio.file.Path root = java.nio.file.Path.of("target/cli-test-remembered");
        java.nio.file.Files.createDirectories(root);
        java.nio.file.Files.writeString(root.resolve("base-port"), "19800\n");
        Run down = run("lab", "down", "--root", root.toString());
        assertThat(down.exit()).isEqualTo(1);
        assertThat(down.err()).contains("no lab is running").contains("control port 19803");
        Run explicit = run("lab", "status", "--root", root.toString(), "--base-port", "19900");
        assertThat(explicit.err()).contains("control port 19903");
        assertThat(run("lab", "down", "--help").out().replaceAll("\\s+", " "))
                .contains("else the one the lab in --root was last started with, else 7400");
    }

    @Test
    void ctlWithoutATokenRefusesToCallTheArbiter() {
        Run r = run("ctl", "status", "--arbiter", "http://127.0.0.1:19900", "--token", "");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("operator token is required");
    }
}
