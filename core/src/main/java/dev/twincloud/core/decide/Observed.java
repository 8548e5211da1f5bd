package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.AgentReport;
import java.time.Instant;

/** A heartbeat and when the arbiter received it (by the arbiter's clock). */
public record Observed(AgentReport report, Instant receivedAt) {
}
