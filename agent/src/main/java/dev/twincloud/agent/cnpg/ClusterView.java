package dev.twincloud.agent.cnpg;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Read access to the fields of a CloudNativePG {@code Cluster} the driver needs. */
final class ClusterView {
    private final GenericKubernetesResource r;

    ClusterView(GenericKubernetesResource r) {
        this.r = r;
    }

    String resourceVersion() {
        return r.getMetadata().getResourceVersion();
    }

    /** This Cluster's name in the distributed topology ({@code replica.self}, by default its name). */
    String self() {
        String self = r.get("spec", "replica", "self");
        return self == null || self.isBlank() ? r.getMetadata().getName() : self;
    }

    /** The external cluster it replicates from when it is not the primary. */
    String source() {
        String source = r.get("spec", "replica", "source");
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("Cluster " + r.getMetadata().getName() + " has no spec.replica.source:"
                    + " not in a distributed topology");
        }
        return source;
    }

    /** The Cluster is the primary of the distributed topology ({@code replica.primary == self}). */
    boolean isPrimaryCluster() {
        String primary = r.get("spec", "replica", "primary");
        return primary == null ? !Boolean.TRUE.equals(r.get("spec", "replica", "enabled")) : primary.equals(self());
    }

    Optional<String> demotionToken() {
        String t = r.get("status", "demotionToken");
        return t == null || t.isBlank() ? Optional.empty() : Optional.of(t);
    }

    Optional<String> systemId() {
        String s = r.get("status", "systemID");
        return s == null || s.isBlank() ? Optional.empty() : Optional.of(s);
    }

    int timeline() {
        Object t = r.get("status", "timelineID");
        return t instanceof Number n ? n.intValue() : 0;
    }

    @SuppressWarnings("unchecked")
    List<String> instanceNames() {
        Object names = r.get("status", "instanceNames");
        return names instanceof List<?> l ? (List<String>) l : List.of();
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> synchronous() {
        Object s = r.get("spec", "postgresql", "synchronous");
        return s instanceof Map<?, ?> m ? (Map<String, Object>) m : null;
    }

    private String fencingAnnotation() {
        Map<String, String> a = r.getMetadata().getAnnotations();
        return a == null ? null : a.get(CnpgDriver.FENCING_ANNOTATION);
    }

    /** Any instance fenced: PostgreSQL of the primary instance may be stopped. */
    boolean fenced() {
        String f = fencingAnnotation();
        return f != null && !f.isBlank() && !f.replace(" ", "").equals("[]");
    }

    boolean fencedAll() {
        String f = fencingAnnotation();
        return f != null && f.replace(" ", "").equals("[\"*\"]");
    }
}
