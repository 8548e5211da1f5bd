package dev.twincloud.api.system;

import java.io.IOException;

import dev.twincloud.core.log.LogSafe;
import dev.twincloud.core.log.RequestId;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerMapping;

/**
 * The request id (docs/logging.md): the edge's {@value RequestId#HEADER} when acceptable, else a new one (a client
 * that calls the API directly); in the MDC ({@value RequestId#LOG_FIELD}) for every log line of the request and for
 * {@link RequestIdDataSource}, in the response header, in a request attribute for the problem bodies; and one access
 * line per request (method, route pattern or hashed path, status, time). The first filter: every answer carries it.
 */
class RequestIdFilter extends OncePerRequestFilter {

    static final String ATTRIBUTE = RequestIdFilter.class.getName() + ".requestId";
    private static final Logger log = LoggerFactory.getLogger(RequestIdFilter.class);

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String requestId = RequestId.acceptOrCreate(request.getHeader(RequestId.HEADER));
        request.setAttribute(ATTRIBUTE, requestId);
        response.setHeader(RequestId.HEADER, requestId);
        long started = System.nanoTime();
        MDC.put(RequestId.LOG_FIELD, requestId);
        try {
            chain.doFilter(request, response);
        } finally {
            access(request, response, started);
            MDC.remove(RequestId.LOG_FIELD);
        }
    }

    /** INFO for the API's own routes, DEBUG for actuator (scraped and probed all the time). */
    private static void access(HttpServletRequest request, HttpServletResponse response, long started) {
        String uri = request.getRequestURI();
        boolean actuator = uri.startsWith("/actuator");
        if (actuator ? !log.isDebugEnabled() : !log.isInfoEnabled()) {
            return;
        }
        Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        String path = pattern != null ? pattern.toString() : LogSafe.path(uri);
        String line = "{} {} {} in {} ms";
        Object[] args = {request.getMethod(), path, response.getStatus(), (System.nanoTime() - started) / 1_000_000};
        if (actuator) {
            log.debug(line, args);
        } else {
            log.info(line, args);
        }
    }

    /** The id of the request being served, for bodies written outside Spring MVC. */
    static String of(HttpServletRequest request) {
        Object id = request.getAttribute(ATTRIBUTE);
        return id == null ? null : id.toString();
    }
}
