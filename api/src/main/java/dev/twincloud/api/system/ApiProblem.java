package dev.twincloud.api.system;

import java.net.URI;
import java.util.List;

import org.springframework.http.HttpStatus;

/**
 * A request the API refuses with a 4xx problem, or a 503 when this site may not serve it now. Thrown by the features, rendered by {@link ProblemHandler}.
 */
public final class ApiProblem extends RuntimeException {

    public static final String TYPE_BASE = "https://twincloud.dev/problems/";

    private final HttpStatus status;
    private final String type;
    private final List<FieldError> errors;
    private final boolean forwardable;

    private ApiProblem(HttpStatus status, String type, String detail, List<FieldError> errors) {
        this(status, type, detail, errors, false);
    }

    private ApiProblem(HttpStatus status, String type, String detail, List<FieldError> errors, boolean forwardable) {
        super(detail, null, false, false);
        this.status = status;
        this.type = type;
        this.errors = List.copyOf(errors);
        this.forwardable = forwardable;
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(HttpStatus.NOT_FOUND, "not-found", detail, List.of());
    }

    public static ApiProblem invalid(List<FieldError> errors) {
        return new ApiProblem(HttpStatus.BAD_REQUEST, "validation", "The request has invalid fields.", errors);
    }

    public static ApiProblem invalid(String field, String message) {
        return invalid(List.of(new FieldError(field, message)));
    }

    public static ApiProblem idempotencyKeyReused() {
        return new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused",
                "This Idempotency-Key was already used with a different request.", List.of());
    }

    /** 403: the token is valid but cannot do this (e.g. a write whose token names no subject). */
    public static ApiProblem forbidden(String type, String detail) {
        return new ApiProblem(HttpStatus.FORBIDDEN, type, detail, List.of());
    }

    /** 503 with {@code Retry-After}: this site cannot serve the request now (e.g. a read outside the fence). */
    public static ApiProblem unavailable(String type, String detail) {
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, type, detail, List.of());
    }

    /**
     * 503: this site cannot serve the read now, but the other site may — it is forwarded there when
     * {@code twincloud.api.forward.peer-url} is set ({@link Forwarding}), else answered as {@link #unavailable}.
     */
    public static ApiProblem unavailableHere(String type, String detail) {
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, type, detail, List.of(), true);
    }

    /** Whether the peer site may serve this request instead ({@link #unavailableHere}). */
    public boolean forwardable() {
        return forwardable;
    }

    public HttpStatus status() {
        return status;
    }

    public URI type() {
        return URI.create(TYPE_BASE + type);
    }

    public List<FieldError> errors() {
        return errors;
    }
}
