package dev.twincloud.api.system;

import dev.twincloud.core.protocol.Lsn;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseCookie;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;

/**
 * Read-your-writes and monotonic reads across sites (docs/api.md, "Read-your-writes"): every successful
 * {@code /v1} answer says the WAL position it reflects ({@value #LSN_HEADER}) and sets cookie
 * {@value #COOKIE} to the larger of that and the request's own minimum; a request's minimum is the
 * larger of header {@value #MIN_LSN_HEADER} and that cookie, and a read must reflect at least it
 * ({@link ReadFence}).
 */
public final class ReadYourWrites {

    public static final String LSN_HEADER = "Twincloud-Lsn";
    public static final String MIN_LSN_HEADER = "Twincloud-Min-Lsn";
    public static final String COOKIE = "twincloud-lsn";

    private ReadYourWrites() {
    }

    /**
     * The position the request must see: the larger of {@value #MIN_LSN_HEADER} and cookie {@value #COOKIE};
     * null when neither is given. A malformed header is a 400; a malformed cookie is ignored (a browser
     * cannot repair it, and the next successful answer overwrites it).
     */
    public static Lsn requested(HttpServletRequest request) {
        Lsn header = null;
        String text = request.getHeader(MIN_LSN_HEADER);
        if (text != null) {
            try {
                header = Lsn.parse(text.strip());
            } catch (IllegalArgumentException e) {
                throw ApiProblem.invalid(MIN_LSN_HEADER, "must be a PostgreSQL LSN like 0/3000148");
            }
        }
        Lsn cookie = null;
        Cookie[] cookies = request.getCookies();
        if (cookies != null) {
            for (Cookie c : cookies) {
                if (COOKIE.equals(c.getName())) {
                    try {
                        cookie = max(cookie, Lsn.parse(c.getValue().strip()));
                    } catch (IllegalArgumentException ignored) {
                        // overwritten by the next successful answer
                    }
                }
            }
        }
        return max(header, cookie);
    }

    /** {@link #requested(HttpServletRequest)} of the request being served; null outside a request. */
    public static Lsn requested() {
        HttpServletRequest request = currentRequest();
        return request == null ? null : requested(request);
    }

    /** Sets {@value #LSN_HEADER} and the cookie on {@code response} for an answer reflecting {@code lsn}. */
    public static void stamp(HttpServletRequest request, HttpServletResponse response, Lsn lsn) {
        if (lsn == null) {
            return;
        }
        response.setHeader(LSN_HEADER, lsn.toString());
        response.setHeader(HttpHeaders.SET_COOKIE, cookie(max(lsn, safeRequested(request))));
    }

    /** The same for an answer built as a {@link org.springframework.http.ResponseEntity}. */
    public static void stamp(HttpHeaders headers, Lsn lsn) {
        if (lsn == null) {
            return;
        }
        headers.set(LSN_HEADER, lsn.toString());
        HttpServletRequest request = currentRequest();
        headers.set(HttpHeaders.SET_COOKIE, cookie(max(lsn, request == null ? null : safeRequested(request))));
    }

    /** Sets them on the current response (a read inside {@link ReadFence}); no-op outside a request. */
    static void stampCurrent(Lsn lsn) {
        if (RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a && a.getResponse() != null) {
            stamp(a.getRequest(), a.getResponse(), lsn);
        }
    }

    private static Lsn safeRequested(HttpServletRequest request) {
        try {
            return requested(request);
        } catch (ApiProblem malformed) {
            return null;
        }
    }

    private static String cookie(Lsn lsn) {
        return ResponseCookie.from(COOKIE, lsn.toString()).path("/").httpOnly(true).sameSite("Lax").build().toString();
    }

    private static HttpServletRequest currentRequest() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes a ? a.getRequest() : null;
    }

    /** The larger of the two; a null is smaller than any position. */
    static Lsn max(Lsn a, Lsn b) {
        if (a == null) {
            return b;
        }
        return b == null || a.compareTo(b) >= 0 ? a : b;
    }

    /** {@code text} as an LSN, or null when it is null (a SQL NULL pg_lsn; core's parse reads null as 0/0). */
    static Lsn lsnOrNull(String text) {
        return text == null ? null : Lsn.parse(text);
    }
}
