package dev.twincloud.lab.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lab promote SITE --force --reason ...}: a recorded forced promotion in the lab. */
@Command(name = "promote", mixinStandardHelpOptions = true,
        description = "Force SITE to become the lab's writer (recorded). Needs --force and --reason.")
final class LabPromote implements Callable<Integer> {
    @Mixin
    LabOptions lab;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "SITE")
    String site;

    @Option(names = "--force", required = true, description = "required: automatic promotion is the arbiter's job")
    boolean force;

    @Option(names = "--reason", defaultValue = "lab: forced promotion", description = "Default: ${DEFAULT-VALUE}")
    String reason;

    @Override
    public Integer call() {
        return LabSwitchover.arbiter(lab, spec).promote(site, reason, System.getProperty("user.name", "lab"));
    }
}
