package dev.twincloud.arbiter.web;

import org.apache.catalina.connector.Connector;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.tomcat.servlet.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The lab's second listener: with {@code twincloud.arbiter.plain-port} set, the arbiter also serves plain HTTP
 * on that port of 127.0.0.1 — for the tools on the arbiter's own machine (the lab's CLI, status page and
 * Prometheus), while {@code server.port} serves HTTPS ({@code server.ssl}) to the agents, which reach it across
 * the lab's links (docs/lab.md, "What is encrypted"). Loopback only, whatever {@code server.address} says;
 * unset (a deployment): one listener, as before. The same tokens guard both.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty("twincloud.arbiter.plain-port")
class PlainListener {

    @Bean
    WebServerFactoryCustomizer<TomcatServletWebServerFactory> plainLoopbackListener(@Value("${twincloud.arbiter.plain-port}") int port) {
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("twincloud.arbiter.plain-port must be a port (1..65535), got " + port);
        }
        return factory -> {
            Connector plain = new Connector(TomcatServletWebServerFactory.DEFAULT_PROTOCOL);
            plain.setPort(port);
            plain.setProperty("address", "127.0.0.1");
            factory.addAdditionalConnectors(plain);
        };
    }
}
