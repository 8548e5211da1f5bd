package dev.twincloud.lab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.logs.LabLogsTest;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code twincloud lab logs} in-process on the recorded sample (see {@link LabLogsTest}). */
class LabLogsCommandTest {

    private static TwincloudCliTest.Run logs(Path root, String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "lab";
        all[1] = "logs";
        all[2] = "--root=" + root;
        all[3] = "--base-port=21250";
        System.arraycopy(args, 0, all, 4, args.length);
        return TwincloudCliTest.run(all);
    }

    @Test
    void oneRequestAcrossTheEdgeAndTheApi(@TempDir Path root) throws IOException {
        LabLogsTest.sample(root);
        TwincloudCliTest.Run r = logs(root, "--request", "sample-post-5");
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().toList()).hasSize(2).satisfiesExactly(
                l -> assertThat(l).contains(" INFO  gcp-api ").contains("[sample-post-5] POST /v1/ecgs 201 in "),
                l -> assertThat(l).contains(" INFO  edge ").contains("[sample-post-5] POST /v1/ecgs -> gcp 201 in "));
    }

    @Test
    void filtersCombine(@TempDir Path root) throws IOException {
        LabLogsTest.sample(root);
        TwincloudCliTest.Run warn = logs(root, "--level", "warn");
        assertThat(warn.exit()).isZero();
        assertThat(warn.out().lines().toList()).isNotEmpty().allSatisfy(l -> assertThat(l).containsAnyOf(" WARN  ", " ERROR "));
        assertThat(warn.out()).contains("TCL01 no valid write lease").contains("ALERT site=gcp");

        TwincloudCliTest.Run pg = logs(root, "--component", "postgres", "--level", "ERROR");
        assertThat(pg.out().lines().toList()).singleElement().satisfies(l -> assertThat(l).contains("gcp-postgres").contains("[req-refused-2]"));

        TwincloudCliTest.Run gcp = logs(root, "--site", "gcp", "--component", "arbiter,edge");
        assertThat(gcp.exit()).isZero();
        assertThat(gcp.out()).as("the arbiter and the edge belong to no site").isEmpty();

        TwincloudCliTest.Run window = logs(root, "--since", "2026-11-30T11:49:00Z", "--until", "2026-11-30T11:49:01Z", "--component", "gcp-api");
        assertThat(window.out().lines().toList()).isNotEmpty()
                .allSatisfy(l -> assertThat(l).startsWith("2026-11-30 11:49:0").contains("gcp-api"));
    }

    @Test
    void aroundAnEventShowsTheWindowAroundTheArbitersLastOne(@TempDir Path root) throws IOException {
        LabLogsTest.sample(root);
        TwincloudCliTest.Run r = logs(root, "--around", "alert", "--window", "1s");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("ALERT site=gcp epoch=1");
        assertThat(r.out().lines().toList()).allSatisfy(l -> assertThat(l).startsWith("2026-11-30 11:46:3"));

        TwincloudCliTest.Run none = logs(root, "--around", "FAILOVER");
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("has recorded no FAILOVER");
    }

    @Test
    void badInputGetsAMessageAndExit2(@TempDir Path root) throws IOException {
        LabLogsTest.sample(root);
        assertThat(logs(root, "--level", "loud")).satisfies(r -> {
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err()).contains("--level takes [TRACE, DEBUG, INFO, WARN, ERROR], got 'loud'");
        });
        assertThat(logs(root, "--request", "a b").err()).contains("--request takes a request id");
        assertThat(logs(root, "--component", "database").err()).contains("--component takes arbiter, edge, agent, api, postgres, lab");
        assertThat(logs(root, "--around", "PARTY").err()).contains("--around takes an event kind");
        assertThat(logs(root, "--window", "3s").err()).contains("--window goes with --around");
        assertThat(logs(root, "--since", "soon").err()).contains("--since takes a duration");
        assertThat(logs(root, "--until", "soon").err()).contains("--until takes a duration");
        assertThat(logs(root, "--for", "3s").err()).contains("--for goes with --follow");
        assertThat(logs(root, "--follow", "--interval", "0s").err()).contains("--interval must be positive");
    }

    @Test
    void noLabNoLogs(@TempDir Path root) {
        TwincloudCliTest.Run r = logs(root.resolve("nothing-here"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no logs at");
    }

    @Test
    void followPrintsWhatIsAppendedUntilItsTimeIsUp(@TempDir Path root) throws Exception {
        LabLogsTest.sample(root);
        Thread writer = new Thread(() -> {
            try {
                Thread.sleep(500);
                java.nio.file.Files.writeString(root.resolve("logs/gcp-api.log"), "{\"@timestamp\":\"2026-11-30T12:00:00Z\","
                        + "\"message\":\"appended\",\"level\":\"INFO\",\"request_id\":\"sample-post-5\"}\n",
                        java.nio.file.StandardOpenOption.APPEND);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        writer.start();
        TwincloudCliTest.Run r = logs(root, "--request", "sample-post-5", "--follow", "--for", "3s", "--interval", "100ms");
        writer.join();
        assertThat(r.exit()).isZero();
        assertThat(r.out().lines().toList()).hasSize(3).last().satisfies(l -> assertThat(l).endsWith("[sample-post-5] appended"));
    }

    /** A multi-line message (PostgreSQL's statement, a stack trace) stays one entry: its further lines are indented. */
    @Test
    void furtherLinesOfAMessageAreIndentedUnderItsEntry() {
        var l = new dev.twincloud.lab.logs.LogLine(java.time.Instant.parse("2026-11-30T12:00:00Z"), "gcp-postgres", "gcp",
                dev.twincloud.lab.logs.LogLine.Level.INFO, "r-1", null, "insert into t (a,\nb)\nvalues (1, 2)");
        assertThat(LabLogsCommand.format(l).lines().toList()).hasSize(3)
                .satisfies(lines -> assertThat(lines.get(0)).contains("[r-1] insert into t (a,"))
                .satisfies(lines -> assertThat(lines.get(1)).isEqualTo("    b)"))
                .satisfies(lines -> assertThat(lines.get(2)).isEqualTo("    values (1, 2)"));
    }
}
