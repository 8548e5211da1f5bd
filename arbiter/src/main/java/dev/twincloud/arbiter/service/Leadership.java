package dev.twincloud.arbiter.service;

import java.util.Optional;

/**
 * Which arbiter process acts. With one replica it always is this one ({@link #sole}); with several,
 * only the replica holding the election has an {@link ArbiterService} (see
 * {@code dev.twincloud.arbiter.election.ElectedArbiter}). The web layer, the tick and the gauges go
 * through here, never to a service directly, so a replica that is not elected answers nothing but
 * "not the leader".
 */
public interface Leadership {

    /** The service while this process may act; empty otherwise. */
    Optional<ArbiterService> leading();

    /** The elected replica's identity as last seen ("" when unknown or not elected). */
    String leader();

    /** One line for logs, status and the health endpoint. */
    String describe();

    /** The service, or {@link NotLeader} naming the leader when this process may not act. */
    default ArbiterService current() {
        return leading().orElseThrow(() -> new NotLeader(describe()));
    }

    /** The one-replica case: always this process. */
    static Leadership sole(ArbiterService service) {
        return new Leadership() {
            @Override
            public Optional<ArbiterService> leading() {
                return Optional.of(service);
            }

            @Override
            public String leader() {
                return "";
            }

            @Override
            public String describe() {
                return "single arbiter (no leader election)";
            }
        };
    }
}
