package dev.twincloud.arbiter.store;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;

/**
 * The contract on {@link KubernetesStateStore} against fabric8's mock API server in CRUD mode — a
 * stand-in for a real Kubernetes API server (none runs here): it keeps objects and answers a
 * replace whose resourceVersion is stale with 409 Conflict, as the API server does. Each test
 * stores in a ConfigMap of its own.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesStateStoreOnMockApiServerCrudTest extends StateStoreContract {

    static final String NAMESPACE = "twincloud";

    KubernetesMockServer server;
    KubernetesClient client;
    String name;

    @BeforeEach
    void freshName() {
        name = "arbiter-state-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Override
    protected StateStore open() {
        return new KubernetesStateStore(client, NAMESPACE, name, CONFIG);
    }

    @Override
    protected void putRaw(String json) {
        client.configMaps().inNamespace(NAMESPACE).withName(name).delete();
        client.configMaps().inNamespace(NAMESPACE).resource(new ConfigMapBuilder().withNewMetadata().withName(name)
                .withNamespace(NAMESPACE).endMetadata().addToData(KubernetesStateStore.DATA_KEY, json).build()).create();
    }
}
