package dev.twincloud.lab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code twincloud ctl ...}: operator verbs against any arbiter (the lab's or a real deployment's). */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = "Operator commands against an arbiter: status, switchover, forced promotion, restored, mode, events.",
        subcommands = {CtlCommand.Status.class, CtlCommand.Watch.class, CtlCommand.Events.class, CtlCommand.Switchover.class,
                CtlCommand.Promote.class, CtlCommand.Restored.class, CtlCommand.Mode.class})
public final class CtlCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a ctl command, e.g. 'ctl status'");
    }

    /** Where the arbiter is and the operator token to use. */
    static final class Target {
        @Option(names = "--arbiter", description = "Arbiter base URL. Default: ${DEFAULT-VALUE}",
                defaultValue = "${env:TWINCLOUD_ARBITER_URL:-http://127.0.0.1:7400}")
        String url;

        @Option(names = "--token", description = "Operator token (or env TWINCLOUD_OPERATOR_TOKEN)",
                defaultValue = "${env:TWINCLOUD_OPERATOR_TOKEN}")
        String token;

        @Option(names = "--token-file", description = "Read the operator token from this file")
        Path tokenFile;

        String token() {
            if (tokenFile != null) {
                try {
                    return Files.readString(tokenFile).trim();
                } catch (IOException e) {
                    throw new IllegalArgumentException("cannot read token file " + tokenFile + ": " + e.getMessage());
                }
            }
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("an operator token is required: --token, --token-file or TWINCLOUD_OPERATOR_TOKEN");
            }
            return token;
        }
    }

    abstract static class Verb implements Callable<Integer> {
        @CommandLine.Mixin
        Target target;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        Duration duration(String text, String option) {
            return CtlCommand.duration(text, option, spec.commandLine());
        }

        ArbiterCalls arbiter() {
            try {
                return new ArbiterCalls(target.url, target.token(), spec.commandLine().getOut(), spec.commandLine().getErr());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = {
            "One row per site: role, state, database role, epoch, lease left, timeline, replication state, lag in bytes and "
                    + "time, sync/async, age of its last report; then alerts and the last events.",
            "--json prints the arbiter's GET /v1/status answer instead (the machine format)."})
    static final class Status extends Verb {
        @Option(names = "--json", description = "the arbiter's status as JSON, as it answers it")
        boolean json;

        @Override
        public Integer call() {
            return arbiter().status(json);
        }
    }

    @Command(name = "watch", mixinStandardHelpOptions = true, description = {
            "The status of 'ctl status' again every --interval, in place on a terminal (plain frames one after another "
                    + "when the output is not a terminal).",
            "Stops after --count frames, after --for, or on Ctrl-C."})
    static final class Watch extends Verb {
        @Option(names = "--interval", defaultValue = "2s", description = "between frames (200ms..1h). Default: ${DEFAULT-VALUE}")
        String interval;

        @Option(names = "--count", defaultValue = "0", description = "frames to show, 0 = until --for or Ctrl-C. Default: ${DEFAULT-VALUE}")
        int count;

        @Option(names = "--for", defaultValue = "12h", description = "stop after this long at the latest. Default: ${DEFAULT-VALUE}")
        String maxFor;

        @Override
        public Integer call() {
            Duration every = duration(interval, "--interval");
            Duration bound = duration(maxFor, "--for");
            if (every.compareTo(Duration.ofMillis(200)) < 0 || every.compareTo(Duration.ofHours(1)) > 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--interval must be between 200ms and 1h, got " + interval);
            }
            if (count < 0) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--count must be 0 or more, got " + count);
            }
            return arbiter().watch(every, count, bound, stdoutIsATerminal());
        }
    }

    /**
     * Whether standard output is a terminal. Java 22+ says so with {@code Console.isTerminal()} (its
     * {@code System.console()} is there even when redirected); on Java 21 a console exists only then.
     */
    static boolean stdoutIsATerminal() {
        java.io.Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException java21) {
            return true;
        }
    }

    static Duration duration(String text, String option, CommandLine cli) {
        try {
            Duration d = TimeArgs.duration(text);
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(option + " must be positive, got " + text);
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, option + ": " + e.getMessage());
        }
    }

    @Command(name = "switchover", mixinStandardHelpOptions = true,
            description = "Planned switchover: fence the writer cleanly, then promote SITE (zero loss, no rewind).")
    static final class Switchover extends Verb {
        @Parameters(paramLabel = "SITE")
        String site;

        @Override
        public Integer call() {
            return arbiter().switchover(site);
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true,
            description = "Force SITE to become the writer, skipping eligibility (recorded with your reason). "
                    + "The new writer still waits for the old lease to end.")
    static final class Promote extends Verb {
        @Parameters(paramLabel = "SITE")
        String site;

        @Option(names = "--force", required = true, description = "required: automatic promotion is the arbiter's job")
        boolean force;

        @Option(names = "--reason", required = true, description = "why, for the audit history")
        String reason;

        @Option(names = "--operator", defaultValue = "${env:USER:-operator}", description = "who. Default: ${DEFAULT-VALUE}")
        String operator;

        @Override
        public Integer call() {
            return arbiter().promote(site, reason, operator);
        }
    }

    @Command(name = "restored", mixinStandardHelpOptions = true, description = {
            "Both sites were lost and SITE's database was restored from its object store (docs/runbooks.md, \"Both sites lost\"): "
                    + "record it, and begin a new epoch with SITE as the writer, even if it was the writer already (its lease still "
                    + "waits for the old one to end). Run it once the restored database is up and before the other site is "
                    + "re-created from it; 'twincloud lab recover' does all of it in the lab."})
    static final class Restored extends Verb {
        @Parameters(paramLabel = "SITE")
        String site;

        @Option(names = "--what", required = true, description = "what was restored, for the history: the store, the base backup, "
                + "the point recovered to")
        String what;

        @Option(names = "--operator", defaultValue = "${env:USER:-operator}", description = "who. Default: ${DEFAULT-VALUE}")
        String operator;

        @Override
        public Integer call() {
            return arbiter().restored(site, what, operator);
        }
    }

    @Command(name = "mode", mixinStandardHelpOptions = true, description = "Set the durability mode: SYNC or ASYNC.")
    static final class Mode extends Verb {
        @Parameters(paramLabel = "MODE", description = "SYNC or ASYNC")
        dev.twincloud.core.protocol.Durability mode;

        @Override
        public Integer call() {
            return arbiter().mode(mode);
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true, description = {
            "The arbiter's history of decisions as a table (time, kind, epoch, site, why), oldest first.",
            "--since 10m (or an ISO time) keeps the newer ones; --follow then prints each new event as it comes."})
    static final class Events extends Verb {
        @Option(names = "--limit", defaultValue = "50", description = "at most this many (1..1000). Default: ${DEFAULT-VALUE}")
        int limit;

        @Option(names = "--since", paramLabel = "DURATION|TIME", description = "only events of the last DURATION (30s, 10m, 2h, 1d) "
                + "or since an ISO time (2026-11-28T12:00:00Z)")
        String since;

        @Option(names = "--follow", description = "keep printing new events until Ctrl-C (or --for)")
        boolean follow;

        @Option(names = "--interval", defaultValue = "1s", description = "with --follow: how often to ask. Default: ${DEFAULT-VALUE}")
        String interval;

        @Option(names = "--for", description = "with --follow: stop after this long")
        String followFor;

        @Option(names = "--json", description = "JSON: the arbiter's array (one object a line with --follow)")
        boolean json;

        @Override
        public Integer call() {
            if (limit < 1 || limit > ArbiterCalls.MAX_EVENTS) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--limit must be between 1 and " + ArbiterCalls.MAX_EVENTS
                        + ", got " + limit);
            }
            Optional<Instant> from;
            try {
                from = Optional.ofNullable(since).map(t -> TimeArgs.since(t, Instant.now()));
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            Duration every = duration(interval, "--interval");
            Optional<Duration> bound = Optional.ofNullable(followFor).map(f -> duration(f, "--for"));
            if (!follow && bound.isPresent()) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--for goes with --follow");
            }
            return arbiter().events(limit, from, json, follow, every, bound);
        }
    }
}
