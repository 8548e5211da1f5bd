package dev.twincloud.core.log;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a log line may show of a value it must not show (docs/logging.md, "Never logged"): a patient reference only as
 * {@code sha256:} and the first 12 hex digits of its SHA-256 — the same in the edge's and the API's lines, so one
 * patient's requests can be found without the reference itself being in the logs.
 */
public final class LogSafe {

    private LogSafe() {
    }

    /**
     * A request path as a log line may show it: without the query (it may name a patient), and with the segment after
     * {@code patients} replaced by its {@link #hash}.
     */
    public static String path(String path) {
        if (path == null || path.isEmpty()) {
            return "/";
        }
        int query = path.indexOf('?');
        String[] segments = (query < 0 ? path : path.substring(0, query)).split("/", -1);
        for (int i = 1; i < segments.length; i++) {
            if (segments[i - 1].equals("patients") && !segments[i].isEmpty()) {
                segments[i] = hash(segments[i]);
            }
        }
        return String.join("/", segments);
    }

    public static String hash(String value) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
