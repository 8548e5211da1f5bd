package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.ArbiterProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import tools.jackson.databind.json.JsonMapper;

/**
 * The token filter in front of every {@code /v1/*} endpoint; actuator health, info and prometheus stay
 * open, and so do the status page's static files (they hold no data).
 */
@Configuration(proxyBeanMethods = false)
class WebConfig {

    @Bean
    FilterRegistrationBean<TokenFilter> tokenFilter(ArbiterProperties props, JsonMapper json) {
        var filter = new TokenFilter(props.agentToken(), props.operatorToken(), props.viewer(), new Problems(json));
        var registration = new FilterRegistrationBean<>(filter);
        registration.addUrlPatterns("/v1/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 10);
        registration.setName("twincloudTokenFilter");
        return registration;
    }

    /** Security headers of the status page and its script and style (the page itself needs no token). */
    @Bean
    FilterRegistrationBean<StatusPage.Headers> statusPageHeaders() {
        var registration = new FilterRegistrationBean<>(new StatusPage.Headers());
        registration.addUrlPatterns("/status", "/status/*");
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 11);
        registration.setName("twincloudStatusPageHeaders");
        return registration;
    }
}
