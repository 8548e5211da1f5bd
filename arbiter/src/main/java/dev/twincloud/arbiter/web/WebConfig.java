package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.ArbiterProperties;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import tools.jackson.databind.json.JsonMapper;

/** The token filter in front of every {@code /v1/*} endpoint; actuator health, info and prometheus stay open. */
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
}
