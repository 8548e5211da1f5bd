package dev.twincloud.core.decide;

import dev.twincloud.core.protocol.SiteId;
import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the arbiter's history: every decision that changes something is recorded. In JSON
 * {@code kind} is the {@link EventKind}'s name.
 */
public record Event(Instant at, EventKind kind, long epoch, SiteId site, String why) {

    public Event {
        Objects.requireNonNull(kind, "kind");
    }
}
