package dev.twincloud.arbiter.service;

/** The arbiter refuses the request as things stand (the decider refused an operator call, or a heartbeat claims a future epoch); the message says why. */
public final class Refused extends RuntimeException {
    public Refused(String message) {
        super(message);
    }
}
