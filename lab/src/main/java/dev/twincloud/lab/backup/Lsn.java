package dev.twincloud.lab.backup;

/** PostgreSQL's {@code X/Y} WAL positions, and the WAL segments they fall in (16 MB segments). */
public final class Lsn {
    static final long SEGMENT = 16L * 1024 * 1024;

    private Lsn() {
    }

    /** {@code 0/802E208} → its 64-bit value; anything else is an {@link IllegalArgumentException} naming the form. */
    public static long parse(String s) {
        String[] parts = s.trim().split("/");
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            return (Long.parseUnsignedLong(parts[0], 16) << 32) | Long.parseUnsignedLong(parts[1], 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a WAL position: write it as PostgreSQL does, e.g. 0/3000060");
        }
    }

    public static String format(long lsn) {
        return Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xFFFFFFFFL).toUpperCase();
    }

    /** The first LSN after WAL segment file {@code name} (24 hex digits: timeline, log, segment). */
    static long endOfSegment(String name) {
        if (name == null || name.length() < 24) {
            throw new IllegalArgumentException("not a WAL segment name: " + name);
        }
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        return (log * 0x100000000L / SEGMENT + seg + 1) * SEGMENT;
    }
}
