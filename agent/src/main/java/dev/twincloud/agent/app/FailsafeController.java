package dev.twincloud.agent.app;

import dev.twincloud.agent.core.Agent;
import dev.twincloud.core.protocol.PromiseAnswer;
import dev.twincloud.core.protocol.PromiseRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/**
 * The failsafe, the standby's side (docs/design.md rule 9): {@code POST /v1/failsafe/promise}, asked by
 * the other site's agent with the agent token. A granted answer binds this agent: it will not promote
 * its database until the promise has ended plus the margin.
 */
@RestController
class FailsafeController {
    private final Agent agent;
    private final byte[] token;

    FailsafeController(Agent agent, AgentProperties props) {
        this.agent = agent;
        this.token = props.token().getBytes(StandardCharsets.UTF_8);
    }

    @PostMapping(path = "/v1/failsafe/promise")
    ResponseEntity<?> promise(@RequestHeader(name = "Authorization", required = false) String authorization,
                              @RequestBody PromiseRequest request) {
        if (!authorized(authorization)) {
            ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatus.UNAUTHORIZED,
                    "a promise request needs the agent token as 'Authorization: Bearer <token>'");
            p.setType(URI.create("https://twincloud.dev/problems/unauthorized"));
            p.setTitle("Unauthorized");
            return ResponseEntity.status(HttpStatus.UNAUTHORIZED).header("WWW-Authenticate", "Bearer").body(p);
        }
        PromiseAnswer answer = agent.considerPromise(request);
        return ResponseEntity.ok(answer);
    }

    private boolean authorized(String header) {
        if (header == null || !header.startsWith("Bearer ")) {
            return false;
        }
        return MessageDigest.isEqual(token, header.substring("Bearer ".length()).getBytes(StandardCharsets.UTF_8));
    }
}
