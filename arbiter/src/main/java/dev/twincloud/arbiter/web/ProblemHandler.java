package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.BadRequest;
import dev.twincloud.arbiter.service.NotLeader;
import dev.twincloud.arbiter.service.Refused;
import dev.twincloud.arbiter.service.StateNotStored;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Every failure as an RFC 9457 problem: bad input 400 (with what was wrong), refused operator
 * requests 409 (with the decider's reason), an unstored state 503, a replica that is not the elected
 * arbiter 503 (naming the leader), Spring MVC's own 4xx as they are.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

    @ExceptionHandler(BadRequest.class)
    ResponseEntity<Object> badRequest(BadRequest e, WebRequest request) {
        return problem(HttpStatus.BAD_REQUEST, "bad-request", e.getMessage(), new HttpHeaders(), request);
    }

    @ExceptionHandler(Refused.class)
    ResponseEntity<Object> refused(Refused e, WebRequest request) {
        return problem(HttpStatus.CONFLICT, "refused", e.getMessage(), new HttpHeaders(), request);
    }

    @ExceptionHandler(StateNotStored.class)
    ResponseEntity<Object> notStored(StateNotStored e, WebRequest request) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "state-not-stored",
                "The arbiter could not store its state, so it gives no answer that depends on it: " + e.getMessage(),
                unavailable(), request);
    }

    @ExceptionHandler(NotLeader.class)
    ResponseEntity<Object> notLeader(NotLeader e, WebRequest request) {
        HttpHeaders headers = unavailable();
        // A new connection for the retry: behind a Service it may reach the replica that acts.
        headers.set(HttpHeaders.CONNECTION, "close");
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "not-leader",
                "This arbiter replica does not act now, ask again (requests belong to the elected replica): " + e.getMessage(),
                headers, request);
    }

    /** Headers of a 503: {@code Retry-After: 1}, the agent's next heartbeat is the retry. */
    private static HttpHeaders unavailable() {
        HttpHeaders headers = new HttpHeaders();
        headers.set(HttpHeaders.RETRY_AFTER, "1");
        return headers;
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<Object> unexpected(Exception e, WebRequest request) throws Exception {
        if (e instanceof org.springframework.web.ErrorResponse) {
            return handleException(e, request);
        }
        log.error("{} failed", request.getDescription(false), e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "internal", "Unexpected error; it has been logged.",
                new HttpHeaders(), request);
    }

    /** Malformed JSON, a missing or invalid field: say what (the parser's message, first line). */
    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e, HttpHeaders headers,
                                                                  HttpStatusCode status, WebRequest request) {
        return problem(HttpStatus.BAD_REQUEST, "malformed", "The request body is not valid: " + reason(e), headers, request);
    }

    private static String reason(Throwable e) {
        Throwable root = e;
        String message = e.getMessage();
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            if (root.getMessage() != null) {
                message = root.getMessage();
            }
        }
        if (root instanceof tools.jackson.core.JacksonException je && je.getOriginalMessage() != null) {
            message = je.getOriginalMessage();
        }
        if (message == null) {
            return "unreadable";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    private ResponseEntity<Object> problem(HttpStatus status, String type, String detail, HttpHeaders headers, WebRequest request) {
        ProblemDetail body = Problems.of(status, type, detail);
        return createResponseEntity(body, headers, status, request);
    }
}
