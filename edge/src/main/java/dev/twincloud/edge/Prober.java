package dev.twincloud.edge;

/** Checks one backend once. Implementations must return within the configured timeout. */
@FunctionalInterface
public interface Prober {

    /** Outcome of one probe; {@code detail} is for logs (status code or error). */
    record Result(boolean ok, String detail) {
    }

    Result probe(Backend backend);
}
