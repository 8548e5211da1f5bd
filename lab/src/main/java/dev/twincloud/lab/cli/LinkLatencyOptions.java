package dev.twincloud.lab.cli;

import dev.twincloud.lab.supervisor.LinkLatency;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The steady link latency of a lab being started ({@code lab up}, {@code lab drill}): see {@link LinkLatency}. */
public final class LinkLatencyOptions {
    @Option(names = "--link-latency-ms", paramLabel = "MS", defaultValue = "0", description = "Steady one-way latency on every "
            + "cross-site and site-to-arbiter link, each direction (a round trip takes 2 x MS more). Default: ${DEFAULT-VALUE}")
    long allMs;

    @Option(names = "--link-latency", paramLabel = "SPEC", description = "Steady one-way latency of one pair, on top of "
            + "--link-latency-ms: A-B=MS both ways, 'A->B=MS' one way (A, B: gcp, aws, arbiter); repeatable. "
            + "Changed live with 'lab latency'.")
    List<String> specs = new ArrayList<>();

    /** The latencies asked for, keyed {@code from->to}; bad input is a usage error of {@code cli}. */
    Map<String, Duration> latency(CommandLine cli) {
        try {
            return LinkLatency.parse(allMs, specs);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(cli, e.getMessage());
        }
    }
}
