package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.BadRequest;
import dev.twincloud.core.protocol.OperatorRequest;

/** Checks the body of an operator endpoint ({@link OperatorRequest}) before the arbiter sees it. */
final class OperatorRequests {

    private OperatorRequests() {
    }

    /** {@code r} when it is complete; a 400 problem with what is missing otherwise. */
    static <R extends OperatorRequest> R checked(R r) {
        if (r == null) {
            throw new BadRequest("a JSON body is required");
        }
        r.problem().ifPresent(p -> {
            throw new BadRequest(p);
        });
        return r;
    }
}
