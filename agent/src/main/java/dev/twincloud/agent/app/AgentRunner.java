package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Runs the agent's heartbeat loop on one thread, one tick per interval. */
@Component
class AgentRunner {
    private static final Logger log = LoggerFactory.getLogger(AgentRunner.class);

    private final Agent agent;
    private final Duration interval;
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("agent-loop").daemon(true).factory());

    AgentRunner(Agent agent, AgentProperties props) {
        this.agent = agent;
        this.interval = props.heartbeatInterval();
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        log.info("agent loop started, heartbeat every {} ms", interval.toMillis());
        loop.scheduleWithFixedDelay(this::tick, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void tick() {
        try {
            agent.tick();
        } catch (RuntimeException e) {
            log.error("agent tick failed", e); // keep looping: the next tick observes afresh
        }
    }

    @PreDestroy
    void stop() throws InterruptedException {
        loop.shutdownNow();
        loop.awaitTermination(5, TimeUnit.SECONDS);
    }
}
