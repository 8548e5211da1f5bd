package dev.twincloud.lab.cli;

import dev.twincloud.core.decide.Event;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.lab.TwincloudCli;
import dev.twincloud.lab.link.LinkStatus;
import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import tools.jackson.core.type.TypeReference;

/**
 * The training run of the CLI's class-data archive (docs/adr/0006-a-quick-cli.md): the {@code ./twincloud}
 * launcher runs this once per build with {@code -XX:ArchiveClassesAtExit} (dynamic AppCDS), in the
 * background, so that the classes every verb loads — Jackson reading the arbiter's status and events,
 * the tables, an HTTP call, picocli's model of all commands (its own classes are too old a class file
 * version to be archived) — are mapped from the archive afterwards. It calls nothing outside this
 * process but a closed loopback port, and writes nothing.
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws IOException {
        System.out.println("trained (" + train() + " chars rendered)");
    }

    /** Renders every sample; how many characters that made. */
    static int train() throws IOException {
        StringWriter sink = new StringWriter();
        for (String[] cmd : List.of(new String[] {"--help"}, new String[] {"--version"}, new String[] {"lab", "--help"},
                new String[] {"lab", "status", "--help"}, new String[] {"ctl", "--help"}, new String[] {"ctl", "status", "--help"},
                new String[] {"ctl", "events", "--since", "nonsense"}, new String[] {"lab", "frobnicate"})) {
            CommandLine cli = new CommandLine(new TwincloudCli());
            cli.setOut(new PrintWriter(sink));
            cli.setErr(new PrintWriter(sink));
            cli.execute(cmd);
        }
        ArbiterStatus status = Http.JSON.readValue(resource("status.json"), ArbiterStatus.class);
        List<Event> events = Http.JSON.readValue(resource("events.json"), new TypeReference<List<Event>>() {
        });
        sink.write(StatusTables.cluster(status, events));
        sink.write(Http.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(Http.JSON.readTree(resource("status.json"))));
        sink.write(StatusTables.lab("/", "http://127.0.0.1:1", Map.of("arbiter", 1), List.of(
                Http.JSON.readValue("{\"name\":\"gcp->arbiter\",\"from\":\"gcp\",\"to\":\"arbiter\",\"listenPort\":1,\"targetPort\":2,"
                        + "\"state\":\"UP\",\"connectionsAccepted\":1,\"connectionsRejected\":0,\"connectionsOpen\":1,\"bytesForward\":1,"
                        + "\"bytesBackward\":1,\"delayMs\":0,\"latencyForwardMs\":5,\"latencyBackwardMs\":5}", LinkStatus.class))));
        sink.write(TimeArgs.since("10m", Instant.now()).toString());
        try {
            CliHttp.get("http://127.0.0.1:1/v1/status", "x"); // port 1: nothing listens; the connection classes load
        } catch (IOException expected) {
            sink.write(expected.getMessage() == null ? "" : expected.getMessage());
        }
        return sink.getBuffer().length();
    }

    private static String resource(String name) {
        try (InputStream in = CdsTraining.class.getResourceAsStream("cds-training/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing training resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
