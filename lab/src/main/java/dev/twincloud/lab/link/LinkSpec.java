package dev.twincloud.lab.link;

import java.util.List;
import java.util.Objects;

/**
 * What a link connects: {@code from -> to} (the endpoints a partition is named by) and the ports.
 * Names follow {@code from->to[:purpose]}, e.g. {@code gcp->aws:pg}, {@code gcp->arbiter}.
 *
 * @param name       unique name, also the handle in the control API
 * @param from       endpoint on the connecting side, e.g. {@code gcp}
 * @param to         endpoint on the listening side, e.g. {@code arbiter}
 * @param listenPort port on 127.0.0.1 the link listens on; 0 picks a free one
 * @param targetPort port on 127.0.0.1 the link forwards to
 */
public record LinkSpec(String name, String from, String to, int listenPort, int targetPort) {

    public LinkSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (name.isBlank() || from.isBlank() || to.isBlank()) {
            throw new IllegalArgumentException("name and endpoints must not be blank");
        }
        if (listenPort < 0 || listenPort > 65535 || targetPort < 1 || targetPort > 65535) {
            throw new IllegalArgumentException("bad ports for link " + name + ": " + listenPort + " -> " + targetPort);
        }
    }

    /** Derives the endpoints from a name of the form {@code from->to[:purpose]}. */
    public static LinkSpec of(String name, int listenPort, int targetPort) {
        int arrow = name.indexOf("->");
        if (arrow <= 0) {
            throw new IllegalArgumentException("link name must look like from->to[:purpose]: " + name);
        }
        String from = name.substring(0, arrow);
        String rest = name.substring(arrow + 2);
        int colon = rest.indexOf(':');
        String to = colon < 0 ? rest : rest.substring(0, colon);
        if (to.isEmpty()) {
            throw new IllegalArgumentException("link name must look like from->to[:purpose]: " + name);
        }
        return new LinkSpec(name, from, to, listenPort, targetPort);
    }

    /**
     * The lab's endpoints in the order that numbers their loopback networks: a link into the n-th (from 0)
     * connects to its target from {@code 127.0.(n+2).x}, x being 1 + the index of the connecting endpoint.
     */
    public static final List<String> ENDPOINTS = List.of("gcp", "aws", "arbiter");

    /**
     * The loopback address this link connects to its target from, distinct per direction, so that the
     * target can tell a link's connections from its own machine's (127.0.0.1) by address, as a deployment's
     * pg_hba tells the other site's network from its own: {@code 127.0.2.x} into gcp, {@code 127.0.3.x} into
     * aws, {@code 127.0.4.x} into the arbiter, x = 1 from gcp, 2 from aws, 3 from the arbiter (Linux routes
     * all of 127.0.0.0/8 to {@code lo}). Null for endpoints outside {@link #ENDPOINTS}: the system's choice,
     * 127.0.0.1. docs/links.md, "Source addresses".
     */
    public String sourceAddress() {
        int into = ENDPOINTS.indexOf(to);
        int out = ENDPOINTS.indexOf(from);
        return into < 0 || out < 0 ? null : "127.0." + (into + 2) + "." + (out + 1);
    }

    /** The network the links into {@code endpoint} connect from ({@code 127.0.2.0/24} into gcp), for pg_hba. */
    public static String sourceNetworkInto(String endpoint) {
        int into = ENDPOINTS.indexOf(endpoint);
        if (into < 0) {
            throw new IllegalArgumentException("not a lab endpoint: " + endpoint + " (one of " + ENDPOINTS + ")");
        }
        return "127.0." + (into + 2) + ".0/24";
    }

    /** True when this link joins {@code a} and {@code b}, in either direction. */
    public boolean joins(String a, String b) {
        return (from.equals(a) && to.equals(b)) || (from.equals(b) && to.equals(a));
    }

    /** True when {@code endpoint} is one of this link's ends. */
    public boolean touches(String endpoint) {
        return from.equals(endpoint) || to.equals(endpoint);
    }
}
