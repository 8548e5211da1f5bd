package dev.twincloud.arbiter.store;

import dev.twincloud.core.decide.ArbiterConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The arbiter's state in the ConfigMap {@code namespace/name} (key {@code state.json}), through
 * fabric8. The API server stores it in the cluster's etcd, so it is as durable as the cluster
 * itself. A save is an update carrying the resourceVersion this replica last loaded or stored: the
 * API server refuses it with 409 Conflict when the ConfigMap changed since; creating it is refused
 * with 409 when it exists. The replicas need {@code get}, {@code create} and {@code update} on
 * ConfigMaps in their namespace (the Helm chart's Role).
 */
public final class KubernetesStateStore extends VersionedStateStore {

    /** The ConfigMap's data key that holds the state. */
    public static final String DATA_KEY = "state.json";

    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    /** {@code client} stays open after {@link #close()}: it is shared with the election. */
    public KubernetesStateStore(KubernetesClient client, String namespace, String name, ArbiterConfig config) {
        super(config);
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    @Override
    public String describe() {
        return "the ConfigMap " + namespace + "/" + name + " (key " + DATA_KEY + ")";
    }

    @Override
    protected String repairHow() {
        return "kubectl -n " + namespace + " edit configmap " + name;
    }

    @Override
    protected String reachAdvice() {
        return "Check that the Kubernetes API server answers and that this pod's service account may get, create and update "
                + "ConfigMaps in " + namespace + ".";
    }

    @Override
    protected Optional<Versioned> read() throws IOException {
        ConfigMap cm;
        try {
            cm = client.configMaps().inNamespace(namespace).withName(name).get();
        } catch (KubernetesClientException e) {
            throw new IOException("reading the ConfigMap " + namespace + "/" + name + " failed: " + e.getMessage(), e);
        }
        if (cm == null) {
            return Optional.empty();
        }
        String json = cm.getData() == null ? null : cm.getData().get(DATA_KEY);
        // A ConfigMap without the key holds no state: the codec refuses it as corrupt, it is never overwritten.
        byte[] bytes = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        return Optional.of(new Versioned(bytes, cm.getMetadata().getResourceVersion()));
    }

    @Override
    protected Optional<String> create(byte[] bytes) throws IOException {
        return write(configMap(bytes, null), true);
    }

    @Override
    protected Optional<String> replace(byte[] bytes, String expected) throws IOException {
        return write(configMap(bytes, expected), false);
    }

    private ConfigMap configMap(byte[] bytes, String resourceVersion) {
        return new ConfigMapBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withResourceVersion(resourceVersion)
                .addToLabels("app.kubernetes.io/name", "twincloud-arbiter")
                .addToLabels("app.kubernetes.io/component", "arbiter-state")
                .endMetadata()
                .addToData(DATA_KEY, new String(bytes, StandardCharsets.UTF_8))
                .build();
    }

    private Optional<String> write(ConfigMap cm, boolean create) throws IOException {
        try {
            var resource = client.configMaps().inNamespace(namespace).resource(cm);
            ConfigMap stored = create ? resource.create() : resource.update();
            return Optional.of(stored.getMetadata().getResourceVersion());
        } catch (KubernetesClientException e) {
            if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                return Optional.empty();
            }
            throw new IOException((create ? "creating" : "updating") + " the ConfigMap " + namespace + "/" + name
                    + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        // the client belongs to the caller
    }
}
