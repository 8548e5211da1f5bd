package dev.twincloud.lab;

import dev.twincloud.lab.cli.CtlCommand;
import dev.twincloud.lab.cli.LabCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code twincloud}: the lab on this machine ({@code lab ...}) and operator verbs against any arbiter ({@code ctl ...}). */
@Command(name = "twincloud", mixinStandardHelpOptions = true, version = "twincloud 0.1.0",
        description = "One API and its PostgreSQL across two clouds, with fenced automatic failover.",
        subcommands = {LabCommand.class, CtlCommand.class})
public final class TwincloudCli implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: lab or ctl");
    }

    public static int execute(String... args) {
        return new CommandLine(new TwincloudCli()).execute(args);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }
}
