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
                        : "Invalid parameter (type validation; errors lists each parameter)");
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
                                + "(database-unavailable); retry after Retry-After seconds, through the edge"
                        : "The database cannot take the request now: this site is not the writer or has no "
                                + "valid write lease (write-unavailable), the database is down (database-unavailable), "
                                + "or the write committed here but its synchronous standby's confirmation was cancelled "
                                + "(write-unconfirmed: not acknowledged); retry with the same Idempotency-Key after "
                                + "Retry-After seconds, through the edge");
                problems.forEach((code, why) -> add(op, code, why));
                if (method == PathItem.HttpMethod.GET) {
                    for (String served : new String[] {"200", "404"}) {
                        ApiResponse r = op.getResponses().get(served);
                        if (r != null) {
                            readHeaders(r);
                        }
                    }
                }
            }));
        };
    }

    /** What every read this site served says about who served it (docs/design.md rule 8). */
    private static void readHeaders(ApiResponse r) {
        r.addHeaderObject(ReadFence.SITE_HEADER, new Header().description("The site that served the read")
                .schema(new StringSchema()));
        r.addHeaderObject(ReadFence.ROLE_HEADER, new Header()
                .description("writer: this site holds the write lease; standby: a standby within its staleness bound")
                .schema(new StringSchema()._enum(List.of("writer", "standby"))));
        r.addHeaderObject(ReadFence.STALENESS_HEADER, new Header()
                .description("An upper bound, in milliseconds, of how stale the data may be: 0 on the writer; on a standby "
                        + "the time since the last transaction it replayed was committed (every write acknowledged "
                        + "before that is included); never above twincloud.api.reads.max-staleness")
                .schema(new IntegerSchema().format("int64").minimum(java.math.BigDecimal.ZERO)));
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
