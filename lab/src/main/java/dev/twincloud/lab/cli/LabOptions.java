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

    @Option(names = "--base-port", description = "First of the lab's ports (see docs/lab.md). Default: $TWINCLOUD_LAB_BASE_PORT, "
            + "else the one the lab in --root was last started with, else " + DEFAULT_BASE_PORT,
            defaultValue = "${env:TWINCLOUD_LAB_BASE_PORT}")
    Integer basePort;

    static final int DEFAULT_BASE_PORT = 7400;

    public LabLayout layout() {
        return new LabLayout(root, basePort != null ? basePort : LabLayout.rememberedBasePort(root).orElse(DEFAULT_BASE_PORT));
    }

    public String controlUrl() {
        return "http://127.0.0.1:" + layout().labControlPort() + "/lab/";
    }

    /** The help of {@code --active-active}, the same for {@code lab up} and {@code lab drill}. */
    static final String ACTIVE_ACTIVE_HELP = "Read-local active-active (docs/lab.md, 'Active-active'): each site's API forwards "
            + "what it cannot serve (writes at the standby, reads beyond the staleness bound or min-LSN) to the other site's API "
            + "through the links gcp->aws:api (base+36) and aws->gcp:api (base+37), which 'lab partition gcp aws' cuts with the "
            + "others; and two more edge entries: base+15 for gcp's users, base+25 for aws's users, each sending every request "
            + "to its home site while that site can serve reads (its /actuator/health/reader), else to the other. base+1 "
            + "keeps following the writer. Off by default";

    /** The help of {@code --tls}, the same for {@code lab up} and {@code lab drill}. */
    static final String TLS_HELP = "TLS on the cross-site links: replication and the agents' connections to the other site's "
            + "database with verify-full and client certificates of the lab's CA (made in <root>/tls), the agents' failsafe link and "
            + "calls to the arbiter over HTTPS (with --arbiter-replicas 2: to the front, and on to the replicas over HTTPS; "
            + "docs/lab.md, 'What is encrypted'). Default: "
            + (LabSettings.TLS_DEFAULT ? "on" : "off") + ". A root keeps the choice of its first start";

    static final String NO_TLS_HELP = "No TLS on the cross-site links (plain TCP and HTTP, as before TLS). Default: "
            + (LabSettings.TLS_DEFAULT ? "TLS on" : "TLS off");

    /** {@code --tls} / {@code --no-tls}: at most one of them; neither gives {@link LabSettings#TLS_DEFAULT}. */
    static boolean tls(CommandLine commandLine, boolean tls, boolean noTls) {
        if (tls && noTls) {
            throw new CommandLine.ParameterException(commandLine, "--tls and --no-tls exclude each other");
        }
        return tls || (!noTls && LabSettings.TLS_DEFAULT);
    }

    static final String ARBITER_REPLICAS_HELP = "1: one arbiter keeping its state in a file (the default); 2: two arbiter replicas "
            + "electing the acting one in a three-member etcd on loopback that also holds the state, behind a front on the "
            + "arbiter's port that sends every request to the acting replica (docs/lab.md, docs/adr/0009). Needs the etcd binary "
            + "(Debian: etcd-server). A lab root keeps the count it was created with. Default: ${DEFAULT-VALUE}";

    /** {@code --arbiter-replicas 1|2}, checked: a clear message and exit 2 otherwise. */
    static int arbiterReplicas(CommandLine commandLine, int n) {
        try {
            return LabSettings.checkArbiterReplicas(n);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(commandLine, "--arbiter-replicas: " + e.getMessage());
        }
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
