package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Runs the agent's heartbeat loop on one thread: one tick per interval, and the next one at once
 * after a transition, so the arbiter learns of a promotion or a clean stop without waiting.
 */
@Component
class AgentRunner {
    private static final Logger log = LoggerFactory.getLogger(AgentRunner.class);

    private final Agent agent;
    private final Duration interval;
    private volatile boolean running = true;
    private Thread loop;

    AgentRunner(Agent agent, AgentProperties props) {
        this.agent = agent;
        this.interval = props.heartbeatInterval();
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        log.info("agent loop started, heartbeat every {} ms", interval.toMillis());
        loop = Thread.ofPlatform().name("agent-loop").daemon(true).start(this::run);
    }

    private void run() {
        while (running) {
            boolean again = false;
            try {
                agent.tick();
                again = agent.progressed();
            } catch (RuntimeException e) {
                log.error("agent tick failed", e); // keep looping: the next tick observes afresh
            }
            if (!again) {
                LockSupport.parkNanos(interval.toNanos());
            }
        }
    }

    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        if (loop != null) {
            loop.interrupt();
            loop.join(5000);
        }
    }
}
