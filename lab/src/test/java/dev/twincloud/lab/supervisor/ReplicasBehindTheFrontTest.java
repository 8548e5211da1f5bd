package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The arbiter part of {@code lab up --arbiter-replicas 2} without the sites: the lab's three etcd members, its
 * two arbiter replicas and its front, started from the very command lines the supervisor uses
 * ({@link LabEtcd#processes}, {@link Lab#replicaArgs}, {@link Lab#frontArgs}) on base port 21350. One replica
 * acts, the front sends the operator's calls to it, and after a SIGKILL of the acting one the other acts and
 * the front follows, with the state (epoch) it found in etcd. Needs the packaged arbiter and edge jars
 * ({@code ./mvnw package -DskipTests}) and the etcd binary (skipped without it).
 */
class ReplicasBehindTheFrontTest {
    static final Path HOME = Path.of(System.getProperty("twincloud.home", "..")).toAbsolutePath().normalize();
    private final List<ManagedProcess> started = new ArrayList<>();

    @AfterEach
    void stop() {
        java.util.Collections.reverse(started);
        started.forEach(ManagedProcess::stop);
    }

    @Test
    void oneReplicaActsTheFrontFollowsItAndTheOtherTakesOverAfterAKill() throws Exception {
        Path etcd = LabEtcd.binary().orElse(null);
        Assumptions.assumeTrue(etcd != null, LabEtcd.MISSING);
        LabLayout layout = new LabLayout(HOME.resolve("lab/target/replicas-front-test"), 21350);
        Await.deleteTree(layout.root());
        Files.createDirectories(layout.logs());
        LabSettings settings = LabSettings.defaults(layout, HOME).withArbiterReplicas(2);
        LabSecrets secrets = LabSecrets.loadOrCreate(layout);
        String java = ProcessHandle.current().info().command().orElse("java");

        List<ManagedProcess> members = LabEtcd.processes(etcd, layout);
        for (ManagedProcess m : members) {
            start(m);
        }
        LabEtcd.awaitHealthy(layout, members, Duration.ofSeconds(90));
        List<ManagedProcess> replicas = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            ManagedProcess r = new ManagedProcess(Lab.replicaName(i), Lab.replicaArgs(java, Lab.jar(HOME, "arbiter"), settings, i),
                    Lab.arbiterEnv(secrets), layout.logs().resolve(Lab.replicaName(i) + ".log"));
            replicas.add(r);
            start(r);
        }
        start(new ManagedProcess(Lab.FRONT, Lab.frontArgs(java, Lab.jar(HOME, "edge"), settings), Map.of(),
                layout.logs().resolve(Lab.FRONT + ".log")));
        String front = "http://127.0.0.1:" + layout.arbiterPort();

        Http.Response status = Http.await("the arbiter's status through the front", front + "/v1/status", secrets.operatorToken(),
                Duration.ofSeconds(180), r -> r.status() == 200);
        assertThat(status.json().path("epoch").asLong()).isEqualTo(1);
        assertThat(status.json().path("writer").asString()).isEqualTo("gcp");
        Await.until("one replica acting, the other standing by", Duration.ofSeconds(90), () -> roles(layout).containsAll(List.of(200, 503)));
        int acting = roles(layout).indexOf(200) + 1;
        int other = 3 - acting;
        Http.Response routed = Http.get(front + "/_edge/status", null);
        assertThat(routed.json().path("active").asString()).isEqualTo(Lab.replicaName(acting));
        Http.Response notLeader = Http.get("http://127.0.0.1:" + layout.arbiterReplicaPort(other) + "/v1/status", secrets.operatorToken());
        assertThat(notLeader.status()).as("the replica standing by refuses: the front must not send it anything").isEqualTo(503);
        assertThat(notLeader.body()).contains("not-leader");

        long t0 = System.nanoTime();
        replicas.get(acting - 1).kill();
        Await.until(Lab.replicaName(other) + " acting", Duration.ofSeconds(90), () -> roles(layout).get(other - 1) == 200);
        Http.Response after = Http.await("the status through the front again", front + "/v1/status", secrets.operatorToken(),
                Duration.ofSeconds(30), r -> r.status() == 200);
        System.out.printf("takeover after SIGKILL of %s: %s answers through the front after %.0f ms%n", Lab.replicaName(acting),
                Lab.replicaName(other), (System.nanoTime() - t0) / 1e6);
        assertThat(after.json().path("epoch").asLong()).as("the state from etcd").isEqualTo(1);
        assertThat(Http.get(front + "/_edge/status", null).json().path("active").asString()).isEqualTo(Lab.replicaName(other));
    }

    /** Each replica's {@code /actuator/health/leader} status, 0 when it does not answer. */
    private static List<Integer> roles(LabLayout layout) {
        List<Integer> out = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            try {
                out.add(Http.get("http://127.0.0.1:" + layout.arbiterReplicaPort(i) + "/actuator/health/leader", null,
                        Duration.ofSeconds(2)).status());
            } catch (IOException e) {
                out.add(0);
            }
        }
        return out;
    }

    private void start(ManagedProcess p) throws IOException {
        p.start();
        started.add(p);
    }
}
