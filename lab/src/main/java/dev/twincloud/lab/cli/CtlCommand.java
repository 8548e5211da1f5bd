package dev.twincloud.lab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code twincloud ctl ...}: operator verbs against any arbiter (the lab's or a real deployment's). */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = "Operator commands against an arbiter: status, switchover, forced promotion, mode, events.",
        subcommands = {CtlCommand.Status.class, CtlCommand.Switchover.class, CtlCommand.Promote.class,
                CtlCommand.Mode.class, CtlCommand.Events.class})
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

        ArbiterCalls arbiter() {
            try {
                return new ArbiterCalls(target.url, target.token(), spec.commandLine().getOut(), spec.commandLine().getErr());
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Epoch, writer, mode, per-site reports, alerts.")
    static final class Status extends Verb {
        @Override
        public Integer call() {
            return arbiter().status();
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

    @Command(name = "mode", mixinStandardHelpOptions = true, description = "Set the durability mode: SYNC or ASYNC.")
    static final class Mode extends Verb {
        @Parameters(paramLabel = "MODE", description = "SYNC or ASYNC")
        dev.twincloud.core.protocol.Durability mode;

        @Override
        public Integer call() {
            return arbiter().mode(mode);
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true, description = "The arbiter's history of decisions.")
    static final class Events extends Verb {
        @Option(names = "--limit", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}")
        int limit;

        @Override
        public Integer call() {
            return arbiter().events(limit);
        }
    }
}
