package dev.twincloud.arbiter.web;

import dev.twincloud.arbiter.service.BadRequest;
import dev.twincloud.core.protocol.Durability;
import dev.twincloud.core.protocol.SiteId;

/** The bodies of the operator endpoints, each checked for what it needs before the arbiter sees it. */
final class OperatorRequests {

    private OperatorRequests() {
    }

    /** {@code POST /v1/switchover}. */
    record Switchover(SiteId to) {
        SiteId target() {
            if (to == null) {
                throw new BadRequest("'to' is required: the site to move the writer to");
            }
            return to;
        }
    }

    /** {@code POST /v1/promote}: only forced promotions; automatic promotion is the arbiter's job. */
    record Promote(SiteId site, Boolean force, String reason, String operator) {
        void check() {
            if (site == null) {
                throw new BadRequest("'site' is required: the site to promote");
            }
            if (!Boolean.TRUE.equals(force)) {
                throw new BadRequest("only forced promotions can be requested (\"force\": true): the arbiter promotes "
                        + "automatically when it can prove it safe; forcing skips those checks and is recorded");
            }
            if (reason == null || reason.isBlank()) {
                throw new BadRequest("'reason' is required: a forced promotion is recorded with why");
            }
            if (operator == null || operator.isBlank()) {
                throw new BadRequest("'operator' is required: a forced promotion is recorded with who");
            }
        }
    }

    /** {@code POST /v1/mode}. */
    record Mode(Durability mode) {
        Durability value() {
            if (mode == null) {
                throw new BadRequest("'mode' is required: SYNC or ASYNC");
            }
            return mode;
        }
    }
}
