package dev.twincloud.lab.link;

/** A snapshot of one link, as the control API reports it ({@code delayMs}: how long it holds each chunk). */
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
        long delayMs) {

    public String toJson() {
        return Json.write(this);
    }
}
