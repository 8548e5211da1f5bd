package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The LSN a write answers with ({@code Twincloud-Lsn} and {@code "lsn"} in the body): read on the
 * write's own connection right after its COMMIT returned, so it is at or after the commit record
 * (docs/adr/0016-read-local-active-active.md). {@code pg_current_wal_insert_lsn()}: at or after
 * everything inserted so far, the commit record included, whatever {@code synchronous_commit} says.
 * A replay's COMMIT also comes after the original's, so its LSN is at or after the original write too.
 */
final class WriteLsn {

    private WriteLsn() {
    }

    /** The position, or null when it cannot be read (the answer then carries none: never a made-up one). */
    static Lsn afterCommit(Connection c) {
        try {
            // Spring restores autocommit after this; doing it first (no transaction is open after the COMMIT,
            // so no round trip) keeps the SELECT from opening a transaction that would need a COMMIT of its own
            c.setAutoCommit(true);
        } catch (SQLException e) {
            return null;
        }
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select pg_current_wal_insert_lsn()::text")) {
            rs.next();
            return Lsn.parse(rs.getString(1));
        } catch (SQLException | RuntimeException e) {
            return null;
        }
    }

    /** {@code body}, a JSON object, with member {@code "lsn"} added; unchanged when there is no LSN or no object. */
    static String inBody(String body, Lsn lsn) {
        if (lsn == null || body == null) {
            return body;
        }
        String trimmed = body.strip();
        if (!trimmed.startsWith("{") || !trimmed.endsWith("}")) {
            return body;
        }
        String inner = trimmed.substring(1, trimmed.length() - 1).strip();
        return "{" + inner + (inner.isEmpty() ? "" : ",") + "\"lsn\":\"" + lsn + "\"}";
    }
}
