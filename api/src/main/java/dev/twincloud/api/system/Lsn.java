package dev.twincloud.api.system;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PostgreSQL WAL position ({@code pg_lsn}), as in its text form {@code 0/3000148}: two hexadecimal
 * halves of one unsigned 64-bit number. Compared as unsigned numbers; comparisons only mean something
 * within one server's WAL history (docs/adr/0016-read-local-active-active.md).
 */
public record Lsn(long value) implements Comparable<Lsn> {

    private static final Pattern TEXT = Pattern.compile("([0-9A-Fa-f]{1,8})/([0-9A-Fa-f]{1,8})");

    /** The position in {@code text}; throws {@link IllegalArgumentException} when it is not a pg_lsn. */
    public static Lsn parse(String text) {
        Matcher m = text == null ? null : TEXT.matcher(text.strip());
        if (m == null || !m.matches()) {
            throw new IllegalArgumentException("must be a PostgreSQL LSN like 0/3000148");
        }
        return new Lsn(Long.parseLong(m.group(1), 16) << 32 | Long.parseLong(m.group(2), 16));
    }

    /** {@code text} as an LSN, or null when it is null (a SQL NULL pg_lsn). */
    public static Lsn ofNullable(String text) {
        return text == null ? null : parse(text);
    }

    /** The larger of the two; a null is smaller than any position. */
    public static Lsn max(Lsn a, Lsn b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) >= 0 ? a : b;
    }

    public boolean atLeast(Lsn other) {
        return other == null || compareTo(other) >= 0;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%X/%X", value >>> 32, value & 0xFFFFFFFFL);
    }
}
