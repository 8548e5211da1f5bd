package dev.twincloud.api.ecg;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.UUID;

import dev.twincloud.api.system.ApiProblem;

/**
 * The position after the last item of a page: (recordedAt, id), the keyset the list is sorted by.
 * Opaque to clients (base64url of {@code v1:<epoch micros>:<uuid>}); anything that does not
 * decode to exactly that is a 400, never a 500.
 */
record PageCursor(Instant recordedAt, UUID id) {

    String encode() {
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, recordedAt);
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v1:" + micros + ":" + id).getBytes(StandardCharsets.US_ASCII));
    }

    static PageCursor decode(String cursor) {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII).split(":", -1);
            if (parts.length != 3 || !parts[0].equals("v1") || parts[2].length() != 36) {
                throw new IllegalArgumentException("unknown cursor format");
            }
            UUID id = UUID.fromString(parts[2]);
            if (!id.toString().equals(parts[2])) {
                throw new IllegalArgumentException("non-canonical id");
            }
            return new PageCursor(Instant.EPOCH.plus(Long.parseLong(parts[1]), ChronoUnit.MICROS), id);
        } catch (IllegalArgumentException | ArithmeticException | java.time.DateTimeException e) {
            throw ApiProblem.invalid("cursor", "is not a cursor returned by this API");
        }
    }
}
