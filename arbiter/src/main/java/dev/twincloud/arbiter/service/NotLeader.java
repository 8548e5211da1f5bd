package dev.twincloud.arbiter.service;

/** This arbiter replica is not the elected one (or no longer is): it decides, stores and answers nothing. */
public final class NotLeader extends RuntimeException {
    public NotLeader(String message) {
        super(message);
    }
}
