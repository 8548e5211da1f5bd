package dev.twincloud.arbiter.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.io.ClassPathResource;
import org.springframework.core.io.Resource;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The status page ({@code GET /status}, docs/status-page.md): a static HTML page whose script reads
 * {@code /v1/status}, {@code /v1/history} and {@code /v1/events} with the viewer or operator token
 * the user typed in, kept in the tab's sessionStorage and sent as {@code Authorization: Bearer}. The
 * page and its script hold no data and no secret, so they are served without a token; the data
 * behind them is not. {@code /} redirects here.
 */
@Controller
class StatusPage {

    static final String PAGE = "static/status/index.html";

    @GetMapping(path = "/status", produces = MediaType.TEXT_HTML_VALUE)
    ResponseEntity<Resource> page() {
        return ResponseEntity.ok().contentType(MediaType.TEXT_HTML).body(new ClassPathResource(PAGE));
    }

    @GetMapping("/")
    String root() {
        return "redirect:/status";
    }

    /**
     * Headers of the page and its files: only this origin's script and style (no inline script, so
     * an event text cannot run as code), no framing, no referrer, no caching of a stale script.
     */
    static final class Headers extends OncePerRequestFilter {
        static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            response.setHeader("Content-Security-Policy", CSP);
            response.setHeader("X-Content-Type-Options", "nosniff");
            response.setHeader("X-Frame-Options", "DENY");
            response.setHeader("Referrer-Policy", "no-referrer");
            response.setHeader("Cache-Control", "no-cache");
            chain.doFilter(request, response);
        }
    }
}
