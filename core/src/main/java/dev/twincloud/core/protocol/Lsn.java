package dev.twincloud.core.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * A PostgreSQL write-ahead log position. Kept as an unsigned 64-bit value; PostgreSQL prints it as
 * {@code X/Y} (high and low 32 bits in hex).
 */
public record Lsn(long value) implements Comparable<Lsn> {
    public static final Lsn ZERO = new Lsn(0);
    /** PostgreSQL's own form: 1 to 8 hex digits on each side of the slash (no sign, no space). */
    private static final java.util.regex.Pattern TEXT = java.util.regex.Pattern.compile("[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}");

    @JsonCreator
    public static Lsn parse(String text) {
        if (text == null) {
            return ZERO;
        }
        int slash = text.indexOf('/');
        if (!TEXT.matcher(text).matches()) {
            throw new IllegalArgumentException("not an LSN: '" + text + "' (expected X/Y in hex)");
        }
        try {
            long hi = Long.parseLong(text.substring(0, slash), 16);
            long lo = Long.parseLong(text.substring(slash + 1), 16);
            if (hi > 0xFFFFFFFFL || lo > 0xFFFFFFFFL) {
                throw new IllegalArgumentException("not an LSN: '" + text + "'");
            }
            return new Lsn((hi << 32) | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN: '" + text + "' (expected X/Y in hex)", e);
        }
    }

    /** Bytes from {@code other} up to this position; 0 when {@code other} is ahead. */
    public long bytesAfter(Lsn other) {
        return Long.compareUnsigned(value, other.value) > 0 ? value - other.value : 0;
    }

    public boolean isAtLeast(Lsn other) {
        return compareTo(other) >= 0;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @JsonValue
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
