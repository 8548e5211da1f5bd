package dev.twincloud.lab.cli;

import dev.twincloud.core.decide.EventKind;
import dev.twincloud.core.log.RequestId;
import dev.twincloud.lab.logs.LabLogs;
import dev.twincloud.lab.logs.LogLine;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code lab logs}: every component's log of a lab as one timeline, filtered (docs/logging.md). */
@Command(name = "logs", mixinStandardHelpOptions = true, description = {
        "All the lab's logs merged in time order: arbiter, edge, each site's agent, API and PostgreSQL (jsonlog), lab.",
        "One line each: time (UTC), level, component, request id, message. Filters combine (all must match).",
        "--around FAILOVER: the lines from --window before to --window after the arbiter's last FAILOVER",
        "(any event kind: SWITCHOVER_PROMOTE, ALERT, ...).",
        "Examples:",
        "  twincloud lab logs --request 3f0c...        one request through the edge, the API and PostgreSQL",
        "  twincloud lab logs --around FAILOVER --level INFO --component arbiter,agent,edge",
        "  twincloud lab logs --site gcp --level WARN --since 10m --follow"})
final class LabLogsCommand implements Callable<Integer> {
    static final List<String> KINDS = List.of("arbiter", "edge", "agent", "api", "postgres", "lab");

    @Mixin
    LabOptions lab;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--component", split = ",", paramLabel = "NAME",
            description = "only these components: a kind (arbiter, edge, agent, api, postgres, lab) or a name (gcp-api); comma-separated")
    List<String> components;

    @Option(names = "--site", split = ",", paramLabel = "SITE", description = "only lines of these sites (gcp, aws); the arbiter and the edge have none")
    List<String> sites;

    @Option(names = "--level", paramLabel = "LEVEL", description = "only this level and above: TRACE, DEBUG, INFO, WARN, ERROR")
    String level;

    @Option(names = "--request", paramLabel = "ID", description = "only the lines of this request id (X-Request-Id)")
    String request;

    @Option(names = "--since", paramLabel = "DURATION|TIME", description = "only lines of the last DURATION (30s, 10m, 2h) or since an ISO time")
    String since;

    @Option(names = "--until", paramLabel = "DURATION|TIME", description = "only lines until DURATION ago or until an ISO time")
    String until;

    @Option(names = "--around", paramLabel = "EVENT", description = "only lines around the arbiter's last event of this kind (FAILOVER, ...)")
    String around;

    @Option(names = "--window", defaultValue = "5s", paramLabel = "DURATION",
            description = "with --around: this long before and after the event. Default: ${DEFAULT-VALUE}")
    String window;

    @Option(names = "--follow", description = "keep printing new lines as they are written, until Ctrl-C (or --for)")
    boolean follow;

    @Option(names = "--for", paramLabel = "DURATION", description = "with --follow: stop after this long")
    String followFor;

    @Option(names = "--interval", defaultValue = "500ms", paramLabel = "DURATION",
            description = "with --follow: how often to look for new lines. Default: ${DEFAULT-VALUE}")
    String interval;

    @Override
    public Integer call() throws InterruptedException {
        Predicate<LogLine> filter = filter(Instant.now());
        Duration every = duration(interval, "--interval");
        Optional<Duration> bound = Optional.ofNullable(followFor).map(f -> duration(f, "--for"));
        if (!follow && bound.isPresent()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--for goes with --follow");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isDirectory(lab.layout().logs())) {
            spec.commandLine().getErr().println("lab logs: no logs at " + lab.layout().logs() + ": start a lab with 'twincloud lab up'");
            return 1;
        }
        LabLogs logs = new LabLogs(lab.layout().logs());
        logs.read(filter).forEach(l -> out.println(format(l)));
        out.flush();
        if (follow) {
            long end = bound.map(d -> System.nanoTime() + d.toNanos()).orElse(Long.MAX_VALUE);
            while (System.nanoTime() < end) {
                Thread.sleep(every.toMillis());
                logs.poll(filter).forEach(l -> out.println(format(l)));
                out.flush();
            }
        }
        return 0;
    }

    /** The filters as one predicate; bad values are the user's error (exit 2 with the message). */
    Predicate<LogLine> filter(Instant now) {
        Predicate<LogLine> p = l -> true;
        if (components != null) {
            for (String c : components) {
                if (!KINDS.contains(c) && KINDS.stream().noneMatch(k -> c.endsWith("-" + k))) {
                    throw bad("--component takes " + String.join(", ", KINDS) + " or a name like gcp-api, got '" + c + "'");
                }
            }
            List<String> wanted = List.copyOf(components);
            p = p.and(l -> wanted.contains(l.component()) || wanted.contains(l.kind()));
        }
        if (sites != null) {
            List<String> wanted = List.copyOf(sites);
            p = p.and(l -> l.site() != null && wanted.contains(l.site()));
        }
        if (level != null) {
            LogLine.Level min;
            try {
                min = LogLine.Level.valueOf(level.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw bad("--level takes " + Arrays.toString(LogLine.Level.values()) + ", got '" + level + "'");
            }
            p = p.and(l -> l.level().compareTo(min) >= 0);
        }
        if (request != null) {
            String id = RequestId.accept(request).orElseThrow(() -> bad("--request takes a request id (1-" + RequestId.MAX_LENGTH
                    + " of A-Z a-z 0-9 . _ : -), got '" + request + "'"));
            p = p.and(l -> id.equals(l.requestId()));
        }
        if (since != null) {
            Instant from = time(since, now, "--since");
            p = p.and(l -> !l.time().isBefore(from));
        }
        if (until != null) {
            Instant to = time(until, now, "--until");
            p = p.and(l -> !l.time().isAfter(to));
        }
        if (around != null) {
            EventKind kind;
            try {
                kind = EventKind.valueOf(around.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw bad("--around takes an event kind (" + Arrays.toString(EventKind.values()) + "), got '" + around + "'");
            }
            Duration w = duration(window, "--window");
            Instant at = LabLogs.lastEvent(lab.layout().arbiterState(), lab.layout().logs(), kind)
                    .orElseThrow(() -> bad("--around " + kind + ": the arbiter of " + lab.layout().root() + " has recorded no " + kind));
            Instant from = at.minus(w);
            Instant to = at.plus(w);
            p = p.and(l -> !l.time().isBefore(from) && !l.time().isAfter(to));
        } else if (!"5s".equals(window)) {
            throw bad("--window goes with --around");
        }
        return p;
    }

    /** One entry; the further lines of a multi-line message (a statement, a stack trace) indented under it. */
    static String format(LogLine l) {
        return LabLogs.format(l);
    }

    private Instant time(String text, Instant now, String option) {
        try {
            return TimeArgs.since(text, now);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage().replace("--since", option));
        }
    }

    private Duration duration(String text, String option) {
        try {
            Duration d = TimeArgs.duration(text);
            if (d.isNegative() || d.isZero()) {
                throw bad(option + " must be positive, got '" + text + "'");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw bad(option + ": " + e.getMessage());
        }
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
