package dev.twincloud.pgctl;

/** Base of every failure pgctl reports; the message is written for the human reading the test or lab log. */
public class PgException extends RuntimeException {
    public PgException(String message) {
        super(message);
    }

    public PgException(String message, Throwable cause) {
        super(message, cause);
    }
}
