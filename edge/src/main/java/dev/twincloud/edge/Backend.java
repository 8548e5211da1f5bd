package dev.twincloud.edge;

import java.net.URI;
import java.util.Objects;

/**
 * One site behind the edge: a name (shown to clients in {@code X-Twincloud-Site}), its base URL, and
 * the port its health is probed on.
 *
 * @param name       site name, e.g. {@code gcp}
 * @param url        base URL without trailing slash, e.g. {@code http://127.0.0.1:8081}; {@code https://} is reached
 *                   over TLS, the certificate checked against the edge's trust ({@code --backend-ca})
 * @param healthPort port of the site's health listener on the same host ({@code --health-port}), or
 *                   -1 to probe the base URL itself (like a GCP health check's {@code port} vs. the
 *                   serving port)
 */
public record Backend(String name, URI url, int healthPort) {

    public Backend(String name, URI url) {
        this(name, url, -1);
    }

    public Backend {
        if (healthPort != -1 && (healthPort < 1 || healthPort > 65535)) {
            throw new IllegalArgumentException("health port must be 1..65535, got " + healthPort);
        }
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("backend name must match [A-Za-z0-9_.-]+: " + name);
        }
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null || url.getPort() < 0) {
            throw new IllegalArgumentException("backend url must be http://host:port[/base] or https://host:port[/base]: " + url);
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            throw new IllegalArgumentException("backend url must not have a query or fragment: " + url);
        }
        // Normalise away a trailing slash so base + request path never yields "//".
        String s = url.toString();
        if (s.endsWith("/")) {
            url = URI.create(s.substring(0, s.length() - 1));
        }
    }

    /** Whether requests and probes to this backend go over TLS. */
    public boolean tls() {
        return "https".equals(url.getScheme());
    }

    /** Parses {@code name=http://host:port[/base]} (or {@code https://}), the form of the {@code --backend} flag. */
    public static Backend parse(String spec) {
        int eq = spec.indexOf('=');
        if (eq <= 0 || eq == spec.length() - 1) {
            throw new IllegalArgumentException("--backend must be NAME=URL, got: " + spec);
        }
        URI uri;
        try {
            uri = URI.create(spec.substring(eq + 1));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--backend has a bad URL: " + spec, e);
        }
        return new Backend(spec.substring(0, eq), uri);
    }

    /** This backend probed on {@code port} instead of its base URL. */
    public Backend withHealthPort(int port) {
        return new Backend(name, url, port);
    }

    /**
     * URL of this backend's health endpoint: base URL + path, or, with a health port,
     * {@code http://host:healthPort} + path, plain HTTP whatever the base URL's scheme (a health listener of its own;
     * the base URL's path is not used there).
     */
    public URI healthUri(String healthPath) {
        if (healthPort > 0) {
            return URI.create("http://" + url.getHost() + ":" + healthPort + healthPath);
        }
        return URI.create(url + healthPath);
    }
}
