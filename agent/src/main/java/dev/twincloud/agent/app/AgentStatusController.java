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

    @GetMapping("/v1/agent/status")
    Status status() {
        return new Status(props.site(), agent.state(), agent.epoch(), agent.message(), agent.lastAssignment(),
                agent.incarnation(), agent.writesRefused());
    }
}
