package dev.twincloud.lab.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.OperatorRequest;
import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.lab.cli.TwincloudCliTest;
import dev.twincloud.lab.supervisor.Http;
import dev.twincloud.lab.supervisor.LabLayout;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Issue 17's "done when", on one real lab (docs/logging.md): a request sent through the edge during a switchover is
 * found by its request id in the edge's, the API's and PostgreSQL's logs with {@code lab logs --request}; and
 * {@code lab logs --around FAILOVER} after the writer site is killed shows the arbiter's decision, the new writer's
 * agent's transition and the edge's switch, in that order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabLogsEndToEndTest {
    static LabHarness h;

    @BeforeAll
    static void up() throws Exception {
        h = LabHarness.start("e2e-logs", 28400);
    }

    @AfterAll
    static void down() {
        if (h != null) {
            h.close();
        }
    }

    /** {@code twincloud lab logs ARGS} against this lab, in-process. */
    static List<String> labLogs(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "lab";
        all[1] = "logs";
        all[2] = "--root=" + h.lab.layout().root();
        all[3] = "--base-port=" + h.lab.layout().basePort();
        System.arraycopy(args, 0, all, 4, args.length);
        TwincloudCliTest.Run r = TwincloudCliTest.run(all);
        assertThat(r.exit()).as("lab logs %s: %s", String.join(" ", args), r.err()).isZero();
        return r.out().lines().toList();
    }

    @Test
    @Order(1)
    void aRequestDuringASwitchoverIsFoundByItsIdInTheEdgesTheApisAndPostgresLogs() throws Exception {
        SiteId w = h.awaitSteady();
        SiteId s = LabLayout.peer(w);
        List<LabClient.Write> attempts;
        try (var load = new LabHarness.Load(h.edge, "p-logs-switch", 10)) {
            LabHarness.sleep(500);
            var r = Http.post(h.lab.arbiterUrl() + "/v1/switchover", h.lab.secrets().operatorToken(),
                    Http.JSON.writeValueAsString(new OperatorRequest.Switchover(s)));
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            LabHarness.await("writes at the new writer", Duration.ofSeconds(30),
                    () -> load.acked().stream().anyMatch(a -> a.site().equals(s.name())));
            LabHarness.sleep(300);
            load.close();
            attempts = List.copyOf(load.attempts);
        }
        // the first write the new writer acknowledged: sent while the switchover was under way or just after it
        LabClient.Write first = attempts.stream().filter(a -> a.ok() && a.site().equals(s.name())).findFirst().orElseThrow();
        AtomicReference<List<String>> lines = new AtomicReference<>();
        // PostgreSQL's collector writes its lines a moment later
        LabHarness.await("the request in the edge's, " + s + "-api's and " + s + "-postgres's logs", Duration.ofSeconds(15), () -> {
            lines.set(labLogs("--request", first.requestId()));
            return lines.get().stream().anyMatch(l -> l.contains(" " + s + "-postgres "));
        });
        List<String> found = lines.get();
        // every entry is the request's (a multi-line statement's further lines are indented under its entry)
        assertThat(found).as("every line is the request's").allSatisfy(
                l -> assertThat(l.startsWith(" ") || l.contains("[" + first.requestId() + "]")).as(l).isTrue());
        assertThat(found.getFirst()).contains("[" + first.requestId() + "]");
        assertThat(found).anySatisfy(l -> assertThat(l).contains(" edge ").contains("POST /v1/ecgs -> " + s + " 201"));
        assertThat(found).anySatisfy(l -> assertThat(l).contains(" " + s + "-api ").contains("POST /v1/ecgs 201"));
        assertThat(found).anySatisfy(l -> assertThat(l).contains(" " + s + "-postgres ").containsIgnoringCase("insert into ecg_recording"));
        // in time order: the statement before the access lines (the API's and the edge's are written as each answer
        // completes, and the API's may come a moment after the edge's has)
        int pg = indexOf(found, " " + s + "-postgres ");
        assertThat(pg).isLessThan(indexOf(found, " " + s + "-api ")).isLessThan(indexOf(found, " edge "));

        // a write that failed during the switchover (if one did) is found too: at least the edge's line, with its status
        attempts.stream().filter(a -> !a.ok() && a.status() != 0).findFirst().ifPresent(failed -> {
            List<String> failedLines = labLogs("--request", failed.requestId());
            assertThat(failedLines).anySatisfy(l -> assertThat(l).contains(" edge ").contains(" " + failed.status() + " in "));
        });
    }

    @Test
    @Order(2)
    void aroundTheLastFailoverShowsTheArbitersDecisionTheAgentsTransitionAndTheEdgesSwitchInOrder() throws Exception {
        SiteId w = h.awaitSteady();
        SiteId s = LabLayout.peer(w);
        long epoch = h.epoch();
        h.lab.kill(w.name());
        LabHarness.await("a write acknowledged by " + s, Duration.ofSeconds(30), () -> h.edge.write("p-logs-kill").ok());
        LabHarness.sleep(1000); // the lines after the switch
        List<String> around = labLogs("--around", "FAILOVER", "--window", "8s", "--level", "INFO",
                "--component", "arbiter,agent,edge");
        int decision = indexOf(around, " arbiter ", "FAILOVER site=" + s.name() + " epoch=" + (epoch + 1));
        int transition = indexOf(around, decision, " " + s + "-agent ", "epoch=" + (epoch + 1) + " FSM transition");
        // the window also holds the lines before the failover (an earlier switch to the same site, say)
        int switched = indexOf(around, transition, " edge ", "backend " + s.name() + " ", "is now HEALTHY");
        assertThat(decision).as("the arbiter's FAILOVER in:%n%s", String.join("\n", around)).isNotNegative();
        assertThat(transition).as("%s's agent's transition under the new epoch", s).isGreaterThan(decision);
        assertThat(switched).as("the edge's switch to %s", s).isGreaterThan(transition);
        h.lab.revive(w.name());
        h.awaitSteady();
    }

    private static int indexOf(List<String> lines, String... parts) {
        return indexOf(lines, 0, parts);
    }

    /** The first line at or after {@code from} that contains every part; -1 when none. */
    private static int indexOf(List<String> lines, int from, String... parts) {
        for (int i = Math.max(0, from); i < lines.size(); i++) {
            String l = lines.get(i);
            boolean all = true;
            for (String p : parts) {
                all &= l.contains(p);
            }
            if (all) {
                return i;
            }
        }
        return -1;
    }
}
