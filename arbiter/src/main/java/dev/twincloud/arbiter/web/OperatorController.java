package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.ArbiterProperties;
import dev.twincloud.arbiter.service.BadRequest;
import dev.twincloud.arbiter.service.Leadership;
import dev.twincloud.core.decide.Event;
import dev.twincloud.core.protocol.ArbiterHistory;
import dev.twincloud.core.protocol.ArbiterStatus;
import dev.twincloud.core.protocol.OperatorRequest;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The operator's endpoints: status (agents may read it too), planned switchover, forced promotion,
 * durability mode, the event history and the report history (the viewer token may read status,
 * events and history). Each action answers with the event it recorded; a request
 * the decider refuses is a 409 problem with its reason.
 */
@RestController
class OperatorController {

    static final int MAX_EVENTS = 1000;

    private final Leadership arbiter;
    private final ArbiterProperties props;

    OperatorController(Leadership arbiter, ArbiterProperties props) {
        this.arbiter = arbiter;
        this.props = props;
    }

    @GetMapping("/v1/status")
    ArbiterStatus status() {
        var a = arbiter.current();
        return StatusView.of(a.snapshot(), props.tickInterval(), props.stateDir().toAbsolutePath().normalize().toString());
    }

    /** The last minutes of the writer's WAL position and the standbys' lag, for the status page's chart. */
    @GetMapping("/v1/history")
    ArbiterHistory history() {
        return arbiter.current().reportHistory();
    }

    @PostMapping("/v1/switchover")
    ResponseEntity<Event> switchover(@RequestBody OperatorRequest.Switchover body) {
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(arbiter.current().switchover(OperatorRequests.checked(body).to()));
    }

    @PostMapping("/v1/promote")
    ResponseEntity<Event> promote(@RequestBody OperatorRequest.Promote body) {
        OperatorRequests.checked(body);
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(arbiter.current().forcePromote(body.site(), body.operator(), body.reason()));
    }

    @PostMapping("/v1/restored")
    ResponseEntity<Event> restored(@RequestBody OperatorRequest.Restored body) {
        OperatorRequests.checked(body);
        return ResponseEntity.status(HttpStatus.ACCEPTED).body(arbiter.current().restored(body.site(), body.operator(), body.what()));
    }

    @PostMapping("/v1/mode")
    Event mode(@RequestBody OperatorRequest.Mode body) {
        return arbiter.current().setMode(OperatorRequests.checked(body).mode());
    }

    @GetMapping("/v1/events")
    List<Event> events(@RequestParam(defaultValue = "100") int limit) {
        if (limit < 1 || limit > MAX_EVENTS) {
            throw new BadRequest("limit must be between 1 and " + MAX_EVENTS + ", got " + limit);
        }
        return arbiter.current().events(limit);
    }
}
