package dev.twincloud.arbiter;

/**
 * The arbiter will not start: a setting is missing or invalid, or its durable state cannot be
 * trusted. The message says what is wrong and what to do; {@link StartupFailureAnalyzer} prints it.
 */
public class StartupRefused extends RuntimeException {

    private final String action;

    public StartupRefused(String message, String action) {
        this(message, action, null);
    }

    public StartupRefused(String message, String action, Throwable cause) {
        super(message, cause);
        this.action = action;
    }

    public String action() {
        return action;
    }
}
