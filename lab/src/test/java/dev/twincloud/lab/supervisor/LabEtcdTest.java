package dev.twincloud.lab.supervisor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The lab's etcd trio alone, started by the supervisor's own code ({@link LabEtcd}, {@link ManagedProcess}) as
 * {@code lab up --arbiter-replicas 2} starts it: real {@code etcd} processes on loopback (base port 21300, so
 * ports 21342-21347). Skipped where the etcd binary is missing.
 */
class LabEtcdTest {
    private final LabLayout layout = new LabLayout(Path.of("target/lab-etcd-test"), 21300);
    private List<ManagedProcess> members = List.of();

    @AfterEach
    void stop() {
        members.forEach(ManagedProcess::kill);
    }

    @Test
    void threeMembersBecomeHealthyKeepGoingWithoutTheirLeaderAndRestartInPlace() throws Exception {
        Path etcd = LabEtcd.binary().orElse(null);
        Assumptions.assumeTrue(etcd != null, LabEtcd.MISSING);
        Await.deleteTree(layout.root());
        Files.createDirectories(layout.logs());
        members = LabEtcd.processes(etcd, layout);
        assertThat(members).extracting(ManagedProcess::name).containsExactly("etcd-1", "etcd-2", "etcd-3");
        for (ManagedProcess m : members) {
            m.start();
        }
        LabEtcd.awaitHealthy(layout, members, Duration.ofSeconds(90));
        for (int i = 1; i <= 3; i++) {
            assertThat(LabEtcd.health(layout, i)).as("etcd-" + i).isEqualTo("healthy");
        }
        Await.until("a raft leader", Duration.ofSeconds(60), () -> LabEtcd.leader(layout).isPresent());
        put("/lab-test/key", "before");

        // the leader killed: the two others elect another and still serve a linearizable read
        int leader = LabEtcd.leader(layout).orElseThrow();
        members.get(leader - 1).kill();
        assertThat(LabEtcd.health(layout, leader)).isEqualTo("no answer");
        Await.until("another leader", Duration.ofSeconds(60), () -> LabEtcd.leader(layout).filter(l -> l != leader).isPresent());
        int survivor = leader == 1 ? 2 : 1;
        assertThat(get(survivor, "/lab-test/key")).isEqualTo("before");
        members.get(leader - 1).start(); // on its data directory: it re-joins
        Await.until("etcd-" + leader + " healthy again", Duration.ofSeconds(60), () -> LabEtcd.health(layout, leader).equals("healthy"));

        // all stopped and started again on their data (lab down, lab up): the key is still there
        members.forEach(ManagedProcess::stop);
        for (ManagedProcess m : members) {
            m.start();
        }
        LabEtcd.awaitHealthy(layout, members, Duration.ofSeconds(90));
        assertThat(get(3, "/lab-test/key")).isEqualTo("before");
        assertThat(layout.logs().resolve("etcd-1.log")).as("each member logs to logs/etcd-i.log").exists();
    }

    private void put(String key, String value) throws IOException {
        Http.Response r = Http.post(LabEtcd.clientUrl(layout, 1) + "/v3/kv/put", null,
                "{\"key\":\"%s\",\"value\":\"%s\"}".formatted(b64(key), b64(value)), Map.of(), Duration.ofSeconds(5));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private String get(int member, String key) throws IOException {
        Http.Response r = Http.post(LabEtcd.clientUrl(layout, member) + "/v3/kv/range", null,
                "{\"key\":\"%s\"}".formatted(b64(key)), Map.of(), Duration.ofSeconds(5));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return new String(Base64.getDecoder().decode(r.json().path("kvs").path(0).path("value").asString("")), StandardCharsets.UTF_8);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
