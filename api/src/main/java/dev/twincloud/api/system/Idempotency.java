package dev.twincloud.api.system;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Exactly-once writes under retries: every POST carries an {@code Idempotency-Key}. The key row is
 * inserted with {@code ON CONFLICT DO NOTHING} in the same transaction as the write it protects,
 * so the database decides the race: of N concurrent requests with one key, one inserts the key and
 * writes; the others wait on the key's unique index until that transaction ends, then read the
 * stored response (same request hash) or get a 422 (different request).
 *
 * <p>A replay answers only after its own transaction committed a write of the key's row: in
 * synchronous mode that COMMIT waits for the synchronous standby up to a position after the original
 * write, so a replay never acknowledges a write a failover could still lose. On a site whose guard
 * refuses writes (no valid lease, or a standby) the replay's writes are refused, and it is a 503.
 * A write (first or replay) whose COMMIT's wait for the synchronous standby was cancelled (PostgreSQL
 * then keeps the local commit and only warns) is not acknowledged either: 503 {@code write-unconfirmed},
 * and the client's retry is a replay that answers once the standby has it (docs/design.md rule 4).
 */
@Component
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    private static final Pattern VALID_KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;
    private final DataSource dataSource;

    Idempotency(JdbcClient jdbc, TransactionTemplate tx, DataSource dataSource) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.dataSource = dataSource;
    }

    /** The response a write produced: stored with its key and replayed byte for byte. */
    public record StoredResponse(int status, String location, String body) {
    }

    /**
     * Runs {@code write} in one transaction with claiming {@code key}, unless the key was used
     * before: then returns that first response (same request) or throws a 422 problem.
     */
    public ResponseEntity<String> execute(String key, byte[] requestHash, Supplier<StoredResponse> write) {
        if (!VALID_KEY.matcher(key).matches()) {
            throw ApiProblem.invalid(HEADER, "must be 1 to 255 visible ASCII characters");
        }
        boolean[] replayed = {false};
        boolean[] unconfirmed = {false};
        StoredResponse response = tx.execute(status -> {
            Connection connection = DataSourceUtils.getConnection(dataSource);
            try {
                connection.clearWarnings(); // only this COMMIT's warnings count
            } catch (SQLException e) {
                throw new org.springframework.jdbc.UncategorizedSQLException("clear warnings", null, e);
            }
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    unconfirmed[0] = synchronousReplicationWaitCancelled(DataSourceUtils.getConnection(dataSource));
                }
            });
            int claimed = jdbc.sql("insert into idempotency_key (key, request_hash) values (?, ?) on conflict do nothing")
                    .params(key, requestHash)
                    .update();
            if (claimed == 0) {
                replayed[0] = true;
                StoredResponse stored = previous(key, requestHash);
                // docs/design.md rules 4 and 8: a replay is as durable as a first answer. The original
                // write may be committed here but not yet on the synchronous standby (its wait was
                // cancelled, or the primary restarted after a crash). PostgreSQL waits for synchronous
                // replication only at the COMMIT of a transaction that has an xid AND wrote WAL before
                // its commit record (RecordTransactionCommit: wrote_xlog && markXidCommitted); a bare
                // pg_current_xact_id() does not wait. So the replay rewrites its key row: an xid, WAL,
                // and a COMMIT that waits until the synchronous standby has flushed past the original.
                // The row write also goes through the lease guard, so a fenced site cannot replay.
                jdbc.sql("update idempotency_key set response_status = response_status where key = ?")
                        .param(key)
                        .update();
                return stored;
            }
            StoredResponse fresh = write.get();
            jdbc.sql("update idempotency_key set response_status = ?, location = ?, response_body = ? where key = ?")
                    .params(fresh.status(), fresh.location(), fresh.body(), key)
                    .update();
            return fresh;
        });
        if (unconfirmed[0]) {
            throw ApiProblem.unavailable("write-unconfirmed", "The write committed on this site, but the wait for its "
                    + "synchronous standby was cancelled, so it is not acknowledged. Retry with the same Idempotency-Key: "
                    + "the retry answers once the standby has it.");
        }
        HttpHeaders headers = new HttpHeaders();
        if (response.location() != null) {
            headers.set(HttpHeaders.LOCATION, response.location());
        }
        if (replayed[0]) {
            headers.set("Idempotent-Replayed", "true");
        }
        headers.setContentType(MediaType.APPLICATION_JSON);
        return new ResponseEntity<>(response.body(), headers, HttpStatus.valueOf(response.status()));
    }

    /**
     * True when the COMMIT just run came back with PostgreSQL's warning that its wait for synchronous
     * replication was cancelled ("canceling wait for synchronous replication ..."; the transaction is
     * committed locally but maybe not on the standby). Matched on the server's English message text:
     * keep {@code lc_messages} English on the database.
     */
    static boolean synchronousReplicationWaitCancelled(Connection c) {
        try {
            boolean cancelled = false;
            for (SQLWarning w = c.getWarnings(); w != null; w = w.getNextWarning()) {
                String message = w.getMessage();
                cancelled |= message != null && message.contains("wait for synchronous replication");
            }
            c.clearWarnings();
            return cancelled;
        } catch (SQLException e) {
            return true; // cannot tell: do not acknowledge (docs/design.md rule 6)
        }
    }

    private StoredResponse previous(String key, byte[] requestHash) {
        record Row(byte[] requestHash, Integer responseStatus, String location, String responseBody) {
        }
        Row row = jdbc.sql("select request_hash, response_status, location, response_body from idempotency_key where key = ?")
                .param(key)
                .query(Row.class)
                .single();
        if (!Arrays.equals(row.requestHash(), requestHash)) {
            throw ApiProblem.idempotencyKeyReused();
        }
        return new StoredResponse(row.responseStatus(), row.location(), row.responseBody());
    }

    /** SHA-256 over length-prefixed fields: a canonical hash of a parsed request, cheap for big sample arrays. */
    public static final class RequestHash {
        private final MessageDigest digest;

        public RequestHash(String method, String path) {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
            add(method).add(path);
        }

        public RequestHash add(Object value) {
            return add(value == null ? null : value.toString().getBytes(StandardCharsets.UTF_8));
        }

        public RequestHash add(byte[] bytes) {
            if (bytes == null) {
                digest.update((byte) 0);
            } else {
                digest.update((byte) 1);
                digest.update(java.nio.ByteBuffer.allocate(4).putInt(bytes.length).array());
                digest.update(bytes);
            }
            return this;
        }

        public byte[] finish() {
            return digest.digest();
        }
    }
}
