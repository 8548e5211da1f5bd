package dev.twincloud.lab.drill;

import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.lab.supervisor.Http;
import java.io.IOException;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/** Samples the arbiter's status (and the lab edge's choice, where there is one) into the history. */
final class RoleSampler implements AutoCloseable {
    private final Thread thread;
    private volatile boolean stop;

    RoleSampler(String arbiterUrl, String operatorToken, String edgeStatusUrl, History history, long everyMs, Duration max) {
        this.history = history;
        long end = System.nanoTime() + max.toNanos();
        thread = Thread.ofVirtual().name("drill-sampler").start(() -> {
            while (!stop && System.nanoTime() < end) {
                sample(arbiterUrl, operatorToken, edgeStatusUrl).ifPresent(history::sample);
                try {
                    Thread.sleep(everyMs);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private final History history;

    private java.util.Optional<History.RoleSample> sample(String arbiterUrl, String token, String edgeStatusUrl) {
        double at = history.now();
        try {
            ArbiterStatus s = Http.get(arbiterUrl + "/v1/status", token).as(ArbiterStatus.class);
            String edge = null; // no edge status to read (a real deployment): assume it follows the writer
            if (edgeStatusUrl != null) {
                try {
                    JsonNode active = Http.get(edgeStatusUrl, null).json().path("active");
                    edge = active.isString() ? active.asString() : "";
                } catch (IOException | RuntimeException e) {
                    edge = "";
                }
            }
            return java.util.Optional.of(of(s, edge, at));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    static History.RoleSample of(ArbiterStatus s, String edgeActive, double at) {
        String w = s.writer().name();
        return new History.RoleSample(at, s.epoch(), w, s.writerSync(), s.standbyEligible(),
                s.writerState().map(Enum::name).orElse(""), s.standbyState().map(Enum::name).orElse(""),
                edgeActive == null ? w : edgeActive, s.mode() == Durability.ASYNC,
                !s.sites().isEmpty() && s.sites().values().stream().allMatch(ArbiterStatus.Site::fresh));
    }

    @Override
    public void close() {
        stop = true;
        thread.interrupt();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
