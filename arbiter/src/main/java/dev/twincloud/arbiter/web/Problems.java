package dev.twincloud.arbiter.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

/** RFC 9457 problems: the {@code type} URIs of the arbiter, and writing one outside Spring MVC (the token filter). */
final class Problems {

    static final String TYPE_BASE = "https://twincloud.dev/problems/arbiter/";

    private final JsonMapper json;

    Problems(JsonMapper json) {
        this.json = json;
    }

    static ProblemDetail of(HttpStatus status, String type, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create(TYPE_BASE + type));
        return p;
    }

    void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String type, String detail)
            throws IOException {
        ProblemDetail p = of(status, type, detail);
        p.setInstance(URI.create(request.getRequestURI()));
        response.setStatus(status.value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        response.setCharacterEncoding("UTF-8");
        json.writeValue(response.getOutputStream(), p);
    }
}
