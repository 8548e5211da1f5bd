package dev.twincloud.core.log;

import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The one request id of a client request (docs/adr/0009-one-request-id-x-request-id.md, docs/logging.md): the
 * {@value #HEADER} header, created by the edge when a request has none (or one it does not accept), passed to the API,
 * returned to the client, written in every log line about the request ({@value #LOG_FIELD}), in every problem body
 * ({@value #PROBLEM_MEMBER}) and, through {@code application_name}, in PostgreSQL's log.
 *
 * <p>An id a client sends is kept when it is 1 to {@value #MAX_LENGTH} characters of {@code A-Z a-z 0-9 . _ : -}: short
 * enough that {@code twincloud-api/<id>} fits PostgreSQL's 63-byte {@code application_name}, and nothing that could
 * forge a log line, a header or a SQL literal. Anything else is replaced by a new random UUID.
 */
public final class RequestId {

    public static final String HEADER = "X-Request-Id";
    /** The MDC key and JSON log field. */
    public static final String LOG_FIELD = "request_id";
    /** The problem+json extension member. */
    public static final String PROBLEM_MEMBER = "requestId";
    public static final int MAX_LENGTH = 48;
    /** What the API's connections carry in {@code application_name} while they serve a request: this, then the id. */
    public static final String APPLICATION_NAME_PREFIX = "twincloud-api/";

    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    private RequestId() {
    }

    /** The client's id when it is acceptable. */
    public static Optional<String> accept(String candidate) {
        return candidate != null && VALID.matcher(candidate).matches() ? Optional.of(candidate) : Optional.empty();
    }

    /** The client's id when acceptable, else a new one. */
    public static String acceptOrCreate(String candidate) {
        return accept(candidate).orElseGet(RequestId::create);
    }

    public static String create() {
        return UUID.randomUUID().toString();
    }

    /** The request id in an {@code application_name} the API set, if it is one. */
    public static Optional<String> fromApplicationName(String applicationName) {
        return applicationName != null && applicationName.startsWith(APPLICATION_NAME_PREFIX)
                ? accept(applicationName.substring(APPLICATION_NAME_PREFIX.length())) : Optional.empty();
    }
}
