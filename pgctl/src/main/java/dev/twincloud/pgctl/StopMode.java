package dev.twincloud.pgctl;

import java.util.Locale;

/** pg_ctl shutdown modes. */
public enum StopMode {
    /** Wait for all clients to disconnect. */
    SMART,
    /** Roll back open transactions, checkpoint, stop: a clean shutdown. */
    FAST,
    /** Exit at once; crash recovery on next start. Closest to a host crash short of SIGKILL. */
    IMMEDIATE;

    String pgCtlName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The signal to the postmaster that asks for this mode (PostgreSQL's pmsignal: TERM, INT, QUIT). */
    String signalName() {
        return switch (this) {
            case SMART -> "TERM";
            case FAST -> "INT";
            case IMMEDIATE -> "QUIT";
        };
    }
}
