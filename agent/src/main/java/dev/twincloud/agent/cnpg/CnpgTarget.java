package dev.twincloud.agent.cnpg;

import dev.twincloud.core.protocol.SiteId;
import java.util.Objects;

/**
 * The CloudNativePG {@code Cluster} an agent drives: its own site's, in its own namespace (the
 * chart's RBAC allows nothing else).
 *
 * @param namespace namespace of the Cluster (TWINCLOUD_CNPG_NAMESPACE)
 * @param cluster   the Cluster's name (TWINCLOUD_CNPG_CLUSTER); also its name in the distributed topology
 * @param site      this site
 * @param peer      the other site; its standby is named so in synchronous_standby_names
 */
public record CnpgTarget(String namespace, String cluster, SiteId site, SiteId peer) {
    public CnpgTarget {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(peer, "peer");
        if (site.equals(peer)) {
            throw new IllegalArgumentException("peer must differ from site");
        }
    }
}
