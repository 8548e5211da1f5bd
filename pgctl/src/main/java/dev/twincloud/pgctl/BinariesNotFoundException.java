package dev.twincloud.pgctl;

/** No usable PostgreSQL server binaries, or a needed tool (e.g. pg_rewind) is not among them. */
public class BinariesNotFoundException extends PgException {
    public BinariesNotFoundException(String message) {
        super(message);
    }

    public BinariesNotFoundException(String message, Throwable cause) {
        super(message, cause);
    }
}
