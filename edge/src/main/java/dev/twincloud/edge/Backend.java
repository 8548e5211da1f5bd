package dev.twincloud.edge;

import java.net.URI;
import java.util.Objects;

/**
 * One site behind the edge: a name (shown to clients in {@code X-Twincloud-Site}) and its base URL.
 *
 * @param name site name, e.g. {@code gcp}
 * @param url  base URL without trailing slash, e.g. {@code http://127.0.0.1:8081}
 */
public record Backend(String name, URI url) {

    public Backend {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(url, "url");
        if (!name.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("backend name must match [A-Za-z0-9_.-]+: " + name);
        }
        if (!"http".equals(url.getScheme()) || url.getHost() == null || url.getPort() < 0) {
            throw new IllegalArgumentException("backend url must be http://host:port[/base]: " + url);
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

    /** Parses {@code name=http://host:port[/base]}, the form of the {@code --backend} flag. */
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

    /** URL of this backend's health endpoint. */
    public URI healthUri(String healthPath) {
        return URI.create(url + healthPath);
    }
}
