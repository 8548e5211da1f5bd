package dev.twincloud.agent.core;

import java.time.Duration;

/** The outcome of one reconcile step: done, try again later (waiting is a retry, not a sleep), or failed. */
public sealed interface StepResult {
    record Done(String detail) implements StepResult {
    }

    record Retry(Duration after, String waitingFor) implements StepResult {
    }

    record Failed(String reason) implements StepResult {
    }

    static StepResult done() {
        return new Done("");
    }

    static StepResult done(String detail) {
        return new Done(detail);
    }

    static StepResult retry(String waitingFor) {
        return new Retry(Duration.ZERO, waitingFor);
    }

    static StepResult failed(String reason) {
        return new Failed(reason);
    }
}
