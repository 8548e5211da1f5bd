package dev.twincloud.arbiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.twincloud.arbiter.service.Leadership;
import dev.twincloud.arbiter.store.EtcdCluster;
import dev.twincloud.core.decide.EventKind;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole application with {@code twincloud.arbiter.store} set: a wrong kind stops the start-up
 * with a message naming the setting; etcd (a real etcd member on loopback, ports 25310-25311) and
 * Kubernetes (fabric8's mock API server, a stand-in for a real one) hold the state, and the history
 * stays in the state directory.
 */
@EnableKubernetesMockClient(crud = true)
class StoreSelectionTest {

    static final String TOKENS_AGENT = "--twincloud.arbiter.agent-token=agent-token-0123456789";
    static final String TOKENS_OPERATOR = "--twincloud.arbiter.operator-token=operator-token-0123456789";

    KubernetesMockServer server;
    KubernetesClient client;

    @TempDir
    Path dir;

    ConfigurableApplicationContext run(String... args) {
        return new SpringApplicationBuilder(ArbiterApplication.class).web(WebApplicationType.NONE)
                .initializers(ctx -> ctx.getBeanFactory().registerSingleton("testKubernetesClient", client))
                .run(args);
    }

    @Test
    void anUnknownStoreKindStopsTheStartUp() {
        assertThatThrownBy(() -> run("--twincloud.arbiter.state-dir=" + dir, TOKENS_AGENT, TOKENS_OPERATOR,
                "--twincloud.arbiter.store=zookeeper"))
                .satisfies(e -> assertThat(StartupTest.refusal(e))
                        .hasMessageContaining("store must be file, etcd or kubernetes (TWINCLOUD_ARBITER_STORE), got 'zookeeper'"));
        assertThatThrownBy(() -> run("--twincloud.arbiter.state-dir=" + dir, TOKENS_AGENT, TOKENS_OPERATOR,
                "--twincloud.arbiter.store=etcd"))
                .satisfies(e -> assertThat(StartupTest.refusal(e)).hasMessageContaining("etcd.endpoints must name at least one"));
    }

    @Test
    void withTheEtcdStoreTheStateIsInEtcdAndSurvivesARestart() throws Exception {
        assumeTrue(EtcdCluster.binary().isPresent(), EtcdCluster.MISSING);
        try (EtcdCluster etcd = EtcdCluster.start(dir.resolve("etcd"), 25310, 1);
             Client raw = Client.builder().endpoints(etcd.endpoints().toArray(String[]::new)).build()) {
            String[] args = {"--twincloud.arbiter.state-dir=" + dir.resolve("arbiter"), TOKENS_AGENT, TOKENS_OPERATOR,
                    "--twincloud.arbiter.store=etcd", "--twincloud.arbiter.etcd.endpoints=" + etcd.endpoint(0),
                    "--twincloud.arbiter.etcd.key-prefix=/lab/arbiter/", "--twincloud.arbiter.initial-writer=aws"};
            try (ConfigurableApplicationContext ctx = run(args)) {
                assertThat(ctx.getBean(Leadership.class).current().snapshot().state().durable().writer().toString())
                        .isEqualTo("aws");
            }
            var kvs = raw.getKVClient().get(ByteSequence.from("/lab/arbiter/state", StandardCharsets.UTF_8))
                    .get(10, TimeUnit.SECONDS).getKvs();
            assertThat(kvs).hasSize(1);
            assertThat(kvs.getFirst().getValue().toString(StandardCharsets.UTF_8)).contains("\"writer\" : \"aws\"");
            assertThat(dir.resolve("arbiter").resolve("state.json")).doesNotExist();
            assertThat(dir.resolve("arbiter").resolve("events.jsonl")).exists();

            args[args.length - 1] = "--twincloud.arbiter.initial-writer=gcp"; // used only without a stored state
            try (ConfigurableApplicationContext ctx = run(args)) {
                var a = ctx.getBean(Leadership.class).current();
                assertThat(a.snapshot().state().durable().writer().toString()).isEqualTo("aws");
                assertThat(a.events(10)).anySatisfy(e -> assertThat(e.kind()).isEqualTo(EventKind.ARBITER_STARTED));
            }
        }
    }

    @Test
    void withTheEtcdStoreLeaderElectionElectsInEtcd() throws Exception {
        assumeTrue(EtcdCluster.binary().isPresent(), EtcdCluster.MISSING);
        try (EtcdCluster etcd = EtcdCluster.start(dir.resolve("etcd"), 25320, 1);
             ConfigurableApplicationContext ctx = run("--twincloud.arbiter.state-dir=" + dir.resolve("arbiter"),
                     TOKENS_AGENT, TOKENS_OPERATOR, "--twincloud.arbiter.store=etcd",
                     "--twincloud.arbiter.etcd.endpoints=" + etcd.endpoint(0),
                     "--twincloud.arbiter.leader-election.enabled=true",
                     "--twincloud.arbiter.leader-election.identity=vm-1")) {
            Leadership leadership = ctx.getBean(Leadership.class);
            assertThat(leadership).isInstanceOf(dev.twincloud.arbiter.election.EtcdElectedArbiter.class);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (leadership.leading().isEmpty() && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(leadership.describe()).contains("this replica (vm-1) is the elected arbiter (etcd key /twincloud/arbiter/leader)");
        }
    }

    @Test
    void withTheKubernetesStoreTheStateIsInAConfigMapOnTheMockApiServer() throws Exception {
        String[] args = {"--twincloud.arbiter.state-dir=" + dir, TOKENS_AGENT, TOKENS_OPERATOR,
                "--twincloud.arbiter.store=kubernetes", "--twincloud.arbiter.kubernetes.namespace=twincloud",
                "--twincloud.arbiter.initial-writer=aws"};
        try (ConfigurableApplicationContext ctx = run(args)) {
            assertThat(ctx.getBean(Leadership.class).current().snapshot().state().durable().writer().toString())
                    .isEqualTo("aws");
        }
        var cm = client.configMaps().inNamespace("twincloud").withName("twincloud-arbiter-state").get();
        assertThat(cm.getData().get("state.json")).contains("\"writer\" : \"aws\"");
        assertThat(dir.resolve("state.json")).doesNotExist();
        assertThat(Files.exists(dir.resolve("events.jsonl"))).isTrue();
    }
}
