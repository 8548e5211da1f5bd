package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;

/** One entry of the arbiter's history: every decision that changes something is recorded. */
public record Event(Instant at, String kind, long epoch, SiteId site, String why) {
}
