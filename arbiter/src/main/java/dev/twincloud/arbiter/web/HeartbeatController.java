package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.Leadership;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code POST /v1/heartbeat} (agent token): an agent's {@link AgentReport} in, its {@link Assignment} out. */
@RestController
class HeartbeatController {

    private final Leadership arbiter;

    HeartbeatController(Leadership arbiter) {
        this.arbiter = arbiter;
    }

    @PostMapping(path = "/v1/heartbeat", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    Assignment heartbeat(@RequestBody AgentReport report) {
        return arbiter.current().heartbeat(report);
    }
}
