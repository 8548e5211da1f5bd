package dev.twincloud.arbiter;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The arbiter: the decision maker in a third failure domain. It owns the epoch, grants write leases
 * and fails the service over, by wiring the core's pure {@link dev.twincloud.core.decide.Decider} to
 * HTTP, a durable state file and a clock. It decides nothing itself.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class ArbiterApplication {

    public static void main(String[] args) {
        SpringApplication.run(ArbiterApplication.class, args);
    }
}
