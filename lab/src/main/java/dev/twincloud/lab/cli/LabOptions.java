package dev.twincloud.lab.cli;

import dev.twincloud.lab.supervisor.LabLayout;
import dev.twincloud.lab.supervisor.LabSettings;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** Where the lab lives; the same two options for every {@code lab} verb. */
public final class LabOptions {
    @Option(names = "--root", description = "The lab's directory (data, logs, secrets). Default: ${DEFAULT-VALUE}",
            defaultValue = "${env:TWINCLOUD_LAB_ROOT:-.twincloud/lab}")
    Path root;

    @Option(names = "--base-port", description = "First of the lab's ports (see docs/lab.md). Default: ${DEFAULT-VALUE}",
            defaultValue = "${env:TWINCLOUD_LAB_BASE_PORT:-7400}")
    int basePort;

    public LabLayout layout() {
        return new LabLayout(root, basePort);
    }

    public String controlUrl() {
        return "http://127.0.0.1:" + layout().labControlPort() + "/lab/";
    }

    /** {@code --edge-profile lab|cloud}: picocli prints "Invalid value for option '--edge-profile': ..." and exits 2. */
    public static final class EdgeProfileConverter implements CommandLine.ITypeConverter<LabSettings.EdgeProfile> {
        @Override
        public LabSettings.EdgeProfile convert(String value) {
            try {
                return LabSettings.EdgeProfile.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
