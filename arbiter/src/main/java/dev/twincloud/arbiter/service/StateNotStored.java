package dev.twincloud.arbiter.service;

/**
 * The decision changed the durable state but it could not be stored: nothing was acted on and no
 * answer that depends on it is given (docs/design.md rule 3). The caller may retry.
 */
public final class StateNotStored extends RuntimeException {
    public StateNotStored(String message, Throwable cause) {
        super(message, cause);
    }
}
