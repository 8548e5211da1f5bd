package dev.twincloud.lab.logs;

import java.time.Instant;

/**
 * One line of one component's log, as {@code lab logs} reads it.
 *
 * @param time      when it was written (UTC)
 * @param component the lab's name for the component: {@code arbiter}, {@code edge}, {@code gcp-agent}, {@code gcp-api},
 *                  {@code gcp-postgres}, {@code lab}, ...
 * @param site      the site it belongs to, or null (the arbiter, the edge)
 * @param level     TRACE, DEBUG, INFO, WARN or ERROR (PostgreSQL's severities mapped onto these)
 * @param requestId the request it was written for, or null
 * @param epoch     the epoch it was written under, or null
 * @param message   the message, with the first line of a stack trace or PostgreSQL's statement appended
 */
public record LogLine(Instant time, String component, String site, Level level, String requestId, Long epoch, String message) {

    public enum Level {
        TRACE, DEBUG, INFO, WARN, ERROR;

        /** Logback/Log4j names and PostgreSQL's severities; null when unknown. */
        static Level of(String name) {
            if (name == null) {
                return null;
            }
            return switch (name.trim().toUpperCase(java.util.Locale.ROOT)) {
                case "TRACE" -> TRACE;
                case "DEBUG", "DEBUG1", "DEBUG2", "DEBUG3", "DEBUG4", "DEBUG5", "FINE", "FINER", "FINEST" -> DEBUG;
                case "INFO", "LOG", "NOTICE", "STATEMENT" -> INFO;
                case "WARN", "WARNING" -> WARN;
                case "ERROR", "FATAL", "PANIC", "SEVERE" -> ERROR;
                default -> null;
            };
        }
    }

    /** The component's kind without its site: {@code api} for {@code gcp-api}. */
    public String kind() {
        return site != null && component.startsWith(site + "-") ? component.substring(site.length() + 1) : component;
    }

    /** A line that continues this one (a stack trace's next frame, a plain line): same time, component and request. */
    LogLine continuedBy(String text) {
        return new LogLine(time, component, site, level, requestId, epoch, text);
    }
}
