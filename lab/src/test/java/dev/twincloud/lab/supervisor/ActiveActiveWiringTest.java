package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.SiteId;
import dev.twincloud.edge.Backend;
import dev.twincloud.edge.EdgeConfig;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code lab up --active-active} as the supervisor wires it, without starting anything: the ports it adds, the home
 * entries' command lines (parsed by the edge itself), and each API's forwarding through its cross-site link.
 */
class ActiveActiveWiringTest {
    private final LabLayout layout = new LabLayout(Path.of("target/active-active-test"), 7400);
    private final SiteId gcp = SiteId.of("gcp");
    private final SiteId aws = SiteId.of("aws");

    @Test
    void itsPortsAreTheHomeEntriesAndTheApiLinksAndCollideWithNothing() {
        assertThat(layout.homeEntryPort(gcp)).isEqualTo(7415);
        assertThat(layout.homeEntryPort(aws)).isEqualTo(7425);
        assertThat(layout.peerApiLinkPort(gcp)).isEqualTo(7436);
        assertThat(layout.peerApiLinkPort(aws)).isEqualTo(7437);
        for (int replicas = 1; replicas <= 2; replicas++) {
            List<Integer> off = layout.ports(replicas);
            List<Integer> on = layout.ports(replicas, true);
            assertThat(layout.ports(replicas, false)).isEqualTo(off);
            assertThat(on).containsAll(off).contains(7415, 7425, 7436, 7437).hasSize(off.size() + 4);
            assertThat(new HashSet<>(on)).as("no port twice").hasSize(on.size());
        }
        assertThat(layout.ports()).as("off by default").doesNotContain(7415, 7425, 7436, 7437);
    }

    @Test
    void eachHomeEntryIsAnEdgeHomedOnItsSiteProbingTheReaderHealthOnTheApisHealthPorts() {
        LabSettings settings = LabSettings.defaults(layout, Path.of(".")).withActiveActive(true);
        assertThat(LabSettings.defaults(layout, Path.of(".")).activeActive()).as("off by default").isFalse();
        for (SiteId home : LabLayout.SITES) {
            List<String> cmd = Lab.homeEntryArgs("java", Path.of("edge.jar"), settings, home);
            List<String> flags = cmd.subList(cmd.indexOf("edge.jar") + 1, cmd.size());
            EdgeConfig config = EdgeConfig.parse(flags.toArray(String[]::new));
            assertThat(config.home()).isEqualTo(home.name());
            assertThat(config.port()).isEqualTo(layout.homeEntryPort(home));
            assertThat(config.healthPath()).isEqualTo("/actuator/health/reader");
            assertThat(config.profile()).isEqualTo(EdgeConfig.Profile.LAB);
            assertThat(config.backends()).extracting(Backend::name).containsExactly("gcp", "aws");
            for (Backend b : config.backends()) {
                SiteId site = SiteId.of(b.name());
                assertThat(b.url().getPort()).as("straight to the API (the entries are each cloud's own users)").isEqualTo(layout.apiPort(site));
                assertThat(b.healthPort()).isEqualTo(layout.apiHealthPort(site));
            }
        }
        assertThat(Lab.homeEntry(gcp)).isEqualTo("edge-gcp");
    }

    @Test
    void eachApiForwardsThroughItsOwnCrossSiteLinkOnlyWhenActiveActive() {
        assertThat(Lab.activeActiveApiArgs(layout, true, gcp)).containsExactly("--twincloud.api.forward.peer-url=http://127.0.0.1:7436");
        assertThat(Lab.activeActiveApiArgs(layout, true, aws)).containsExactly("--twincloud.api.forward.peer-url=http://127.0.0.1:7437");
        assertThat(Lab.activeActiveApiArgs(layout, false, gcp)).isEmpty();
    }
}
