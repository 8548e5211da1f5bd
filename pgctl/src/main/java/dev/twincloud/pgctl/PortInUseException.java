package dev.twincloud.pgctl;

/** The TCP port chosen for a server is already bound by another process. */
public class PortInUseException extends PgException {
    private final int port;

    public PortInUseException(int port, String message) {
        super(message);
        this.port = port;
    }

    public int port() {
        return port;
    }
}
