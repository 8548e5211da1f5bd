package dev.twincloud.pgctl;

/** The server did not come up; the message ends with the tail of its log. */
public class StartFailedException extends PgException {
    private final String logTail;

    public StartFailedException(String message, String logTail) {
        super(message + (logTail.isBlank() ? "" : "\n--- server log (tail) ---\n" + logTail));
        this.logTail = logTail;
    }

    public String logTail() {
        return logTail;
    }
}
