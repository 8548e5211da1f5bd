package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.stereotype.Component;

/**
 * {@code GET /actuator/readlease}: the read lease as this site's API polls it (docs/design.md rule 10),
 * on the actuator's listener — plain HTTP that only this site reaches (the lab binds it to loopback; in
 * a cluster the Service's management port, admitted by the NetworkPolicy from this site's API pods and
 * the monitoring namespaces), never the API port the other site reaches. Read-only: it grants nothing
 * (the arbiter grants read leases) and says only how long the one this agent holds lasts. An API that
 * believed a forged answer could serve stale reads, so the API asks its own site's agent only.
 */
@Component
@Endpoint(id = "readlease")
class ReadLeaseEndpoint {
    private final Agent agent;
    private final AgentProperties props;

    ReadLeaseEndpoint(Agent agent, AgentProperties props) {
        this.agent = agent;
        this.props = props;
    }

    /**
     * @param remainingMs how long the API may still serve reads on it, counted from when it sent the request
     *                    (rounded down); 0 = no read lease
     */
    record Answer(String site, long epoch, long remainingMs) {
    }

    @ReadOperation
    Answer readLease() {
        Agent.ReadLease l = agent.readLease();
        return new Answer(props.site(), l.epoch(), l.remaining().toMillis());
    }
}
