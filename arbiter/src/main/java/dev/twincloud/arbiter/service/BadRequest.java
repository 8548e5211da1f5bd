package dev.twincloud.arbiter.service;

/** A request the arbiter cannot take as it is (unknown site, missing field, ...); the message says why. */
public final class BadRequest extends RuntimeException {
    public BadRequest(String message) {
        super(message);
    }
}
