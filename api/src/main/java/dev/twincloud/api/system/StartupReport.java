package dev.twincloud.api.system;

import java.lang.management.ManagementFactory;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** One line when the API is ready: how long the whole start took (JVM start to ready, embedded PostgreSQL included). */
@Component
class StartupReport {

    private static final Logger log = LoggerFactory.getLogger(StartupReport.class);

    @EventListener(ApplicationReadyEvent.class)
    void ready(ApplicationReadyEvent event) {
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime();
        String port = event.getApplicationContext().getEnvironment().getProperty("local.server.port", "?");
        log.info("twincloud-api ready on port {} in {} ms (JVM start to ready; Spring part {} ms)",
                port, uptime, event.getTimeTaken().toMillis());
    }
}
