package dev.twincloud.api.system;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/** Prints the refusal of {@link DevJwtConfig} (no JWT configuration, no dev mode) as a description and action, not a stack trace. */
@Order(Ordered.HIGHEST_PRECEDENCE)
class NoJwtConfigurationAnalyzer extends AbstractFailureAnalyzer<DevJwtConfig.NoJwtConfiguration> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, DevJwtConfig.NoJwtConfiguration cause) {
        return new FailureAnalysis("The API refuses to start: no JWT configuration is given and dev mode is not declared.",
                cause.getMessage(), cause);
    }
}
