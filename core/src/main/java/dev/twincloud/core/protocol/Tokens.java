package dev.twincloud.core.protocol;

import java.util.Optional;

/**
 * CloudNativePG's demotion and promotion tokens as the protocol carries them: opaque strings that
 * arrive over HTTP, so bounded in size; absent, null or blank all mean "no token".
 */
final class Tokens {
    /** A CloudNativePG token is a few hundred characters of base64; anything this long is not one. */
    static final int MAX_LENGTH = 4096;

    private Tokens() {
    }

    static Optional<String> normalize(Optional<String> token, String field) {
        Optional<String> t = token == null ? Optional.empty() : token.filter(s -> !s.isBlank());
        if (t.isPresent() && t.get().length() > MAX_LENGTH) {
            throw new IllegalArgumentException(field + " is " + t.get().length() + " characters long, at most "
                    + MAX_LENGTH + " are accepted");
        }
        return t;
    }
}
