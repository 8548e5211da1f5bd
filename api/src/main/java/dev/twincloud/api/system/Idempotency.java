package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.UncategorizedSQLException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Exactly-once writes under retries: every POST carries an {@code Idempotency-Key}. The key row is
 * inserted with {@code ON CONFLICT DO NOTHING} in the same transaction as the write it protects,
 * so the database decides the race: of N concurrent requests with one key, one inserts the key and
 * writes; the others wait on the key's unique index until that transaction ends, then read the
 * stored response (same request hash) or get a 422 (different request).
 *
 * <p>Keys are kept per caller (the token's {@code sub}): the claim is (caller, key) and the stored
 * hash covers the caller, so one caller's key neither replays to nor blocks another (V3, docs/api.md).
 * A token without a subject cannot write (403 {@code no-subject}). Rows from before V3 (caller '')
 * still answer the retry of their own write (same key and same caller-free hash), so an upgrade
 * applies no write twice.
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
    private final KeySchema schema;

    Idempotency(JdbcClient jdbc, TransactionTemplate tx, DataSource dataSource) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.dataSource = dataSource;
        this.schema = new KeySchema(jdbc);
    }

    /** The response a write produced: stored with its key and replayed byte for byte. */
    public record StoredResponse(int status, String location, String body) {
    }

    /**
     * Runs {@code write} in one transaction with claiming {@code key}, unless the key was used
     * before: then returns that first response (same request) or throws a 422 problem.
     */
    public ResponseEntity<String> execute(String key, byte[] requestHash, Supplier<StoredResponse> write) {
        return run(key, requestHash, (claim, at) -> {
            StoredResponse fresh = write.get();
            updateRow(claim.caller(), claim.key(), "response_status = ?, location = ?, response_body = ?",
                    fresh.status(), fresh.location(), fresh.body());
            return fresh;
        });
    }

    /**
     * A write made of data-modifying statements only, run <em>as one statement</em> with the storing of its answer
     * in the claimed key row: {@code with w0 as (<statement>), w1 as (...) update idempotency_key set ...}.
     * One round trip for the whole write instead of one per statement plus one for the key row, with the same
     * guarantees: the same transaction as the claim, every statement through the lease guard (its statement trigger
     * fires for each table written, its deferred row triggers check every row at COMMIT), all or nothing. The
     * write gets the transaction's time ({@code now()}, the key row's {@code created_at}), so that an answer
     * naming the time of the write can be made before the statement runs. A replay runs no statement of it.
     */
    public ResponseEntity<String> executeFolded(String key, byte[] requestHash, Function<Instant, FoldedWrite> write) {
        return run(key, requestHash, (claim, at) -> {
            FoldedWrite w = write.apply(at);
            StringBuilder sql = new StringBuilder("with ");
            List<Object> params = new ArrayList<>();
            for (int i = 0; i < w.statements().size(); i++) {
                sql.append(i == 0 ? "" : ",\n").append('w').append(i).append(" as (").append(w.statements().get(i).sql()).append(')');
                params.addAll(w.statements().get(i).params());
            }
            // the key row's update is the main statement, so that PostgreSQL classes the whole as a write
            // (log_statement = 'mod' logs it: docs/logging.md); a SELECT over the CTEs would be logged only at 'all'
            sql.append("\nupdate idempotency_key set response_status = ?, location = ?, response_body = ? where ")
                    .append(claim.caller() == null ? "key = ?" : "caller = ? and key = ?");
            params.addAll(Arrays.asList(w.response().status(), w.response().location(), w.response().body()));
            if (claim.caller() != null) {
                params.add(claim.caller());
            }
            params.add(claim.key());
            int stored = jdbc.sql(sql.toString()).params(params).update();
            if (stored != 1) {
                throw new IllegalStateException("the claimed key row was not updated (" + stored + " rows)");
            }
            return w.response();
        });
    }

    /** A statement and its parameters, for {@link FoldedWrite}. */
    public record Sql(String sql, List<Object> params) {
    }

    /** The answer a write gives, and the data-modifying statements ({@code insert ...}, no {@code returning}) that make it. */
    public record FoldedWrite(StoredResponse response, List<Sql> statements) {
        public FoldedWrite {
            if (statements.isEmpty()) {
                throw new IllegalArgumentException("a write needs at least one statement");
            }
        }
    }

    /** The claimed key row: (caller, key), or key alone on the schema before V3 ({@code caller} null). */
    private record Claim(String caller, String key) {
    }

    /** The first answer to a claimed key: writes in the claim's transaction and stores the answer in the key row. */
    private interface FirstWrite {
        StoredResponse write(Claim claim, Instant at);
    }

    private ResponseEntity<String> run(String key, byte[] requestHash, FirstWrite write) {
        if (!VALID_KEY.matcher(key).matches()) {
            throw ApiProblem.invalid(HEADER, "must be 1 to 255 visible ASCII characters");
        }
        String caller = caller();
        boolean scoped = schema.keysPerCaller();
        byte[] hash = scoped ? callerHash(caller, requestHash) : requestHash;
        boolean[] replayed = {false};
        boolean[] unconfirmed = {false};
        Lsn[] lsn = {null};
        StoredResponse response = tx.execute(status -> {
            Connection connection = DataSourceUtils.getConnection(dataSource);
            try {
                connection.clearWarnings(); // only this COMMIT's warnings count
            } catch (SQLException e) {
                throw new UncategorizedSQLException("clear warnings", null, e);
            }
            // Scoped: the claim is (caller, key); a row from before V3 (caller '') with this key and the
            // same caller-free hash is the same write retried across the upgrade, so it is not claimed again.
            // returning: the transaction's time (created_at defaults to now()), for a write that names it
            List<Instant> claimed = scoped
                    ? jdbc.sql("""
                            insert into idempotency_key (caller, key, request_hash)
                            select ?, ?, ? where not exists (select 1 from idempotency_key
                                                              where caller = '' and key = ? and request_hash = ?)
                            on conflict do nothing
                            returning created_at""")
                            .params(caller, key, hash, key, requestHash)
                            .query((rs, n) -> rs.getObject(1, OffsetDateTime.class).toInstant())
                            .list()
                    : jdbc.sql("insert into idempotency_key (key, request_hash) values (?, ?) on conflict do nothing "
                                    + "returning created_at")
                            .params(key, hash)
                            .query((rs, n) -> rs.getObject(1, OffsetDateTime.class).toInstant())
                            .list();
            String rowCaller = scoped ? caller : null;
            if (claimed.isEmpty()) {
                replayed[0] = true;
                Previous stored = scoped ? previous(caller, key, hash, requestHash) : previous(key, hash);
                // docs/design.md rules 4 and 8: a replay is as durable as a first answer. The original
                // write may be committed here but not yet on the synchronous standby (its wait was
                // cancelled, or the primary restarted after a crash). PostgreSQL waits for synchronous
                // replication only at the COMMIT of a transaction that has an xid AND wrote WAL before
                // its commit record (RecordTransactionCommit: wrote_xlog && markXidCommitted); a bare
                // pg_current_xact_id() does not wait. So the replay rewrites its key row: an xid, WAL,
                // and a COMMIT that waits until the synchronous standby has flushed past the original.
                // The row write also goes through the lease guard, so a fenced site cannot replay.
                updateRow(stored.caller(), key, "response_status = response_status");
                commitReadingLsn(connection, unconfirmed, lsn);
                return stored.response();
            }
            StoredResponse fresh = write.write(new Claim(rowCaller, key), claimed.getFirst());
            commitReadingLsn(connection, unconfirmed, lsn);
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
        ReadYourWrites.stamp(headers, lsn[0]);
        return new ResponseEntity<>(WriteLsn.inBody(response.body(), lsn[0]), headers, HttpStatus.valueOf(response.status()));
    }

    /**
     * Commits the transaction here, and reads in the same round trip the LSN the answer carries (read-your-writes,
     * docs/adr/0016): {@code commit; select pg_current_wal_insert_lsn()} in one message. PostgreSQL runs the
     * {@code SELECT} only once the {@code COMMIT} has returned — its wait for the synchronous standby included — so
     * the position is at or after the commit record, as when it was read by a statement of its own after the commit.
     * A {@code COMMIT} that fails (the lease guard's deferred check, {@code TCL01}; a lost connection) throws, and the
     * transaction manager's own commit and rollback then find no transaction left (pgjdbc sends nothing when its
     * transaction state is idle). A cancelled wait for the standby comes back as a warning of this statement.
     */
    private static void commitReadingLsn(Connection connection, boolean[] unconfirmed, Lsn[] lsn) {
        String sql = "commit; select pg_current_wal_insert_lsn()::text";
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
            unconfirmed[0] = synchronousReplicationWaitCancelled(s.getWarnings()) | synchronousReplicationWaitCancelled(connection);
            lsn[0] = s.getMoreResults() ? WriteLsn.of(s.getResultSet()) : null;
        } catch (SQLException e) {
            throw new UncategorizedSQLException("COMMIT", sql, e);
        }
    }

    /** True when {@code warnings} hold PostgreSQL's "canceling wait for synchronous replication". */
    static boolean synchronousReplicationWaitCancelled(SQLWarning warnings) {
        boolean cancelled = false;
        for (SQLWarning w = warnings; w != null; w = w.getNextWarning()) {
            String message = w.getMessage();
            cancelled |= message != null && message.contains("wait for synchronous replication");
        }
        return cancelled;
    }

    /**
     * True when the COMMIT just run came back with PostgreSQL's warning that its wait for synchronous
     * replication was cancelled ("canceling wait for synchronous replication ..."; the transaction is
     * committed locally but maybe not on the standby). Matched on the server's English message text:
     * keep {@code lc_messages} English on the database.
     */
    static boolean synchronousReplicationWaitCancelled(Connection c) {
        try {
            boolean cancelled = synchronousReplicationWaitCancelled(c.getWarnings());
            c.clearWarnings();
            return cancelled;
        } catch (SQLException e) {
            return true; // cannot tell: do not acknowledge (docs/design.md rule 6)
        }
    }

    /** The row a replay answers from: whose it is ({@code null}: the schema has no callers yet) and its response. */
    private record Previous(String caller, StoredResponse response) {
    }

    private record Row(String caller, byte[] requestHash, Integer responseStatus, String location, String responseBody) {
    }

    /**
     * Keys per caller: the caller's own row for this key, else the row from before V3 (caller '') with
     * the same caller-free hash that kept the claim from inserting.
     */
    private Previous previous(String caller, String key, byte[] hash, byte[] callerFreeHash) {
        Row row = jdbc.sql("""
                        select caller, request_hash, response_status, location, response_body from idempotency_key
                         where key = ? and (caller = ? or (caller = '' and request_hash = ?))
                         order by caller = '' limit 1""")
                .params(key, caller, callerFreeHash)
                .query(Row.class)
                .single();
        byte[] expected = row.caller().isEmpty() ? callerFreeHash : hash;
        if (!Arrays.equals(row.requestHash(), expected)) {
            throw ApiProblem.idempotencyKeyReused();
        }
        return new Previous(row.caller(), new StoredResponse(row.responseStatus(), row.location(), row.responseBody()));
    }

    /** The schema before V3: one global key, as the API before V3 did. */
    private Previous previous(String key, byte[] hash) {
        Row row = jdbc.sql("select null as caller, request_hash, response_status, location, response_body "
                        + "from idempotency_key where key = ?")
                .param(key)
                .query(Row.class)
                .single();
        if (!Arrays.equals(row.requestHash(), hash)) {
            throw ApiProblem.idempotencyKeyReused();
        }
        return new Previous(null, new StoredResponse(row.responseStatus(), row.location(), row.responseBody()));
    }

    /** Updates one key row: (caller, key), or key alone on the schema before V3 ({@code caller} null). */
    private void updateRow(String caller, String key, String set, Object... values) {
        Object[] params = Arrays.copyOf(values, values.length + (caller == null ? 1 : 2));
        if (caller == null) {
            params[values.length] = key;
            jdbc.sql("update idempotency_key set " + set + " where key = ?").params(params).update();
        } else {
            params[values.length] = caller;
            params[values.length + 1] = key;
            jdbc.sql("update idempotency_key set " + set + " where caller = ? and key = ?").params(params).update();
        }
    }

    /**
     * Who sends this write: the verified token's subject ({@code sub}). Keys are kept per caller, so a
     * write whose token names no subject cannot be attributed and is refused (403 {@code no-subject}).
     */
    static String caller() {
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        String subject = authentication instanceof JwtAuthenticationToken jwt ? jwt.getToken().getSubject() : null;
        if (subject == null || subject.isBlank()) {
            throw ApiProblem.forbidden("no-subject", "A write needs a token with a subject (claim sub): "
                    + "Idempotency-Keys are kept per caller, and this token names none.");
        }
        return subject;
    }

    /** The stored hash: the request's caller-free hash and the caller, so a row matches only its own caller's request. */
    static byte[] callerHash(String caller, byte[] requestHash) {
        return new RequestHash("caller", caller).add(requestHash).finish();
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

    /**
     * Whether the database has V3's per-caller keys ({@code idempotency_key.caller}). An API may run
     * against the schema before V3: a standby skips migrations, so a site upgraded while it was the
     * standby serves writes after a switchover before any start-up of it has migrated. Until then it
     * keeps the old global keys (as the API before V3 did; docs/api.md). Once seen, the column stays;
     * while it is missing the catalog is asked again at most every {@value #RECHECK_MILLIS} ms.
     */
    static final class KeySchema {
        static final long RECHECK_MILLIS = 5_000;
        private final JdbcClient jdbc;
        private volatile boolean perCaller;
        private volatile long checkedAt = Long.MIN_VALUE;

        KeySchema(JdbcClient jdbc) {
            this.jdbc = jdbc;
        }

        boolean keysPerCaller() {
            if (perCaller) {
                return true;
            }
            long now = System.nanoTime();
            if (checkedAt != Long.MIN_VALUE && now - checkedAt < RECHECK_MILLIS * 1_000_000) {
                return false;
            }
            boolean found = jdbc.sql("""
                            select exists (select 1 from pg_attribute
                                            where attrelid = to_regclass('idempotency_key') and attname = 'caller'
                                              and not attisdropped)""")
                    .query(Boolean.class)
                    .single();
            checkedAt = now;
            if (found) {
                perCaller = true;
            } else {
                LoggerFactory.getLogger(Idempotency.class).warn("idempotency_key has no caller column (schema before V3, "
                        + "migrations not yet applied here): Idempotency-Keys are global until they are");
            }
            return found;
        }
    }
}
