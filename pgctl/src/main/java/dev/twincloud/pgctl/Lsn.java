package dev.twincloud.pgctl;

/** A WAL position ({@code pg_lsn}, e.g. {@code 0/3000148}), comparable so that "how far behind" is a subtraction. */
public record Lsn(long value) implements Comparable<Lsn> {

    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("Not an LSN: " + text);
        }
        return new Lsn((Long.parseUnsignedLong(text.substring(0, slash), 16) << 32)
                | Long.parseUnsignedLong(text.substring(slash + 1), 16));
    }

    /** Null-tolerant parse for nullable SQL columns. */
    static Lsn parseOrNull(String text) {
        return text == null ? null : parse(text);
    }

    /** Bytes from {@code other} up to this position. */
    public long bytesAfter(Lsn other) {
        return value - other.value;
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
