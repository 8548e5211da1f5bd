package dev.twincloud.edge;

import dev.twincloud.core.log.RequestId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.proxy.ProxyHandler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * Jetty's reverse proxy, pointed per request at the backend {@link EdgeHandler} chose. The choice is
 * made before the proxy runs (so "no backend" becomes a 503 problem, not a proxy error) and handed
 * over in a request attribute. Jetty copies method, headers (Authorization included; hop-by-hop ones
 * dropped), and streams bodies both ways; it adds {@code Via} and {@code Forwarded}. When the site fails
 * before its response started, the edge answers 502 (504 on a timeout) itself, marked
 * {@code Twincloud-Edge}, as a problem. The request's {@link RequestId} (chosen by {@link EdgeHandler}) replaces
 * whatever {@value RequestId#HEADER} the client sent, and the site's copy of it in the answer is dropped: the edge has
 * already set it.
 */
final class SiteProxy extends ProxyHandler.Reverse {

    static final String BACKEND_ATTRIBUTE = SiteProxy.class.getName() + ".backend";

    /** Trust for the {@code https://} backends (the edge's {@code --backend-ca}). */
    private final SslContextFactory.Client tls;

    SiteProxy(SslContextFactory.Client tls) {
        super(SiteProxy::target);
        this.tls = tls;
    }

    @Override
    protected HttpClient newHttpClient() {
        HttpClient client = super.newHttpClient();
        client.setSslContextFactory(tls);
        return client;
    }

    @Override
    protected void addProxyHeaders(Request clientToProxyRequest, org.eclipse.jetty.client.Request proxyToServerRequest) {
        super.addProxyHeaders(clientToProxyRequest, proxyToServerRequest);
        String requestId = (String) clientToProxyRequest.getAttribute(EdgeHandler.REQUEST_ID_ATTRIBUTE);
        proxyToServerRequest.headers(h -> h.put(RequestId.HEADER, requestId));
    }

    @Override
    protected HttpField filterServerToProxyResponseField(HttpField field) {
        return field.is(RequestId.HEADER) ? null : super.filterServerToProxyResponseField(field);
    }

    @Override
    protected void onServerToProxyResponseFailure(Request clientToProxyRequest,
                                                  org.eclipse.jetty.client.Request proxyToServerRequest,
                                                  org.eclipse.jetty.client.Response serverToProxyResponse,
                                                  Response proxyToClientResponse, Callback proxyToClientCallback,
                                                  Throwable failure) {
        if (proxyToClientResponse.isCommitted()) {
            super.onServerToProxyResponseFailure(clientToProxyRequest, proxyToServerRequest, serverToProxyResponse,
                    proxyToClientResponse, proxyToClientCallback, failure);
            return;
        }
        boolean timeout = failure instanceof TimeoutException || failure.getCause() instanceof TimeoutException;
        int status = timeout ? 504 : 502;
        String site = proxyToClientResponse.getHeaders().get(EdgeHandler.SITE_HEADER);
        proxyToClientResponse.reset();
        proxyToClientResponse.setStatus(status);
        if (site != null) {
            proxyToClientResponse.getHeaders().put(EdgeHandler.SITE_HEADER, site);
        }
        proxyToClientResponse.getHeaders().put(EdgeHandler.EDGE_HEADER, timeout ? "gateway-timeout" : "bad-gateway");
        String requestId = (String) clientToProxyRequest.getAttribute(EdgeHandler.REQUEST_ID_ATTRIBUTE);
        proxyToClientResponse.getHeaders().put(RequestId.HEADER, requestId);
        byte[] body = ("{\"title\":\"" + (timeout ? "Gateway timeout" : "Bad gateway") + "\",\"status\":" + status
                + ",\"detail\":" + Json.quote("the site failed before answering: " + failure.getClass().getSimpleName())
                + ",\"" + RequestId.PROBLEM_MEMBER + "\":" + Json.quote(requestId) + "}").getBytes(StandardCharsets.UTF_8);
        proxyToClientResponse.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        proxyToClientResponse.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
        proxyToClientResponse.write(true, ByteBuffer.wrap(body), proxyToClientCallback);
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
