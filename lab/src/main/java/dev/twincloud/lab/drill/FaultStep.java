package dev.twincloud.lab.drill;

/**
 * One step of a fault schedule: at {@code atMs} after the fault phase begins, do {@code action} to a
 * role ({@code writer}, {@code standby}, resolved when the step plays) or to {@code arbiter}.
 *
 * @param other the second endpoint of a partition, heal or delay ({@code arbiter}, {@code standby}); the
 *              component of a pause ({@code agent}, {@code api}, {@code postgres}); else empty
 * @param ms    a delay's length in milliseconds (0 for every other action)
 */
public record FaultStep(long atMs, Action action, String target, String other, long ms) {
    public enum Action {
        KILL(true), REVIVE(false), FREEZE(true), THAW(false), PARTITION(true), HEAL(false),
        KILL_AGENT(true), START_AGENT(false), SWITCHOVER(true),
        /** SIGSTOP one component of a site only ({@code other}: agent, api, or postgres = the postmaster process alone) */
        PAUSE(true),
        /** SIGCONT what PAUSE stopped */
        RESUME(false),
        /** SIGKILL the site's postmaster process only (its backends then exit by themselves); the agent and API live */
        KILL_POSTGRES(true),
        /**
         * The repair of KILL_POSTGRES, by the system itself: its agent must have started PostgreSQL again.
         * When it has not, the drill restarts the agent (which starts it) and the run does not count as settled.
         */
        CHECK_POSTGRES(false),
        /** hold every byte on the links between target and other for {@code ms} */
        DELAY(true),
        /** clear the delay */
        UNDELAY(false),
        /**
         * Open transactions straight on the target's database (BEGIN; INSERT a recording; hold), as the
         * API's database role: one is committed at once (under the lease), the others held
         */
        OPEN_TXNS(true),
        /** COMMIT the held transactions; each outcome goes into the history */
        COMMIT_TXNS(false),
        /** Copy the arbiter's durable state aside (for RESTART_ARBITER_FROM_SAVED) */
        SAVE_ARBITER_STATE(false),
        /** SIGKILL the arbiter, keep its current state aside, start it again from the saved (older) state */
        RESTART_ARBITER_FROM_SAVED(true),
        /**
         * The repair of RESTART_ARBITER_FROM_SAVED: the arbiter must be refusing the sites (an epoch alert);
         * then it is killed, its current state put back, and started again. Without the alert the run does
         * not count as settled.
         */
        CHECK_ARBITER_REFUSES(false),
        /**
         * Restart the arbiter replicas one at a time, the acting one last (two replicas only); planned, like a
         * switchover, so it has no repair step
         */
        ROLLING_RESTART_ARBITER(true),
        /**
         * The restore drill against the lab's stores while the workload writes ({@code restore}, docs/backups.md): a base
         * backup into each store that has none, a restore point on the writer, a restore from each store to it, compared
         * with the writer and with the writes acknowledged before it. Breaks nothing, so it has no repair step
         */
        RESTORE_DRILL(false);

        /** true for a step that breaks something, false for one that repairs it */
        public final boolean fault;

        Action(boolean fault) {
            this.fault = fault;
        }
    }

    public FaultStep(long atMs, Action action, String target, String other) {
        this(atMs, action, target, other, 0);
    }

    public static FaultStep of(long atMs, Action action, String target) {
        return new FaultStep(atMs, action, target, "");
    }

    public static FaultStep of(long atMs, Action action, String a, String b) {
        return new FaultStep(atMs, action, a, b);
    }

    public static FaultStep delay(long atMs, String a, String b, long ms) {
        return new FaultStep(atMs, Action.DELAY, a, b, ms);
    }

    public FaultStep shifted(long byMs) {
        return new FaultStep(atMs + byMs, action, target, other, ms);
    }

    /** The same step at another time. */
    public FaultStep at(long newAtMs) {
        return new FaultStep(newAtMs, action, target, other, ms);
    }

    @Override
    public String toString() {
        return String.format("+%d ms %s %s%s%s", atMs, action.name().toLowerCase().replace('_', '-'), target,
                other.isEmpty() ? "" : " " + other, ms == 0 ? "" : " " + ms + " ms");
    }

    /** Thrown by a repair step that found the system had not repaired itself (the drill then did). */
    public static final class NotSelfHealed extends java.io.IOException {
        public NotSelfHealed(String message) {
            super(message);
        }
    }
}
