package dev.twincloud.lab.link;

/**
 * A snapshot of one link, as the control API reports it ({@code delayMs}: how long it holds each chunk
 * as a fault; {@code latencyForwardMs} / {@code latencyBackwardMs}: the steady one-way latency from
 * {@code from} to {@code to} and back).
 */
@com.fasterxml.jackson.annotation.JsonIgnoreProperties(ignoreUnknown = true)
public record LinkStatus(
        String name,
        String from,
        String to,
        int listenPort,
        int targetPort,
        LinkState state,
        long connectionsAccepted,
        long connectionsRejected,
        int connectionsOpen,
        long bytesForward,
        long bytesBackward,
        long delayMs,
        long latencyForwardMs,
        long latencyBackwardMs) {

    /** From JSON: a lab started before latencies existed sends none; they are 0, not an error. */
    @com.fasterxml.jackson.annotation.JsonCreator
    static LinkStatus fromJson(
            @com.fasterxml.jackson.annotation.JsonProperty("name") String name,
            @com.fasterxml.jackson.annotation.JsonProperty("from") String from,
            @com.fasterxml.jackson.annotation.JsonProperty("to") String to,
            @com.fasterxml.jackson.annotation.JsonProperty("listenPort") int listenPort,
            @com.fasterxml.jackson.annotation.JsonProperty("targetPort") int targetPort,
            @com.fasterxml.jackson.annotation.JsonProperty("state") LinkState state,
            @com.fasterxml.jackson.annotation.JsonProperty("connectionsAccepted") long connectionsAccepted,
            @com.fasterxml.jackson.annotation.JsonProperty("connectionsRejected") long connectionsRejected,
            @com.fasterxml.jackson.annotation.JsonProperty("connectionsOpen") int connectionsOpen,
            @com.fasterxml.jackson.annotation.JsonProperty("bytesForward") long bytesForward,
            @com.fasterxml.jackson.annotation.JsonProperty("bytesBackward") long bytesBackward,
            @com.fasterxml.jackson.annotation.JsonProperty("delayMs") long delayMs,
            @com.fasterxml.jackson.annotation.JsonProperty("latencyForwardMs") Long latencyForwardMs,
            @com.fasterxml.jackson.annotation.JsonProperty("latencyBackwardMs") Long latencyBackwardMs) {
        return new LinkStatus(name, from, to, listenPort, targetPort, state, connectionsAccepted, connectionsRejected,
                connectionsOpen, bytesForward, bytesBackward, delayMs, latencyForwardMs == null ? 0 : latencyForwardMs,
                latencyBackwardMs == null ? 0 : latencyBackwardMs);
    }

    public String toJson() {
        return Json.write(this);
    }
}
