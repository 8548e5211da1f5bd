package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ports and directories of a lab with one arbiter and with two replicas on a three-member etcd. */
class LabLayoutTest {
    private final LabLayout layout = new LabLayout(Path.of("target/layout-test"), 7400);

    @Test
    void twoReplicasAddTheirPortsAndEtcdsAfterTheLinksAndOneArbiterKeepsItsSet() {
        List<Integer> one = layout.ports();
        assertThat(one).isEqualTo(layout.ports(1)).doesNotContain(7440, 7441, 7442, 7447);
        List<Integer> two = layout.ports(2);
        assertThat(two).containsAll(one).doesNotHaveDuplicates()
                .containsSubsequence(7440, 7441, 7442, 7443, 7444, 7445, 7446, 7447).contains(7448, 7449).hasSize(one.size() + 10);
        assertThat(new HashSet<>(two)).hasSize(two.size());
        assertThat(layout.arbiterPort()).as("the front takes the arbiter's port: agents, CLI and status page unchanged").isEqualTo(7400);
        assertThat(layout.arbiterReplicaPort(1)).isEqualTo(7440);
        assertThat(layout.arbiterReplicaPort(2)).isEqualTo(7441);
        assertThat(layout.etcdClientPort(1)).isEqualTo(7442);
        assertThat(layout.etcdPeerPort(3)).isEqualTo(7447);
        assertThat(layout.arbiterReplicaTlsPort(1)).as("the replicas' HTTPS, for the front (TLS on)").isEqualTo(7448);
        assertThat(layout.arbiterReplicaTlsPort(2)).isEqualTo(7449);
    }

    @Test
    void replicasAndMembersOutsideTheLabAreRefused() {
        assertThatThrownBy(() -> layout.arbiterReplicaPort(3)).hasMessageContaining("arbiter replica must be 1..2, got 3");
        assertThatThrownBy(() -> layout.etcdClientPort(0)).hasMessageContaining("etcd member must be 1..3, got 0");
        assertThatThrownBy(() -> layout.etcdData(4)).hasMessageContaining("etcd member must be 1..3, got 4");
    }

    @Test
    void etcdDataAndEachReplicasHistoryLiveUnderTheRoot() {
        Path root = layout.root();
        assertThat(layout.etcdData(2)).isEqualTo(root.resolve("etcd/etcd-2"));
        assertThat(layout.arbiterReplicaState(1)).isEqualTo(root.resolve("arbiter-1")).isNotEqualTo(layout.arbiterState());
        assertThat(layout.arbiterReplicasFile()).isEqualTo(root.resolve("arbiter-replicas"));
    }

    @Test
    void settingsTakeOneOrTwoReplicasAndSayWhatElse() {
        LabSettings d = LabSettings.defaults(layout, Path.of("."));
        assertThat(d.arbiterReplicas()).isEqualTo(1);
        assertThat(d.replicated()).isFalse();
        LabSettings two = d.withArbiterReplicas(2).withMode(dev.twincloud.core.protocol.Durability.ASYNC);
        assertThat(two.arbiterReplicas()).as("kept through the other withers").isEqualTo(2);
        assertThat(two.replicated()).isTrue();
        assertThatThrownBy(() -> d.withArbiterReplicas(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("arbiter replicas must be 1 (one arbiter, file store) or 2").hasMessageContaining("got 3");
        assertThatThrownBy(() -> d.withArbiterReplicas(0)).hasMessageContaining("got 0");
        assertThat(LabSettings.ELECTION_LEASE_DURATION).isGreaterThan(LabSettings.ELECTION_RENEW_DEADLINE);
        assertThat(LabSettings.ELECTION_RENEW_DEADLINE).isGreaterThan(LabSettings.ELECTION_RETRY_PERIOD);
        assertThat(LabSettings.ELECTION_LEASE_DURATION.toMillis() % 1000).as("etcd lease TTLs are whole seconds").isZero();
    }

    @Test
    void etcdMembersKnowEachOtherByTheLayoutsPeerPorts() {
        List<String> cmd = LabEtcd.command(Path.of("/usr/bin/etcd"), layout, 2);
        assertThat(cmd).containsSequence("--name", "etcd-2")
                .containsSequence("--listen-client-urls", "http://127.0.0.1:7444")
                .containsSequence("--listen-peer-urls", "http://127.0.0.1:7445")
                .containsSequence("--initial-cluster",
                        "etcd-1=http://127.0.0.1:7443,etcd-2=http://127.0.0.1:7445,etcd-3=http://127.0.0.1:7447")
                .containsSequence("--data-dir", layout.etcdData(2).toString());
        assertThat(LabEtcd.endpoints(layout)).isEqualTo("http://127.0.0.1:7442,http://127.0.0.1:7444,http://127.0.0.1:7446");
    }
}
