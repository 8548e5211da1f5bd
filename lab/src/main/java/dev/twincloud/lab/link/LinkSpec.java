package dev.twincloud.lab.link;

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

    /** True when this link joins {@code a} and {@code b}, in either direction. */
    public boolean joins(String a, String b) {
        return (from.equals(a) && to.equals(b)) || (from.equals(b) && to.equals(a));
    }

    /** True when {@code endpoint} is one of this link's ends. */
    public boolean touches(String endpoint) {
        return from.equals(endpoint) || to.equals(endpoint);
    }
}
