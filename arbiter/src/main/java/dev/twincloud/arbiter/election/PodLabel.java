package dev.twincloud.arbiter.election;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks this replica's own pod {@code twincloud.dev/arbiter-role: leader} or {@code follower}, so a
 * Service selecting the leader label routes the agents to the replica that acts while every replica
 * stays ready (rolling updates and disruption budgets need ready pods). Routing only: safety never
 * depends on the label — a replica that does not act answers 503 whatever its label says (a
 * partitioned old leader may keep a stale label until it can reach the API server again).
 * Best effort: a failed patch is logged and retried at the next change.
 */
final class PodLabel {

    static final String KEY = "twincloud.dev/arbiter-role";
    private static final Logger log = LoggerFactory.getLogger(PodLabel.class);

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;

    PodLabel(KubernetesClient client, String namespace, String pod) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
    }

    void set(boolean leader) {
        String role = leader ? "leader" : "follower";
        try {
            client.pods().inNamespace(namespace).withName(pod)
                    .edit(p -> new PodBuilder(p).editMetadata().addToLabels(KEY, role).endMetadata().build());
            log.info("pod {} labelled {}={}", pod, KEY, role);
        } catch (KubernetesClientException e) {
            log.warn("could not label pod {}/{} {}={} (the Service routes by it; HTTP {}): {}", namespace, pod, KEY, role,
                    e.getCode(), e.getMessage());
        }
    }
}
