package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.Timing;
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
 * after a transition, so the arbiter learns of a promotion or a clean stop without waiting. While
 * the arbiter asks for a hurry (a switchover or a new writer's first lease under way) the next tick
 * comes after {@link Timing#HURRIED_HEARTBEAT_INTERVAL} instead, so the site learns its next step
 * without waiting a whole interval — for at most {@link Timing#HURRY_AT_MOST} in a row.
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
        long hurrySince = 0;
        boolean hurrying = false;
        while (running) {
            boolean again = false;
            boolean hurry = false;
            try {
                hurry = agent.tick().map(Assignment::hurry).orElse(false);
                again = agent.progressed();
            } catch (RuntimeException e) {
                log.error("agent tick failed", e); // keep looping: the next tick observes afresh
            }
            long now = System.nanoTime();
            if (hurry && !hurrying) {
                hurrySince = now;
            }
            hurrying = hurry;
            if (!again) {
                LockSupport.parkNanos(pause(interval, hurry, now - hurrySince).toNanos());
            }
        }
    }

    /** The pause before the next tick: the interval, or the hurried one while the hurry is young enough. */
    static Duration pause(Duration interval, boolean hurry, long hurriedForNanos) {
        if (hurry && hurriedForNanos < Timing.HURRY_AT_MOST.toNanos()
                && Timing.HURRIED_HEARTBEAT_INTERVAL.compareTo(interval) < 0) {
            return Timing.HURRIED_HEARTBEAT_INTERVAL;
        }
        return interval;
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
