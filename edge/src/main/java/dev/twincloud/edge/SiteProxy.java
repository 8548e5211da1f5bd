package dev.twincloud.edge;

import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;

/**
 * Jetty's reverse proxy, pointed per request at the backend {@link EdgeHandler} chose. The choice is
 * made before the proxy runs (so "no backend" becomes a 503 problem, not a proxy error) and handed
 * over in a request attribute. Jetty copies method, headers (Authorization included; hop-by-hop ones
 * dropped), and streams bodies both ways; it adds {@code Via} and {@code Forwarded}.
 */
final class SiteProxy extends ProxyHandler.Reverse {

    static final String BACKEND_ATTRIBUTE = SiteProxy.class.getName() + ".backend";

    SiteProxy() {
        super(SiteProxy::target);
    }

    private static HttpURI target(Request request) {
        Backend backend = (Backend) request.getAttribute(BACKEND_ATTRIBUTE);
        HttpURI in = request.getHttpURI();
        // Raw (still percent-encoded) path and query, so the backend sees exactly what the client sent.
        StringBuilder uri = new StringBuilder(backend.url().toString());
        String path = in.getPath();
        uri.append(path == null || path.isEmpty() ? "/" : path);
        if (in.getQuery() != null) {
            uri.append('?').append(in.getQuery());
        }
        return HttpURI.from(uri.toString());
    }
}
