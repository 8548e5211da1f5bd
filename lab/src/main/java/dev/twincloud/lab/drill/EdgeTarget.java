package dev.twincloud.lab.drill;

import java.util.List;
import java.util.Optional;

/**
 * A deployment reached through its edge URL. The drill cannot kill, freeze or cut anything there:
 * it runs the workload and the client-side checks (duplicates, read-your-writes, acknowledgements
 * from the writer of the moment when the arbiter is readable); with the arbiter's URL and operator
 * token it can also play a planned switchover. Database checks need the lab.
 */
public final class EdgeTarget implements DrillTarget {
    private final String edge;
    private final String token;
    private final String arbiter;
    private final String operatorToken;

    public EdgeTarget(String edge, String token, String arbiter, String operatorToken) {
        this.edge = edge.endsWith("/") ? edge.substring(0, edge.length() - 1) : edge;
        this.token = token;
        this.arbiter = arbiter;
        this.operatorToken = operatorToken;
    }

    @Override
    public String describe() {
        return "deployment at " + edge + (arbiter == null ? " (no arbiter access)" : " (arbiter " + arbiter + ")");
    }

    @Override
    public String edgeUrl() {
        return edge;
    }

    @Override
    public String token() {
        return token;
    }

    @Override
    public Optional<String> arbiterUrl() {
        return Optional.ofNullable(arbiter).filter(a -> operatorToken != null);
    }

    @Override
    public String operatorToken() {
        return operatorToken;
    }

    @Override
    public String edgeStatusUrl() {
        return null;
    }

    @Override
    public boolean canPlay(FaultStep.Action action) {
        return action == FaultStep.Action.SWITCHOVER && arbiterUrl().isPresent();
    }

    @Override
    public void play(FaultStep.Action action, String target, String other) throws java.io.IOException {
        if (!canPlay(action)) {
            throw new IllegalStateException("cannot play " + action + " against a deployment");
        }
        Drill.switchover(arbiter, operatorToken, target);
    }

    @Override
    public void restoreAll() {
        // nothing was broken
    }

    @Override
    public List<DbSnapshot> snapshots(String keyPrefix, double wallStartMillis) {
        return List.of();
    }

    @Override
    public void close() {
    }
}
