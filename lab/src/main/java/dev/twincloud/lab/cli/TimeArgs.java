package dev.twincloud.lab.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The CLI's time arguments: durations like {@code 500ms}, {@code 10s}, {@code 10m}, {@code 2h}, {@code 1d} (or ISO {@code PT10M}), and instants. */
final class TimeArgs {
    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    private TimeArgs() {
    }

    static Duration duration(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SHORT.matcher(t);
        if (m.matches()) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("duration too long: '" + text + "'");
            }
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        }
        try {
            return Duration.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("not a duration: '" + text + "' (e.g. 500ms, 30s, 10m, 2h, 1d)");
        }
    }

    /** {@code --since}: a duration back from {@code now} (10m), or an ISO instant (2026-11-28T12:00:00Z). */
    static Instant since(String text, Instant now) {
        try {
            return Instant.parse(text.trim());
        } catch (DateTimeParseException notAnInstant) {
            try {
                Duration d = duration(text);
                if (d.isNegative()) {
                    throw new IllegalArgumentException("--since must not be negative: '" + text + "'");
                }
                return now.minus(d);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--since takes a duration back from now (10m, 2h) or an ISO time "
                        + "(2026-11-28T12:00:00Z), got '" + text + "'");
            }
        }
    }
}
