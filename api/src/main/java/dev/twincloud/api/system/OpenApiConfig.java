package dev.twincloud.api.system;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.HeaderParameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document at {@code /v3/api-docs}. Fixed server URL ("/") so the document does not
 * depend on the port, and can be compared with the checked-in docs/openapi.json. Every operation
 * also lists the problem responses ({@code application/problem+json}, schema {@code Problem}) it can
 * give, from {@link ProblemHandler}, {@link BodySizeLimitFilter} and the security chain.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfig {

    @Bean
    OpenAPI twincloudOpenApi() {
        return new OpenAPI()
                .info(new Info().title("twincloud ECG recordings API").version("v1")
                        .description("Reference API of twincloud. Errors are RFC 9457 problem+json. "
                                + "GETs need scope ecg:read, POSTs ecg:write; every POST needs an Idempotency-Key header."))
                .servers(List.of(new Server().url("/")))
                .components(new Components().addSecuritySchemes("bearer",
                        new SecurityScheme().type(SecurityScheme.Type.HTTP).scheme("bearer").bearerFormat("JWT")))
                .addSecurityItem(new SecurityRequirement().addList("bearer"));
    }

    static final String PROBLEM = "Problem";

    /** The problem responses of every operation: the same for all, plus what only writes or only ids can get. */
    @Bean
    OpenApiCustomizer problemResponses() {
        return api -> {
            api.getComponents().addSchemas(PROBLEM, problemSchema());
            api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
                Map<String, String> problems = new LinkedHashMap<>();
                problems.put("400", method == PathItem.HttpMethod.POST
                        ? "Invalid body, header or parameter (type validation or malformed-body; errors lists each field)"
                        : "Invalid parameter or Twincloud-Min-Lsn header (type validation; errors lists each one)");
                problems.put("401", "No or an invalid bearer token");
                problems.put("403", "The token lacks the scope (ecg:read for GET, ecg:write for POST)");
                if (path.contains("{")) {
                    problems.put("404", "Not found (type not-found): no such recording, lead, annotation or patient");
                }
                if (method == PathItem.HttpMethod.POST) {
                    problems.put("413", "Body larger than the limit (type body-too-large)");
                    problems.put("422", "Idempotency-Key already used with a different body (type idempotency-key-reused)");
                }
                problems.put("503", method == PathItem.HttpMethod.GET
                        ? "This site may not serve reads now (docs/design.md rule 8): its database is a primary without a "
                                + "valid write lease (not-leased-writer), a standby that is not streaming (standby-not-streaming) "
                                + "or whose data may be staler than its bound (standby-too-stale), or the database is down "
                                + "(database-unavailable), or a standby that has not replayed up to the request's "
                                + "Twincloud-Min-Lsn within twincloud.api.reads.min-lsn-wait (min-lsn-not-replayed); with "
                                + "forwarding configured all but database-unavailable are forwarded to the other site "
                                + "instead, and a peer that does not answer is forward-unavailable; retry after Retry-After "
                                + "seconds, through the edge"
                        : "The database cannot take the request now: this site is not the writer or has no "
                                + "valid write lease (write-unavailable; forwarded to the other site instead when forwarding "
                                + "is configured, and forward-unavailable when that site does not answer), the database is "
                                + "down (database-unavailable), or the write committed here but its synchronous standby's "
                                + "confirmation was cancelled (write-unconfirmed: not acknowledged); retry with the same "
                                + "Idempotency-Key after Retry-After seconds, through the edge");
                problems.forEach((code, why) -> add(op, code, why));
                if (method == PathItem.HttpMethod.GET) {
                    for (String served : new String[] {"200", "404"}) {
                        ApiResponse r = op.getResponses().get(served);
                        if (r != null) {
                            readHeaders(r);
                        }
                    }
                    op.addParametersItem(new HeaderParameter().name(ReadYourWrites.MIN_LSN_HEADER).required(false)
                            .description("Read at least this WAL position (an earlier answer's Twincloud-Lsn); the cookie "
                                    + ReadYourWrites.COOKIE + " does the same, the larger wins. A standby waits up to "
                                    + "twincloud.api.reads.min-lsn-wait for replay, else the read goes to the writer")
                            .schema(new StringSchema().pattern(LSN_PATTERN).example("0/3000148")));
                }
                op.getResponses().forEach((code, r) -> {
                    if (code.startsWith("2")) {
                        positionHeaders(r);
                        if (method == PathItem.HttpMethod.POST) {
                            withLsnMember(r);
                        }
                    }
                });
            }));
        };
    }

    /** What every read this site served says about who served it (docs/design.md rule 8). */
    private static void readHeaders(ApiResponse r) {
        r.addHeaderObject(ReadFence.SITE_HEADER, new Header().description("The site that served the read")
                .schema(new StringSchema()));
        r.addHeaderObject(ReadFence.ROLE_HEADER, new Header()
                .description("writer: this site holds the write lease; standby: a standby on its read lease or within its "
                        + "staleness bound (Twincloud-Read-Basis)")
                .schema(new StringSchema()._enum(List.of("writer", "standby"))));
        r.addHeaderObject(ReadFence.STALENESS_HEADER, new Header()
                .description("An upper bound, in milliseconds, of how stale the data may be: 0 on the writer; on a standby "
                        + "the time since the last transaction it replayed was committed (every write acknowledged "
                        + "before that is included), or 0 on a read lease (every write acknowledged before the read "
                        + "began is included); never above twincloud.api.reads.max-staleness")
                .schema(new IntegerSchema().format("int64").minimum(java.math.BigDecimal.ZERO)));
        r.addHeaderObject(ReadFence.BASIS_HEADER, new Header()
                .description("On a standby's answer: read-lease (docs/design.md rule 10: the writer cannot acknowledge a "
                        + "write without this standby, and the read waited for what it has flushed) or staleness-bound")
                .schema(new StringSchema()._enum(List.of("read-lease", "staleness-bound"))));
    }

    static final String LSN_PATTERN = "^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$";

    /** What every successful answer says about the WAL position it reflects, and who relayed it (docs/api.md). */
    private static void positionHeaders(ApiResponse r) {
        r.addHeaderObject(ReadYourWrites.LSN_HEADER, new Header()
                .description("The WAL position (pg_lsn) the answer reflects: for a write, at or after its commit; for a "
                        + "read, what its snapshot includes. Send it back as Twincloud-Min-Lsn to read your writes")
                .schema(new StringSchema().pattern(LSN_PATTERN).example("0/3000148")));
        r.addHeaderObject("Set-Cookie", new Header()
                .description(ReadYourWrites.COOKIE + "=<the larger of Twincloud-Lsn and the request's minimum>; Path=/; "
                        + "HttpOnly; SameSite=Lax")
                .schema(new StringSchema()));
        r.addHeaderObject(Forwarding.FORWARDED_BY, new Header()
                .description("Present when this site did not serve the request itself but relayed the other site's "
                        + "answer: the relaying site's name")
                .schema(new StringSchema()));
    }

    /** A write's answer: the stored response plus member lsn (each answer's own, a replay's included). */
    private static void withLsnMember(ApiResponse r) {
        if (r.getContent() == null) {
            return;
        }
        r.getContent().values().forEach(media -> {
            Schema<?> stored = media.getSchema();
            if (stored == null) {
                return;
            }
            ObjectSchema lsn = new ObjectSchema();
            lsn.addProperty("lsn", new StringSchema().pattern(LSN_PATTERN)
                    .description("The same as the Twincloud-Lsn header"));
            media.setSchema(new Schema<>().allOf(List.of(stored, lsn)));
        });
    }

    private static void add(Operation op, String code, String why) {
        ApiResponse r = new ApiResponse().description(why).content(new Content().addMediaType("application/problem+json",
                new MediaType().schema(new Schema<>().$ref("#/components/schemas/" + PROBLEM))));
        if (code.equals("503")) {
            r.addHeaderObject("Retry-After", new Header().description("seconds").schema(new IntegerSchema()));
        }
        op.getResponses().putIfAbsent(code, r);
    }

    private static Schema<?> problemSchema() {
        ObjectSchema fieldError = new ObjectSchema();
        fieldError.addProperty("field", new StringSchema().description("JSON path of the body, or the parameter name"));
        fieldError.addProperty("message", new StringSchema());
        ObjectSchema problem = new ObjectSchema();
        problem.description("RFC 9457 problem details");
        problem.addProperty("type", new StringSchema().format("uri").example(ApiProblem.TYPE_BASE + "validation"));
        problem.addProperty("title", new StringSchema());
        problem.addProperty("status", new IntegerSchema());
        problem.addProperty("detail", new StringSchema());
        problem.addProperty("instance", new StringSchema().format("uri"));
        problem.addProperty("requestId", new StringSchema().description("the request's X-Request-Id, to find its log lines (docs/logging.md)"));
        problem.addProperty("errors", new ArraySchema().items(fieldError).description("present for invalid input"));
        return problem;
    }
}
