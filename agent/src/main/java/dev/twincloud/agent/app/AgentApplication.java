package dev.twincloud.agent.app;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** The per-site agent: wires the framework-free {@link dev.twincloud.agent.core.Agent} to HTTP and a driver. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class AgentApplication {
    public static void main(String[] args) {
        SpringApplication.run(AgentApplication.class, args);
    }
}
