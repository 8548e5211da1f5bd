package dev.twincloud.lab.logs;

import dev.twincloud.core.log.RequestId;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the lines the lab's components write (docs/logging.md, "Formats"): JSON in the Logstash shape (the Spring Boot
 * apps and the edge), PostgreSQL's {@code jsonlog}, and plain text — the text lines of a component not yet switched to
 * JSON, a JVM's own messages, PostgreSQL's lines from before its logging collector started. A line without a time of
 * its own (a stack frame, a JVM message) continues the line before it.
 */
public final class LogParser {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** PostgreSQL's jsonlog and stderr times: {@code 2026-11-30 11:34:13.123 UTC} (log_timezone UTC in the lab). */
    private static final Pattern PG_TIME = Pattern.compile("(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?) (UTC|GMT|[+-]\\d{2}(?::?\\d{2})?)");
    private static final DateTimeFormatter PG_LOCAL = new java.time.format.DateTimeFormatterBuilder().appendPattern("yyyy-MM-dd HH:mm:ss")
            .optionalStart().appendFraction(java.time.temporal.ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd().toFormatter();
    /** A text line that starts with an ISO time (Spring Boot's and the edge's text formats, slf4j-simple's). */
    private static final Pattern TEXT_TIME = Pattern.compile("^(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?(?:Z|[+-]\\d{2}:?\\d{2}))\\s+(.*)$");
    private static final Pattern TEXT_LEVEL = Pattern.compile("\\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|LOG)\\b:?");

    private final String component;
    private final String site;

    /** For the lines of one file of the component named {@code component} ({@code gcp-api}; its site is its prefix). */
    public LogParser(String component) {
        this.component = component;
        int dash = component.indexOf('-');
        this.site = dash > 0 && (component.startsWith("gcp-") || component.startsWith("aws-")) ? component.substring(0, dash) : null;
    }

    /** The lab's component name of a log file: {@code gcp-api.log} → {@code gcp-api}, {@code gcp-postgres.json} → {@code gcp-postgres}. */
    public static String componentOf(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 ? fileName.substring(0, dot) : fileName;
    }

    /** One line; {@code previous} is the line before it in the same file (for continuations), or null. */
    public Optional<LogLine> parse(String line, LogLine previous) {
        String t = line.strip();
        if (t.isEmpty()) {
            return Optional.empty();
        }
        if (t.startsWith("{")) {
            try {
                JsonNode json = JSON.readTree(t);
                if (json.has("@timestamp")) {
                    return Optional.of(logstash(json));
                }
                if (json.has("error_severity") && json.has("timestamp")) {
                    return Optional.of(postgres(json));
                }
            } catch (JacksonException | DateTimeParseException notOurs) {
                // a line that only looks like JSON: plain text below
            }
        }
        return text(t, previous);
    }

    private LogLine logstash(JsonNode j) {
        Instant time = OffsetDateTime.parse(j.path("@timestamp").asString()).toInstant();
        String s = j.hasNonNull("site") && !j.path("site").asString().isBlank() ? j.path("site").asString() : site;
        String message = j.path("message").asString("");
        if (j.hasNonNull("stack_trace")) {
            message += " | " + j.path("stack_trace").asString().lines().findFirst().orElse("");
        }
        Long epoch = null;
        if (j.hasNonNull("epoch")) {
            try {
                epoch = Long.parseLong(j.path("epoch").asString());
            } catch (NumberFormatException ignored) {
                // not an epoch: left out
            }
        }
        LogLine.Level level = LogLine.Level.of(j.path("level").asString(null));
        return new LogLine(time, component, s, level == null ? LogLine.Level.INFO : level,
                j.hasNonNull(RequestId.LOG_FIELD) ? j.path(RequestId.LOG_FIELD).asString() : null, epoch, message);
    }

    private LogLine postgres(JsonNode j) {
        Instant time = pgTime(j.path("timestamp").asString()).orElseThrow(() -> new DateTimeParseException("not a PostgreSQL time",
                j.path("timestamp").asString(), 0));
        LogLine.Level level = LogLine.Level.of(j.path("error_severity").asString(null));
        StringBuilder message = new StringBuilder();
        if (j.hasNonNull("state_code") && !"00000".equals(j.path("state_code").asString())) {
            message.append(j.path("state_code").asString()).append(' ');
        }
        message.append(j.path("message").asString(""));
        if (j.hasNonNull("statement")) {
            message.append(" | statement: ").append(j.path("statement").asString());
        }
        String requestId = RequestId.fromApplicationName(j.path("application_name").asString(null)).orElse(null);
        return new LogLine(time, component, site, level == null ? LogLine.Level.INFO : level, requestId, null, message.toString());
    }

    private Optional<LogLine> text(String t, LogLine previous) {
        Matcher iso = TEXT_TIME.matcher(t);
        Optional<Instant> time = Optional.empty();
        String rest = t;
        if (iso.matches()) {
            try {
                time = Optional.of(OffsetDateTime.parse(iso.group(1).replaceFirst("([+-]\\d{2})(\\d{2})$", "$1:$2")).toInstant());
                rest = iso.group(2);
            } catch (DateTimeParseException ignored) {
                // not a time after all
            }
        } else {
            Matcher pg = PG_TIME.matcher(t);
            if (pg.lookingAt()) {
                time = pgTime(pg.group());
                rest = t.substring(pg.end()).strip();
            }
        }
        if (time.isEmpty()) {
            return previous == null ? Optional.empty() : Optional.of(previous.continuedBy(t));
        }
        Matcher lvl = TEXT_LEVEL.matcher(rest);
        LogLine.Level level = lvl.find() ? LogLine.Level.of(lvl.group(1)) : null;
        return Optional.of(new LogLine(time.get(), component, site, level == null ? LogLine.Level.INFO : level, null, null, rest));
    }

    static Optional<Instant> pgTime(String text) {
        Matcher m = PG_TIME.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            LocalDateTime local = LocalDateTime.parse(m.group(1), PG_LOCAL);
            String zone = m.group(2);
            ZoneOffset offset = zone.equals("UTC") || zone.equals("GMT") ? ZoneOffset.UTC : ZoneOffset.of(zone.length() == 3 ? zone + ":00" : zone);
            return Optional.of(local.toInstant(offset));
        } catch (java.time.DateTimeException e) {
            return Optional.empty();
        }
    }
}
