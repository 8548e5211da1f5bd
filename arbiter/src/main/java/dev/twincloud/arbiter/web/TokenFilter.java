package dev.twincloud.arbiter.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bearer-token authentication of {@code /v1/*}: the agent token may heartbeat and read the status,
 * the operator token may read the status and act (switchover, promote, mode, events, history), the
 * optional viewer token may only read ({@code GET} status, events and history: the status page). No
 * token or a wrong one: 401; the wrong role: 403; both as problem+json. Tokens are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, against all three every time (an unset viewer
 * token is a random digest nothing matches), so the time taken does not depend on how much of a
 * guess is right, its length, or which token it matched. Tokens are never logged.
 */
final class TokenFilter extends OncePerRequestFilter {

    enum Role { AGENT, OPERATOR, VIEWER }

    static final String ROLE_ATTRIBUTE = TokenFilter.class.getName() + ".role";
    private static final Logger log = LoggerFactory.getLogger(TokenFilter.class);
    private static final String PREFIX = "Bearer ";

    private final byte[] agentDigest;
    private final byte[] operatorDigest;
    private final byte[] viewerDigest;
    private final Problems problems;

    TokenFilter(String agentToken, String operatorToken, Optional<String> viewerToken, Problems problems) {
        this.agentDigest = digest(agentToken);
        this.operatorDigest = digest(operatorToken);
        this.viewerDigest = viewerToken.map(TokenFilter::digest).orElseGet(TokenFilter::unmatchable);
        this.problems = problems;
    }

    /** Which roles may call {@code method path}. */
    static Set<Role> allowed(String method, String path) {
        boolean read = "GET".equals(method) || "HEAD".equals(method);
        return switch (path) {
            case "/v1/heartbeat" -> Set.of(Role.AGENT);
            case "/v1/status" -> read ? Set.of(Role.AGENT, Role.OPERATOR, Role.VIEWER) : Set.of(Role.AGENT, Role.OPERATOR);
            case "/v1/events", "/v1/history" -> read ? Set.of(Role.OPERATOR, Role.VIEWER) : Set.of(Role.OPERATOR);
            default -> Set.of(Role.OPERATOR);
        };
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) {
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
            problems.write(request, response, HttpStatus.UNAUTHORIZED, "unauthenticated",
                    "This endpoint needs 'Authorization: Bearer <token>' (the agent or operator token).");
            return;
        }
        Optional<Role> role = roleOf(header.substring(PREFIX.length()).trim());
        if (role.isEmpty()) {
            log.debug("rejected a wrong token for {} {} from {}", request.getMethod(), path, request.getRemoteAddr());
            response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"");
            problems.write(request, response, HttpStatus.UNAUTHORIZED, "unauthenticated", "The bearer token is not valid.");
            return;
        }
        if (!allowed(request.getMethod(), path).contains(role.get())) {
            problems.write(request, response, HttpStatus.FORBIDDEN, "forbidden", switch (role.get()) {
                case AGENT -> "The agent token may only send heartbeats and read the status; this needs the operator token.";
                case VIEWER -> "The viewer token may only read (GET /v1/status, /v1/events, /v1/history); this needs the "
                        + "operator token.";
                case OPERATOR -> "Only agents send heartbeats; the operator token may not.";
            });
            return;
        }
        request.setAttribute(ROLE_ATTRIBUTE, role.get());
        chain.doFilter(request, response);
    }

    Optional<Role> roleOf(String presented) {
        byte[] d = digest(presented);
        boolean agent = MessageDigest.isEqual(d, agentDigest);
        boolean operator = MessageDigest.isEqual(d, operatorDigest);
        boolean viewer = MessageDigest.isEqual(d, viewerDigest);
        return agent ? Optional.of(Role.AGENT) : operator ? Optional.of(Role.OPERATOR)
                : viewer ? Optional.of(Role.VIEWER) : Optional.empty();
    }

    /** A digest no token has (random): the viewer's when none is configured. */
    private static byte[] unmatchable() {
        byte[] b = new byte[32];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
