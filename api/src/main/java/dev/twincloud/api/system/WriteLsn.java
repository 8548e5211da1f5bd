package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * The LSN a write answers with ({@code Twincloud-Lsn} and {@code "lsn"} in the body): read on the
 * write's own connection right after its COMMIT returned, in the same round trip as the COMMIT
 * ({@code Idempotency}), so it is at or after the commit record
 * (docs/adr/0016-read-local-active-active.md). {@code pg_current_wal_insert_lsn()}: at or after
 * everything inserted so far, the commit record included, whatever {@code synchronous_commit} says.
 * A replay's COMMIT also comes after the original's, so its LSN is at or after the original write too.
 */
final class WriteLsn {

    private WriteLsn() {
    }

    /** The position in {@code rs} (one row, one text column), or null when it cannot be read (never a made-up one). */
    static Lsn of(ResultSet rs) {
        try (rs) {
            return rs.next() ? Lsn.parse(rs.getString(1)) : null;
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
