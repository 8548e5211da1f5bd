package dev.twincloud.lab.drill;

/**
 * One step of a fault schedule: at {@code atMs} after the fault phase begins, do {@code action} to a
 * role ({@code writer}, {@code standby}, resolved when the step plays) or to {@code arbiter}.
 *
 * @param other the second endpoint of a partition or heal ({@code arbiter}, {@code standby}), else empty
 */
public record FaultStep(long atMs, Action action, String target, String other) {
    public enum Action {
        KILL(true), REVIVE(false), FREEZE(true), THAW(false), PARTITION(true), HEAL(false),
        KILL_AGENT(true), START_AGENT(false), SWITCHOVER(true);

        /** true for a step that breaks something, false for one that repairs it */
        public final boolean fault;

        Action(boolean fault) {
            this.fault = fault;
        }
    }

    public static FaultStep of(long atMs, Action action, String target) {
        return new FaultStep(atMs, action, target, "");
    }

    public static FaultStep of(long atMs, Action action, String a, String b) {
        return new FaultStep(atMs, action, a, b);
    }

    public FaultStep shifted(long byMs) {
        return new FaultStep(atMs + byMs, action, target, other);
    }

    @Override
    public String toString() {
        return String.format("+%d ms %s %s%s", atMs, action.name().toLowerCase().replace('_', '-'), target,
                other.isEmpty() ? "" : " " + other);
    }
}
