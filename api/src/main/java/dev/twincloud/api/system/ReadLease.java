package dev.twincloud.api.system;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The read lease of this site's standby (docs/design.md rule 10), polled from this site's agent
 * ({@code twincloud.api.reads.read-lease-url}, its {@code /actuator/readlease}; unset: no read lease,
 * the standby serves reads only within its staleness bound). While it holds, the writer runs
 * synchronous with this standby: every write acknowledged before a read began has been flushed here,
 * so the read fence lets this standby serve reads once replay has reached what it has flushed, with no
 * staleness bound — also after the writer is lost, until this site is promoted or the lease ends.
 *
 * <p>Timing: the agent answers how much of its lease is left; that is counted from when this poll
 * was <em>sent</em> (before the agent read its clock), so the lease ends here no later than at the
 * agent, which ends it before the arbiter does (rule 2's arithmetic). Each answer replaces the last
 * (a shorter or void lease takes effect at once); a failed poll keeps the last deadline, which was
 * already a bound. Polled every {@code twincloud.api.reads.read-lease-poll} (100 ms) on a thread of its own.
 */
@Component
public class ReadLease implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(ReadLease.class);

    private final URI url;
    private final Duration poll;
    private final JsonMapper json;
    private final LongSupplier nanoTime;
    private final HttpClient client;
    /** The lease's end on {@link System#nanoTime()}, and its epoch; {@code held} false = none. */
    private volatile long endNanos;
    private volatile long epoch;
    private volatile boolean held;
    private volatile Thread poller;
    private volatile String lastProblem;

    @Autowired
    ReadLease(@Value("${twincloud.api.reads.read-lease-url:}") String url,
              @Value("${twincloud.api.reads.read-lease-poll:100ms}") Duration poll,
              JsonMapper json) {
        this(url, poll, json, System::nanoTime);
    }

    ReadLease(String url, Duration poll, JsonMapper json, LongSupplier nanoTime) {
        if (url != null && !url.isBlank() && !(url.startsWith("http://") || url.startsWith("https://"))) {
            throw new IllegalArgumentException("twincloud.api.reads.read-lease-url must be an http(s) URL of this site's agent "
                    + "(.../actuator/readlease), got '" + url + "'");
        }
        if (poll.isNegative() || poll.isZero()) {
            throw new IllegalArgumentException("twincloud.api.reads.read-lease-poll must be positive");
        }
        this.url = url == null || url.isBlank() ? null : URI.create(url);
        this.poll = poll;
        this.json = json;
        this.nanoTime = nanoTime;
        this.client = this.url == null ? null : HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
    }

    /** Whether an agent is configured to ask. */
    public boolean configured() {
        return url != null;
    }

    /** Whether the read lease holds at {@code nanos} ({@link System#nanoTime()}). */
    public boolean holdsAt(long nanos) {
        return held && endNanos - nanos > 0;
    }

    /** Whether the read lease holds now. */
    public boolean holds() {
        return holdsAt(nanoTime.getAsLong());
    }

    /** How much of it is left now, in ms (0: none). */
    public long remainingMillis() {
        return held ? Math.max(0, Duration.ofNanos(endNanos - nanoTime.getAsLong()).toMillis()) : 0;
    }

    public long epoch() {
        return epoch;
    }

    /** One poll: the answer replaces the lease; a failure keeps it (its deadline was already a bound). */
    void pollOnce() {
        long sent = nanoTime.getAsLong();
        try {
            HttpResponse<String> r = client.send(HttpRequest.newBuilder(url).timeout(Duration.ofMillis(500)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                problem("the agent answered " + r.statusCode());
                return;
            }
            accept(sent, json.readTree(r.body()));
            lastProblem = null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            problem(e.toString());
        }
    }

    /** The agent's answer to a poll sent at {@code sentNanos}. */
    void accept(long sentNanos, JsonNode answer) {
        long remaining = answer.path("remainingMs").asLong(0);
        epoch = answer.path("epoch").asLong(0);
        if (remaining <= 0) {
            held = false;
            return;
        }
        endNanos = sentNanos + Duration.ofMillis(remaining).toNanos();
        held = true;
    }

    private void problem(String what) {
        if (!what.equals(lastProblem)) {
            log.warn("read lease: cannot ask the agent at {}: {} (the last lease, if any, runs out on its own)", url, what);
        }
        lastProblem = what;
    }

    private void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            pollOnce();
            try {
                Thread.sleep(poll);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void start() {
        if (url != null && poller == null) {
            poller = Thread.ofPlatform().name("read-lease-poll").daemon().start(this::loop);
        }
    }

    @Override
    public void stop() {
        Thread t = poller;
        poller = null;
        if (t != null) {
            t.interrupt();
        }
        held = false;
    }

    @Override
    public boolean isRunning() {
        return poller != null;
    }
}
