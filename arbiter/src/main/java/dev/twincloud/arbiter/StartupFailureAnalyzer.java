package dev.twincloud.arbiter;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/** Prints a {@link StartupRefused} as a plain description and action instead of a stack trace. */
@Order(Ordered.HIGHEST_PRECEDENCE)
class StartupFailureAnalyzer extends AbstractFailureAnalyzer<StartupRefused> {

    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, StartupRefused cause) {
        return new FailureAnalysis("The arbiter refuses to start: " + cause.getMessage(), cause.action(), cause);
    }
}
