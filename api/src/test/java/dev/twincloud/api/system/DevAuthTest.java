package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;

import dev.twincloud.api.ApiApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.security.oauth2.jwt.Jwt;

/**
 * Without JWT configuration the API starts only when dev mode is declared ({@code twincloud.api.dev-auth=true};
 * embedded mode declares it). The refusal with the real application class (the database URL points at a port
 * where nothing listens: the API starts with its database down, so none is needed); dev mode itself without a
 * context (a whole start-up costs ~30 s on the CI machine, too much for what it would add).
 */
@ExtendWith(OutputCaptureExtension.class)
class DevAuthTest {

    private static final String[] BASE = {
            "--server.port=0",
            "--twincloud.embedded-postgres.enabled=false",
            "--spring.datasource.url=jdbc:postgresql://127.0.0.1:31001/none",
            "--twincloud.api.data-dir=target/test-data/dev-auth",
            "--spring.flyway.enabled=false", // nothing to migrate: spares the pool's wait for the absent database
            "--logging.level.root=warn"};

    private static String[] args(String... more) {
        String[] all = java.util.Arrays.copyOf(BASE, BASE.length + more.length);
        System.arraycopy(more, 0, all, BASE.length, more.length);
        return all;
    }

    @Test
    void withoutJwtConfigurationOrDevAuth_theApiRefusesToStart_namingThePropertiesToSet(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplication(ApiApplication.class).run(args()))
                .rootCause()
                .isInstanceOf(DevJwtConfig.NoJwtConfiguration.class)
                .hasMessageContaining("spring.security.oauth2.resourceserver.jwt.jwk-set-uri")
                .hasMessageContaining("twincloud.api.dev-auth=true");
        // what an operator reads: Spring Boot's failure report, not a stack trace
        assertThat(output.getOut() + output.getErr())
                .contains("APPLICATION FAILED TO START")
                .contains("The API refuses to start: no JWT configuration is given")
                .contains("spring.security.oauth2.resourceserver.jwt.jwk-set-uri");
    }

    @Test
    void withDevAuthDeclared_devModeSignsTokensItsOwnDecoderAccepts(@TempDir Path dir) throws Exception {
        DevJwtConfig dev = new DevJwtConfig(dir, true);

        Jwt token = dev.devJwtDecoder().decode(dev.sign(Instant.now()));

        assertThat(token.getSubject()).isEqualTo("dev");
        assertThat(dir.resolve("jwt-public.pem")).exists();
        assertThatThrownBy(() -> new DevJwtConfig(dir, false)).isInstanceOf(DevJwtConfig.NoJwtConfiguration.class);
    }
}
