package dev.twincloud.lab.link;

/** A snapshot of one link, as the control API reports it. */
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
        long bytesBackward) {

    /** JSON object; names are ours (no quoting surprises beyond what {@link Json} handles). */
    public String toJson() {
        return "{\"name\":" + Json.quote(name)
                + ",\"from\":" + Json.quote(from)
                + ",\"to\":" + Json.quote(to)
                + ",\"listenPort\":" + listenPort
                + ",\"targetPort\":" + targetPort
                + ",\"state\":" + Json.quote(state.name())
                + ",\"connectionsAccepted\":" + connectionsAccepted
                + ",\"connectionsRejected\":" + connectionsRejected
                + ",\"connectionsOpen\":" + connectionsOpen
                + ",\"bytesForward\":" + bytesForward
                + ",\"bytesBackward\":" + bytesBackward + "}";
    }
}
