package dev.twincloud.api.system;

import java.util.List;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.servers.Server;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document at {@code /v3/api-docs}. Fixed server URL ("/") so the document does not
 * depend on the port, and can be compared with the checked-in docs/openapi.json.
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
}
