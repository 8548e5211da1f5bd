package dev.twincloud.api.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.oauth2.server.resource.web.DefaultBearerTokenResolver;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.web.firewall.StrictHttpFirewall;

/** The cheaper header checks give Spring Security's own verdicts (PerRequestChecks). */
class PerRequestChecksTest {

    /** Every single character, and each of them inside printable ASCII, as a header name and as a header value. */
    @Test
    void theFirewallsHeaderRulesGiveSpringsVerdictForEveryCharacter() {
        Predicate<String> names = PerRequestChecks.printableAsciiOr(StrictHttpFirewall.ALLOWED_HEADER_NAMES);
        Predicate<String> values = PerRequestChecks.printableAsciiOr(StrictHttpFirewall.ALLOWED_HEADER_VALUES);
        List<String> samples = new ArrayList<>(List.of("", "Bearer abc.DEF-_~+/=", "text/plain; q=0.5", "\t", "a\tb",
                "\uD83D\uDE00", "\uD83D", "x\uDE00y", "caf\u00E9", "\u0378"));
        for (char c = 0; c < Character.MAX_VALUE; c++) {
            samples.add(String.valueOf(c));
            samples.add("Bearer " + c + "xyz");
        }
        int refused = 0;
        for (String s : samples) {
            assertThat(names.test(s)).as("name %s", s.codePoints().boxed().toList())
                    .isEqualTo(StrictHttpFirewall.ALLOWED_HEADER_NAMES.test(s));
            assertThat(values.test(s)).as("value %s", s.codePoints().boxed().toList())
                    .isEqualTo(StrictHttpFirewall.ALLOWED_HEADER_VALUES.test(s));
            refused += values.test(s) ? 0 : 1;
        }
        assertThat(refused).as("the rule refuses something (control and unassigned characters)").isGreaterThan(1000);
        assertThat(values.test("a\u0000b")).isFalse();
        assertThat(values.test("a\nb")).isFalse();
        assertThat(names.test("a\tb")).isFalse();
    }

    @Test
    void theResolverRemembersOnlyWhatSpringsResolverGave() {
        var resolver = new PerRequestChecks.RememberingBearerTokenResolver(2);
        var spring = new DefaultBearerTokenResolver();

        MockHttpServletRequest post = post("Bearer abc.def-ghi_jkl~mno+pqr/stu==");
        assertThat(resolver.resolve(post)).isEqualTo(spring.resolve(post)).isEqualTo("abc.def-ghi_jkl~mno+pqr/stu==");
        assertThat(resolver.resolve(post)).isEqualTo("abc.def-ghi_jkl~mno+pqr/stu==");
        assertThat(resolver.size()).isEqualTo(1);
        MockHttpServletRequest lower = post("bearer xyz");
        assertThat(resolver.resolve(lower)).isEqualTo(spring.resolve(lower)).isEqualTo("xyz");

        // malformed, or no bearer token at all: Spring's answer, every time, and nothing is remembered
        for (String bad : List.of("Bearer a b", "Bearer ", "Bearer abc=def", "Bearer ab\u00E9")) {
            for (int i = 0; i < 2; i++) {
                assertThatThrownBy(() -> resolver.resolve(post(bad))).as(bad).isInstanceOf(OAuth2AuthenticationException.class);
            }
        }
        assertThat(resolver.resolve(post("Basic dXNlcjpwYXNz"))).isNull();
        assertThat(resolver.resolve(new MockHttpServletRequest("GET", "/v1/ecgs"))).isNull();

        // a token also as a parameter, or a form body: Spring's own answer, even for a header value seen before
        MockHttpServletRequest twoTokens = new MockHttpServletRequest("GET", "/v1/ecgs");
        twoTokens.addHeader("Authorization", "Bearer xyz");
        twoTokens.setQueryString("access_token=other");
        twoTokens.addParameter("access_token", "other");
        MockHttpServletRequest form = post("Bearer xyz");
        form.setContentType("application/x-www-form-urlencoded");
        form.addParameter("access_token", "other");
        for (MockHttpServletRequest r : List.of(twoTokens, form)) {
            assertThat(outcome(() -> resolver.resolve(r))).isEqualTo(outcome(() -> spring.resolve(r)));
        }

        // bounded: full, it starts over
        assertThat(resolver.resolve(post("Bearer third"))).isEqualTo("third");
        assertThat(resolver.size()).isEqualTo(1);
    }

    /** The token, or the kind and message of the refusal. */
    private static String outcome(java.util.function.Supplier<String> resolve) {
        try {
            return "token " + resolve.get();
        } catch (OAuth2AuthenticationException e) {
            return "refused " + e.getMessage();
        }
    }

    private static MockHttpServletRequest post(String authorization) {
        MockHttpServletRequest r = new MockHttpServletRequest("POST", "/v1/ecgs");
        r.setContentType("application/json");
        r.addHeader("Authorization", authorization);
        return r;
    }
}
