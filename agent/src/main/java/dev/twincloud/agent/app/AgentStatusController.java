package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.Assignment;
import java.util.Optional;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** What the agent has reached and was last assigned: for people and the lab's status command. */
@RestController
class AgentStatusController {
    private final Agent agent;
    private final AgentProperties props;

    AgentStatusController(Agent agent, AgentProperties props) {
        this.agent = agent;
        this.props = props;
    }

    /**
     * @param incarnation   this run of the agent (its start in epoch ms), as in its reports
     * @param writesRefused whether it currently reports that its stopped database refuses writes on
     *                      any start (the fast path's proof)
     */
    record Status(String site, SiteState state, long epoch, String message, Optional<Assignment> lastAssignment,
                  long incarnation, boolean writesRefused) {
    }

    /**
     * The read lease as this site's API polls it (docs/design.md rule 10).
     *
     * @param remainingMs how long the API may still serve reads on it, counted from when it sent the request
     *                    (rounded down); 0 = no read lease
     */
    record ReadLeaseAnswer(String site, long epoch, long remainingMs) {
    }

    /**
     * Read-only, like the status: it grants nothing (the arbiter grants read leases) and says only how
     * long the one this agent holds lasts. An API that believed a forged answer could serve stale
     * reads, so the API asks its own site's agent only (loopback in the lab; the in-cluster Service).
     */
    @GetMapping("/v1/agent/read-lease")
    ReadLeaseAnswer readLease() {
        Agent.ReadLease l = agent.readLease();
        return new ReadLeaseAnswer(props.site(), l.epoch(), l.remaining().toMillis());
    }

    @GetMapping("/v1/agent/status")
    Status status() {
        return new Status(props.site(), agent.state(), agent.epoch(), agent.message(), agent.lastAssignment(),
                agent.incarnation(), agent.writesRefused());
    }
}
