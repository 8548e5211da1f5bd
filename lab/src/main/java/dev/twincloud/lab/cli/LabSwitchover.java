package dev.twincloud.lab.cli;

import dev.twincloud.lab.supervisor.LabSecrets;
import java.io.IOException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code lab switchover SITE}: {@code ctl switchover} against the lab's arbiter with the lab's operator token. */
@Command(name = "switchover", mixinStandardHelpOptions = true, description = "Planned switchover of the lab's writer to SITE.")
final class LabSwitchover implements Callable<Integer> {
    @Mixin
    LabOptions lab;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "SITE")
    String site;

    static ArbiterCalls arbiter(LabOptions lab, CommandLine.Model.CommandSpec spec) {
        if (!java.nio.file.Files.exists(lab.layout().secretsFile())) {
            throw new CommandLine.ParameterException(spec.commandLine(), "no lab at " + lab.layout().root() + ": start one with 'twincloud lab up'");
        }
        try {
            String token = LabSecrets.loadOrCreate(lab.layout()).operatorToken();
            return new ArbiterCalls("http://127.0.0.1:" + lab.layout().arbiterPort(), token,
                    spec.commandLine().getOut(), spec.commandLine().getErr());
        } catch (IOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    @Override
    public Integer call() {
        return arbiter(lab, spec).switchover(site);
    }
}
