package dev.twincloud.core.fsm;

import static dev.twincloud.core.fsm.AgentAction.*;
import static dev.twincloud.core.fsm.SiteState.*;

import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The site state machine as data (after pg_auto_failover's fsm.c): the arbiter assigns a goal
 * state, the agent finds the row {@code (current, goal)} here and runs its action; the new state
 * is recorded only when the action succeeds. A goal with no row from the current state is a
 * protocol error, logged and not acted on.
 */
public final class TransitionTable {

    public static final List<Transition> ROWS = List.of(
            new Transition(INIT, PRIMARY_SYNC, "agent (re)started on the writer site: run as primary, sync", START_AS_PRIMARY),
            new Transition(INIT, PRIMARY_ASYNC, "agent (re)started on the writer site: run as primary, async", START_AS_PRIMARY),
            new Transition(INIT, STANDBY, "agent (re)started on a standby site: follow the writer", START_AS_STANDBY),
            new Transition(INIT, FENCED, "agent (re)started during a switchover away from this site: stay down", FENCE_AND_STOP_CLEAN),
            new Transition(INIT, DEMOTED, "agent (re)started on a site of an older epoch: fence and stop", FENCE_AND_STOP),
            new Transition(STANDBY, PRIMARY_ASYNC, "chosen as the new writer (epoch+1): promote", PROMOTE),
            new Transition(STANDBY, DEMOTED, "standby cannot follow the writer's timeline: stop and re-join", FENCE_AND_STOP),
            new Transition(PRIMARY_SYNC, PRIMARY_ASYNC, "standby lost: the arbiter lets the writer drop to async (rule 4)", SET_ASYNC),
            new Transition(PRIMARY_ASYNC, PRIMARY_SYNC, "standby caught up: restore synchronous replication", SET_SYNC),
            new Transition(PRIMARY_SYNC, FENCED, "planned switchover: stop writes now and shut down cleanly", FENCE_AND_STOP_CLEAN),
            new Transition(PRIMARY_ASYNC, FENCED, "planned switchover: stop writes now and shut down cleanly", FENCE_AND_STOP_CLEAN),
            new Transition(PRIMARY_SYNC, DEMOTED, "a newer epoch has another writer: stand down now", FENCE_AND_STOP),
            new Transition(PRIMARY_ASYNC, DEMOTED, "a newer epoch has another writer: stand down now", FENCE_AND_STOP),
            new Transition(FENCED, STANDBY, "switchover done: follow the new writer (clean shutdown, no rewind)", START_AS_STANDBY),
            new Transition(FENCED, PRIMARY_ASYNC, "switchover aborted: resume as writer", START_AS_PRIMARY),
            new Transition(FENCED, DEMOTED, "a newer epoch exists and this site's history may differ: re-join", FENCE_AND_STOP),
            new Transition(DEMOTED, STANDBY, "re-join: rewind onto the writer's timeline (or re-clone), then follow", REJOIN),
            new Transition(DEMOTED, PRIMARY_ASYNC, "operator forced this stopped site to be the writer: start it as primary", START_AS_PRIMARY));

    private TransitionTable() {
    }

    public static Optional<Transition> find(SiteState current, SiteState goal) {
        return ROWS.stream().filter(t -> t.from() == current && t.to() == goal).findFirst();
    }

    /** The state diagram in Mermaid syntax, generated from {@link #ROWS} for docs/failover.md. */
    public static String mermaid() {
        return ROWS.stream()
                .map(t -> "    " + t.from() + " --> " + t.to() + " : " + t.action())
                .collect(Collectors.joining("\n", "stateDiagram-v2\n    [*] --> INIT\n", "\n"));
    }

    /** The table as Markdown rows: from | to | action | why. */
    public static String markdown() {
        return ROWS.stream()
                .map(t -> "| " + t.from() + " | " + t.to() + " | `" + t.action() + "` | " + t.why() + " |")
                .collect(Collectors.joining("\n", "| from | to | action | why |\n|---|---|---|---|\n", "\n"));
    }
}
