package dev.twincloud.arbiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/** The whole application refuses to start, with a clear message, when it cannot be safe. */
class StartupTest {

    @TempDir
    Path dir;

    ConfigurableApplicationContext run(String... args) {
        return new SpringApplicationBuilder(ArbiterApplication.class).web(WebApplicationType.NONE).run(args);
    }

    static Throwable refusal(Throwable e) {
        Throwable t = e;
        while (t != null && !(t instanceof StartupRefused)) {
            t = t.getCause();
        }
        assertThat(t).as("a StartupRefused in the cause chain of %s", e).isNotNull();
        return t;
    }

    @Test
    void refusesToStartWithoutTokens() {
        assertThatThrownBy(() -> run("--twincloud.arbiter.state-dir=" + dir, "--twincloud.arbiter.agent-token=",
                "--twincloud.arbiter.operator-token="))
                .satisfies(e -> assertThat(refusal(e)).hasMessageContaining("set TWINCLOUD_AGENT_TOKEN")
                        .hasMessageContaining("set TWINCLOUD_OPERATOR_TOKEN"));
    }

    @Test
    void refusesToStartOnACorruptStateFile() throws IOException {
        Files.writeString(dir.resolve("state.json"), "not json at all");
        assertThatThrownBy(() -> run("--twincloud.arbiter.state-dir=" + dir,
                "--twincloud.arbiter.agent-token=agent-token-0123456789",
                "--twincloud.arbiter.operator-token=operator-token-0123456789"))
                .satisfies(e -> assertThat(refusal(e)).hasMessageContaining("state.json is corrupt or unusable"));
        assertThat(Files.readString(dir.resolve("state.json"))).isEqualTo("not json at all");
    }
}
