package dev.twincloud.api.system;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import jakarta.servlet.http.HttpServletRequest;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.security.oauth2.server.resource.web.BearerTokenResolver;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/**
 * Spring Security's per-request checks of the headers, with the same verdicts at a fraction of the cost (two
 * regular expressions over the whole bearer token on every request were about 8 % of the API's CPU per small POST,
 * docs/benchmarks.md): the firewall's header rules take a printable-ASCII fast path, and the bearer token of an
 * {@code Authorization} header already resolved is remembered. Neither accepts anything Spring's own rules refuse.
 */
final class PerRequestChecks {

    private PerRequestChecks() {
    }

    /**
     * Spring's {@link StrictHttpFirewall} with its own defaults, except that a header name or value made only of
     * printable ASCII ({@code 0x20..0x7E}) is accepted without running its regular expression: every such
     * character is assigned and not a control character, which is all the rule asks ({@code [\p{IsAssigned}&&
     * [^\p{IsControl}]]*}; values also allow a tab). Any other character goes to Spring's own predicate.
     */
    static StrictHttpFirewall firewall() {
        StrictHttpFirewall firewall = new StrictHttpFirewall();
        firewall.setAllowedHeaderNames(printableAsciiOr(StrictHttpFirewall.ALLOWED_HEADER_NAMES));
        firewall.setAllowedHeaderValues(printableAsciiOr(StrictHttpFirewall.ALLOWED_HEADER_VALUES));
        return firewall;
    }

    static Predicate<String> printableAsciiOr(Predicate<String> rule) {
        return s -> printableAscii(s) || rule.test(s);
    }

    static boolean printableAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c > 0x7E) {
                return false;
            }
        }
        return true;
    }

    /**
     * Spring's {@link DefaultBearerTokenResolver} (its defaults: the {@code Authorization} header only, no token as a
     * parameter), remembering which token an {@code Authorization} header value gave: the header's syntax is
     * checked by the delegate's regular expression once per distinct value, not once per request. What the header
     * gives is a function of its exact string alone, so a remembered answer is the delegate's answer — as long as no
     * {@code access_token} parameter can be present, which the delegate also looks at (to refuse two tokens): only
     * requests without a query string and with no body or a JSON one are answered from memory; any other goes to the
     * delegate. A value the delegate refuses, or that
     * gives no token, is never remembered. At most {@code maxEntries} values are kept; when full it starts over.
     */
    static final class RememberingBearerTokenResolver implements BearerTokenResolver {
        private final BearerTokenResolver delegate = new DefaultBearerTokenResolver();
        private final ConcurrentHashMap<String, String> tokens = new ConcurrentHashMap<>();
        private final int maxEntries;

        RememberingBearerTokenResolver(int maxEntries) {
            this.maxEntries = maxEntries;
        }

        @Override
        public String resolve(HttpServletRequest request) {
            if (request.getQueryString() != null || !noneOrJson(request.getContentType())) {
                return delegate.resolve(request);
            }
            String header = request.getHeader(HttpHeaders.AUTHORIZATION);
            String token = header == null ? null : tokens.get(header);
            if (token != null) {
                return token;
            }
            token = delegate.resolve(request); // a malformed header throws: nothing is remembered
            if (token != null && header != null) {
                if (tokens.size() >= maxEntries) {
                    tokens.clear();
                }
                tokens.put(header, token);
            }
            return token;
        }

        private static boolean noneOrJson(String contentType) {
            return contentType == null || contentType.regionMatches(true, 0, MediaType.APPLICATION_JSON_VALUE, 0,
                    MediaType.APPLICATION_JSON_VALUE.length());
        }

        /** How many header values are remembered now (for tests). */
        int size() {
            return tokens.size();
        }
    }
}
