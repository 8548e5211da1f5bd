package dev.twincloud.api.system;

import java.util.Optional;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Answers a {@code /v1} request 503 {@code database-unavailable} at once, without waiting for a pooled
 * connection, while {@link WriterHealth#databaseRefusing()} says the database turns connections away
 * (down, shutting down, starting up). During a switchover the old writer's server stops and comes back
 * as a standby; a request that reached its API in that window used to wait in the pool until the server
 * was back (about 300 ms in the lab), and only then got its 503 — the longest part of the clients' write
 * gap (docs/benchmarks.md). Refusing is always safe (nothing is written); the client's retry, through the
 * edge, finds the new writer. A read is forwarded to the other site when forwarding is on
 * ({@link ApiProblem#unavailableHere}): in a switchover its target serves the old writer's users on its read
 * lease. Runs after authentication (a request without a valid token still gets 401).
 */
@Configuration(proxyBeanMethods = false)
class DatabaseRefusalGate implements HandlerInterceptor, WebMvcConfigurer {

    private final WriterHealth health;

    DatabaseRefusalGate(WriterHealth health) {
        this.health = health;
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(this).addPathPatterns("/v1/**");
    }

    @Override
    public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
        Optional<String> refusing = health.databaseRefusing();
        if (refusing.isPresent()) {
            // the cause (host, port, server message) is in the writer-health log line, not in the answer
            String detail = "The database is not taking connections right now. Retry shortly.";
            // a read may be served by the other site (forwarded when forwarding is on: its own fence decides)
            throw "GET".equals(request.getMethod())
                    ? ApiProblem.unavailableHere("database-unavailable", detail)
                    : ApiProblem.unavailable("database-unavailable", detail);
        }
        return true;
    }
}
