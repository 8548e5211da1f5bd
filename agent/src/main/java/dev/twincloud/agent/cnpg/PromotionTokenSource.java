package dev.twincloud.agent.cnpg;

import java.util.Optional;

/**
 * Where a promoting agent gets the old primary's demotion token. The two Clusters live in different
 * Kubernetes clusters, so the token travels outside Kubernetes (through the arbiter, which already
 * carries the old writer's stop position). Empty: promote without a token (unplanned failover; the
 * arbiter has already proven the promotion safe by lease expiry and eligibility).
 */
@FunctionalInterface
public interface PromotionTokenSource {
    PromotionTokenSource NONE = Optional::empty;

    Optional<String> promotionToken();
}
