package dev.twincloud.lab.drill;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * What a drill runs against: the lab it started (every fault, every database), or a deployment
 * reached only through its edge (the workload and the client-side checks; a planned switchover when
 * the arbiter's URL and operator token are given).
 */
public interface DrillTarget extends AutoCloseable {
    String describe();

    String edgeUrl();

    String token();

    /** The arbiter, when the drill may read its status and events. */
    Optional<String> arbiterUrl();

    String operatorToken();

    /** The edge's own status endpoint ({@code active} backend), or null when there is none to read. */
    String edgeStatusUrl();

    boolean canPlay(FaultStep.Action action);

    /** Whether this step can be played here: by default whether its action can; a lab also asks whether its target exists. */
    default boolean canPlay(FaultStep step) {
        return canPlay(step.action());
    }

    /** Plays one step on resolved sites ({@code gcp}, {@code aws}, {@code arbiter}). */
    void play(FaultStep.Action action, String target, String other) throws IOException;

    /** Plays one step with its length ({@code ms}: a delay's); by default as {@link #play(FaultStep.Action, String, String)}. */
    default void play(FaultStep.Action action, String target, String other, long ms) throws IOException {
        play(action, target, other);
    }

    /** A JDBC URL of a site's application database, when the drill can reach it straight. */
    default Optional<String> jdbcUrl(String site) {
        return Optional.empty();
    }

    /** The database role the API runs as: transactions opened straight on a database use it too. */
    default String databaseUser() {
        return "postgres";
    }

    /** Each site's API base URL, when the drill may read from the sites straight (bypassing the edge); else empty. */
    default java.util.Map<String, String> siteApiUrls() {
        return java.util.Map.of();
    }

    /**
     * Read-local active-active: the home entries' names and URLs ({@code edge-gcp}, {@code edge-aws}) the clients are
     * spread over; empty (the default): every client goes through {@link #edgeUrl()}.
     */
    default java.util.Map<String, String> homeEntryUrls() {
        return java.util.Map.of();
    }

    /**
     * One site's recordings of the run now, quickly (short timeouts: the site may be frozen); used to
     * keep a deposed writer's commits as evidence before it re-joins. Empty when it cannot be read.
     */
    default Optional<DbSnapshot> quickSnapshot(String site, String keyPrefix, double wallStartMillis) {
        return Optional.empty();
    }

    /**
     * Whether every part the steady state needs besides the sites is up: in a lab with two arbiter replicas,
     * both replicas live (one acting) and every etcd member healthy, so that a run never starts with a replica
     * still booting. True by default.
     */
    default boolean componentsReady() {
        return true;
    }

    /**
     * The arbiter's history (its events as JSON, oldest first) when this target reads it where the arbiter keeps
     * it: in a lab with two arbiter replicas each replica keeps only the events it recorded while it acted, and
     * {@code GET /v1/events} answers from the acting one, so a promotion recorded before a takeover would be
     * missing. Empty: ask the arbiter.
     */
    default Optional<List<tools.jackson.databind.JsonNode>> arbiterHistory() {
        return Optional.empty();
    }

    /**
     * The target's Prometheus and Alertmanager, when the drill may read them: then each run's alerts are judged
     * ({@link AlertCheck}) and its metrics drawn. Empty: alerts not checked.
     */
    default Optional<Monitoring> monitoring() {
        return Optional.empty();
    }

    /** The directory of the components' logs as {@code lab logs} reads them, for the report's excerpt around each fault. */
    default Optional<java.nio.file.Path> logsDir() {
        return Optional.empty();
    }

    /** Where the drill reads alerts and metrics, and how often that Prometheus scrapes and evaluates. */
    record Monitoring(String prometheusUrl, String alertmanagerUrl, java.time.Duration scrapeInterval,
                      java.time.Duration scrapeTimeout) {
    }

    /**
     * The restore drill ({@link FaultStep.Action#RESTORE_DRILL}): base backups where a store has none, a restore point
     * on the writer, a restore from each store to it; {@code extra} checks each restored copy further. Only a lab
     * with backups on can ({@link #canPlay(FaultStep.Action)} says so).
     */
    default List<dev.twincloud.lab.backup.RestoreDrill.Result> restoreDrill(dev.twincloud.lab.backup.RestoreDrill.ExtraCheck extra,
                                                                           java.util.function.Consumer<String> progress) throws IOException {
        throw new IOException("the restore drill needs the lab with backups on");
    }

    /** Undoes every fault: links healed, frozen processes thawed, dead ones started. */
    void restoreAll() throws IOException;

    /**
     * The run's recordings (keys starting with {@code keyPrefix}) on every site's database, with
     * commit times on the run's axis ({@code wallStartMillis} = wall time at 0 ms); empty when the
     * drill cannot read the databases.
     */
    List<DbSnapshot> snapshots(String keyPrefix, double wallStartMillis);

    @Override
    void close();
}
