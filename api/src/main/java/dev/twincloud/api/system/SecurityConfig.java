package dev.twincloud.api.system;

import java.io.IOException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.WebSecurityCustomizer;
import org.springframework.security.config.observation.SecurityObservationSettings;
import org.springframework.security.config.http.SessionCreationPolicy;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.oauth2.server.resource.web.BearerTokenAuthenticationEntryPoint;
import org.springframework.security.oauth2.server.resource.web.access.BearerTokenAccessDeniedHandler;
import org.springframework.security.web.AuthenticationEntryPoint;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.access.AccessDeniedHandler;

/**
 * OAuth2 resource server: JWT bearer tokens, scope {@code ecg:read} for GETs and {@code ecg:write}
 * for POSTs under {@code /v1}; health, info, metrics and the OpenAPI document are open. 401 and
 * 403 are problem+json like every other error, with the standard {@code WWW-Authenticate} header.
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfig {

    @Bean
    SecurityFilterChain api(HttpSecurity http, ProblemWriter problems) throws Exception {
        AuthenticationEntryPoint unauthorized = new ProblemEntryPoint(problems);
        AccessDeniedHandler forbidden = new ProblemAccessDenied(problems);
        http.authorizeHttpRequests(requests -> requests
                        .requestMatchers("/actuator/health", "/actuator/health/**", "/actuator/info",
                                "/actuator/prometheus").permitAll()
                        .requestMatchers("/v3/api-docs", "/v3/api-docs/**", "/error").permitAll()
                        .requestMatchers(HttpMethod.GET, "/v1/**").hasAuthority("SCOPE_ecg:read")
                        .requestMatchers(HttpMethod.POST, "/v1/**").hasAuthority("SCOPE_ecg:write")
                        .anyRequest().denyAll())
                .oauth2ResourceServer(oauth -> oauth.jwt(Customizer.withDefaults())
                        .bearerTokenResolver(new PerRequestChecks.RememberingBearerTokenResolver(1000))
                        .authenticationEntryPoint(unauthorized)
                        .accessDeniedHandler(forbidden))
                .exceptionHandling(e -> e.authenticationEntryPoint(unauthorized).accessDeniedHandler(forbidden))
                .sessionManagement(s -> s.sessionCreationPolicy(SessionCreationPolicy.STATELESS))
                .csrf(csrf -> csrf.disable()) // no session, no cookie authenticates: bearer tokens only (twincloud-lsn only raises a read's minimum LSN)
                .requestCache(cache -> cache.disable());
        return http.build();
    }

    /**
     * No Spring Security observations at all: without this bean Spring Security still wraps every filter of the chain,
     * the authentication and the authorization in an observation per request, even when
     * {@code management.observations.enable.spring.security=false} makes them no-ops (about 3 % of the API's CPU per
     * small POST; docs/benchmarks.md). Nothing reads them; {@code http.server.requests} is Spring MVC's and stays.
     */
    @Bean
    static SecurityObservationSettings noSecurityObservations() {
        return SecurityObservationSettings.noObservations();
    }

    /** Spring's firewall, its header rules with a fast path for printable ASCII (same verdicts: PerRequestChecks). */
    @Bean
    static WebSecurityCustomizer firewall() {
        return web -> web.httpFirewall(PerRequestChecks.firewall());
    }

    /** The very first filter: every answer, a 413 or 401 included, carries the request id, and every log line too. */
    @Bean
    FilterRegistrationBean<RequestIdFilter> requestIdFilter() {
        var registration = new FilterRegistrationBean<>(new RequestIdFilter());
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE);
        registration.addUrlPatterns("/*");
        return registration;
    }

    /** Runs before security, so a flood of oversize bodies costs no token validation and no reading. */
    @Bean
    FilterRegistrationBean<BodySizeLimitFilter> bodySizeLimitFilter(ApiLimits limits, ProblemWriter problems) {
        var registration = new FilterRegistrationBean<>(new BodySizeLimitFilter(limits, problems));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 1);
        registration.addUrlPatterns("/*");
        return registration;
    }

    /** After the size limit: keeps a POST's body for forwarding it to the peer site (Forwarding; off without a peer). */
    @Bean
    FilterRegistrationBean<Forwarding.BodyKeeper> forwardingBodyKeeper(Forwarding forwarding, ApiLimits limits) {
        var registration = new FilterRegistrationBean<>(new Forwarding.BodyKeeper(forwarding, limits));
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 2);
        registration.addUrlPatterns("/v1/*");
        return registration;
    }

    private record ProblemEntryPoint(ProblemWriter problems) implements AuthenticationEntryPoint {
        private static final BearerTokenAuthenticationEntryPoint BEARER = new BearerTokenAuthenticationEntryPoint();

        @Override
        public void commence(HttpServletRequest request, HttpServletResponse response, AuthenticationException e)
                throws IOException {
            BEARER.commence(request, response, e); // sets 401 and WWW-Authenticate
            problems.write(request, response, HttpStatus.UNAUTHORIZED, "unauthorized",
                    "A valid bearer token is required: " + e.getMessage());
        }
    }

    private record ProblemAccessDenied(ProblemWriter problems) implements AccessDeniedHandler {
        private static final BearerTokenAccessDeniedHandler BEARER = new BearerTokenAccessDeniedHandler();

        @Override
        public void handle(HttpServletRequest request, HttpServletResponse response, AccessDeniedException e)
                throws IOException {
            BEARER.handle(request, response, e); // sets 403 and WWW-Authenticate: insufficient_scope
            problems.write(request, response, HttpStatus.FORBIDDEN, "forbidden",
                    "The token lacks the scope this request needs (ecg:read for GET, ecg:write for POST).");
        }
    }
}
