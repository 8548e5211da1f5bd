package dev.twincloud.core.fsm;

import java.util.Objects;

/** One row of the site state machine: from, to, the one-line why, and the action that gets there. */
public record Transition(SiteState from, SiteState to, String why, AgentAction action) {
    public Transition {
        Objects.requireNonNull(from);
        Objects.requireNonNull(to);
        Objects.requireNonNull(why);
        Objects.requireNonNull(action);
    }
}
