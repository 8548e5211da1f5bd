package dev.twincloud.lab.link;

/** What a link does with traffic. */
public enum LinkState {
    /** Forwards bytes both ways. */
    UP,
    /**
     * Fails fast: open connections are reset (RST), new ones are accepted and reset at once. Models
     * a path whose failure both ends notice promptly (a dead host, a router answering "unreachable").
     */
    CUT,
    /**
     * Freezes: connections stay open, nothing passes; bytes wait in the link and in kernel buffers and
     * flow again on heal, as TCP retransmission would deliver them. New connections are accepted but
     * not connected onwards until the link heals. Models a real partition where packets vanish: each
     * side finds out only through its own timeouts.
     */
    BLACKHOLE
}
