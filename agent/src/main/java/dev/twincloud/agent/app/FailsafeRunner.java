package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * The failsafe, the writer's side (docs/design.md rule 9), beside the heartbeat loop (which may be
 * waiting on an unreachable arbiter): once per heartbeat interval, when the agent says it needs one,
 * asks the other site's agent for a promise and hands the answer back with the request's {@code t0}.
 * Off when {@code twincloud.agent.peer-agent-url} is unset.
 */
@Component
class FailsafeRunner {
    private static final Logger log = LoggerFactory.getLogger(FailsafeRunner.class);

    private final Agent agent;
    private final Optional<URI> promiseUrl;
    private final Duration interval;
    private final JsonPost post;
    private volatile boolean running = true;
    private Thread loop;

    FailsafeRunner(Agent agent, AgentProperties props, JsonMapper json) {
        this.agent = agent;
        this.promiseUrl = Optional.ofNullable(props.peerAgentUrl()).map(u -> u.resolve("/v1/failsafe/promise"));
        this.interval = props.heartbeatInterval();
        this.post = JsonPost.of(props.token(), props.httpTimeout(), json);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        if (promiseUrl.isEmpty()) {
            log.warn("failsafe off: twincloud.agent.peer-agent-url is not set, so this site's lease lasts only while "
                    + "the arbiter renews it");
            return;
        }
        log.info("failsafe on: promises asked of {} after {} ms without a grant", promiseUrl.get(),
                Agent.FAILSAFE_AFTER.toMillis());
        loop = Thread.ofPlatform().name("agent-failsafe").daemon(true).start(this::run);
    }

    private void run() {
        while (running) {
            long started = System.nanoTime();
            try {
                agent.promiseToAskFor(started).ifPresent(this::ask);
            } catch (RuntimeException e) {
                log.warn("failsafe round failed: {}", e.toString());
            }
            long wait = interval.toNanos() - (System.nanoTime() - started);
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
        }
    }

    private void ask(PromiseRequest request) {
        long t0 = System.nanoTime(); // docs/design.md rule 2: before the request leaves
        PromiseAnswer answer;
        try {
            answer = post.send(promiseUrl.orElseThrow(), request, PromiseAnswer.class, "peer agent");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (IOException | RuntimeException e) {
            agent.promiseAnswered(request, PromiseAnswer.refuse(request.epoch(), "no answer from the peer agent: " + e.getMessage()), t0);
            return;
        }
        agent.promiseAnswered(request, answer, t0);
    }

    @PreDestroy
    void stop() throws InterruptedException {
        running = false;
        if (loop != null) {
            loop.interrupt();
            loop.join(2000);
        }
    }
}
