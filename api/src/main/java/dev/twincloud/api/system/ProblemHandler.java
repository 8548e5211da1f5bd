package dev.twincloud.api.system;

import java.net.URI;
import java.util.List;

import dev.twincloud.core.log.RequestId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.ServletRequestBindingException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.ServletWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;

/**
 * Turns every failure into an RFC 9457 problem: the features' {@link ApiProblem}s, Spring MVC's
 * own 4xx (malformed JSON, wrong types, missing headers, 404, 405, 415), oversize bodies (413), and
 * database failures (503 with {@code Retry-After: 1} when the database cannot take the write now). Every problem
 * carries the request's id ({@code requestId}, docs/logging.md).
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    private final DatabaseErrors databaseErrors;
    private final Forwarding forwarding;

    ProblemHandler(DatabaseErrors databaseErrors, Forwarding forwarding) {
        this.databaseErrors = databaseErrors;
        this.forwarding = forwarding;
    }

    /**
     * Sends the request to the peer site and relays its answer, when forwarding is on and the request
     * may go ({@link Forwarding#mayForward}); true when the response is written.
     */
    private boolean forwarded(WebRequest request, String why) throws java.io.IOException {
        if (request instanceof ServletWebRequest s && s.getResponse() != null && forwarding.mayForward(s.getRequest())) {
            log.info("{} {}: not served here ({}): forwarding", method(request), path(request), why);
            forwarding.relay(s.getRequest(), s.getResponse());
            return true;
        }
        return false;
    }

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<Object> apiProblem(ApiProblem e, WebRequest request) throws java.io.IOException {
        if (e.forwardable() && forwarded(request, e.type().toString())) {
            return null;
        }
        ProblemDetail body = ProblemDetail.forStatusAndDetail(e.status(), e.getMessage());
        body.setType(e.type());
        if (!e.errors().isEmpty()) {
            body.setProperty("errors", e.errors());
        }
        HttpHeaders headers = new HttpHeaders();
        if (e.status() == HttpStatus.SERVICE_UNAVAILABLE) {
            headers.set(HttpHeaders.RETRY_AFTER, "1");
            log.warn("{} {}: {}", method(request), path(request), e.getMessage());
        }
        return createResponseEntity(body, headers, e.status(), request);
    }

    /** Everything else: database failures by SQLSTATE, oversize bodies, and the unexpected (500). */
    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception e, WebRequest request) throws Exception {
        if (BodySizeLimitFilter.isTooLarge(e)) {
            return tooLarge(request);
        }
        var kind = databaseErrors.classify(e);
        if (kind.isPresent() && kind.get() != DatabaseErrors.Kind.OTHER) {
            boolean rejected = kind.get() == DatabaseErrors.Kind.WRITE_REJECTED;
            if (rejected && forwarded(request, "the database refused the write")) {
                return null;
            }
            log.warn("{} {}: database {}: {}", method(request), path(request),
                    rejected ? "refused the write" : "unavailable", rootMessage(e));
            ProblemDetail body = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, rejected
                    ? "This site cannot accept writes right now (read-only standby or no write lease). Retry shortly."
                    : "The database is unavailable. Retry shortly.");
            body.setType(URI.create(ApiProblem.TYPE_BASE + (rejected ? "write-unavailable" : "database-unavailable")));
            HttpHeaders headers = new HttpHeaders();
            headers.set(HttpHeaders.RETRY_AFTER, "1");
            return createResponseEntity(body, headers, HttpStatus.SERVICE_UNAVAILABLE, request);
        }
        if (e instanceof org.springframework.web.ErrorResponse) {
            // Spring MVC exceptions not covered by the base class (e.g. AsyncRequestNotUsable): keep their status.
            return handleException(e, request);
        }
        log.error("{} {} failed", method(request), path(request), e);
        ProblemDetail body = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "Unexpected error; it has been logged.");
        return createResponseEntity(body, new HttpHeaders(), HttpStatus.INTERNAL_SERVER_ERROR, request);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (BodySizeLimitFilter.isTooLarge(ex)) {
            return tooLarge(request);
        }
        ProblemDetail body = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, "The request body is not valid JSON for this endpoint.");
        body.setType(URI.create(ApiProblem.TYPE_BASE + "malformed-body"));
        for (Throwable t = ex; t != null; t = t.getCause()) {
            if (t instanceof JacksonException json && !json.getPath().isEmpty()) {
                body.setProperty("errors", List.of(new FieldError(jsonPath(json), json.getOriginalMessage())));
                break;
            }
        }
        return createResponseEntity(body, headers, HttpStatus.BAD_REQUEST, request);
    }

    @Override
    protected ResponseEntity<Object> handleTypeMismatch(TypeMismatchException ex, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        String field = ex.getPropertyName() == null ? "parameter" : ex.getPropertyName();
        String expected = ex.getRequiredType() == null ? "value" : ex.getRequiredType().getSimpleName();
        return invalid(field, "must be a valid " + expected, request);
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestParameter(MissingServletRequestParameterException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return invalid(ex.getParameterName(), "is required", request);
    }

    @Override
    protected ResponseEntity<Object> handleServletRequestBindingException(ServletRequestBindingException ex,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (ex instanceof MissingRequestHeaderException missing) {
            return invalid(missing.getHeaderName(), "header is required", request);
        }
        return super.handleServletRequestBindingException(ex, headers, status, request);
    }

    /** Every problem leaves through here: fill in {@code instance} and a type where Spring left none. */
    @Override
    protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode statusCode,
            WebRequest request) {
        if (body instanceof ProblemDetail problem) {
            if (problem.getInstance() == null) {
                problem.setInstance(URI.create(path(request)));
            }
            if (problem.getType() == null || "about:blank".equals(problem.getType().toString())) {
                problem.setType(URI.create(ApiProblem.TYPE_BASE + "http-" + statusCode.value()));
            }
            if (request instanceof NativeWebRequest n && n.getNativeRequest() instanceof jakarta.servlet.http.HttpServletRequest r
                    && RequestIdFilter.of(r) != null) {
                problem.setProperty(RequestId.PROBLEM_MEMBER, RequestIdFilter.of(r));
            }
        }
        return super.createResponseEntity(body, headers, statusCode, request);
    }

    private ResponseEntity<Object> invalid(String field, String message, WebRequest request) {
        try {
            return apiProblem(ApiProblem.invalid(field, message), request);
        } catch (java.io.IOException impossible) { // a 400 is never forwarded
            throw new java.io.UncheckedIOException(impossible);
        }
    }

    private ResponseEntity<Object> tooLarge(WebRequest request) {
        ProblemDetail body = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE,
                "The request body exceeds the configured limit (twincloud.api.limits.max-body-size).");
        body.setType(URI.create(ApiProblem.TYPE_BASE + "body-too-large"));
        return createResponseEntity(body, new HttpHeaders(), HttpStatus.CONTENT_TOO_LARGE, request);
    }

    private static String jsonPath(JacksonException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                path.append(path.isEmpty() ? "" : ".").append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }

    private static String method(WebRequest request) {
        return request instanceof ServletWebRequest s ? s.getRequest().getMethod() : "";
    }

    private static String path(WebRequest request) {
        return request instanceof NativeWebRequest n && n.getNativeRequest() instanceof jakarta.servlet.http.HttpServletRequest r
                ? r.getRequestURI() : "";
    }
}
