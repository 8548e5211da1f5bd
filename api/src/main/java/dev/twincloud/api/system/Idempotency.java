package dev.twincloud.api.system;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Exactly-once writes under retries: every POST carries an {@code Idempotency-Key}. The key row is
 * inserted with {@code ON CONFLICT DO NOTHING} in the same transaction as the write it protects,
 * so the database decides the race: of N concurrent requests with one key, one inserts the key and
 * writes; the others wait on the key's unique index until that transaction ends, then read the
 * stored response (same request hash) or get a 422 (different request).
 */
@Component
public class Idempotency {

    public static final String HEADER = "Idempotency-Key";
    private static final Pattern VALID_KEY = Pattern.compile("[\\x21-\\x7E]{1,255}");

    private final JdbcClient jdbc;
    private final TransactionTemplate tx;

    Idempotency(JdbcClient jdbc, TransactionTemplate tx) {
        this.jdbc = jdbc;
        this.tx = tx;
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
        StoredResponse response = tx.execute(status -> {
            int claimed = jdbc.sql("insert into idempotency_key (key, request_hash) values (?, ?) on conflict do nothing")
                    .params(key, requestHash)
                    .update();
            if (claimed == 0) {
                replayed[0] = true;
                return previous(key, requestHash);
            }
            StoredResponse fresh = write.get();
            jdbc.sql("update idempotency_key set response_status = ?, location = ?, response_body = ? where key = ?")
                    .params(fresh.status(), fresh.location(), fresh.body(), key)
                    .update();
            return fresh;
        });
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
