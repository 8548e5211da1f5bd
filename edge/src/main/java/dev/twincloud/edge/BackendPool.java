package dev.twincloud.edge;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backends with their health, and the routing rule: send traffic to the healthy backend; if
 * several are healthy (twincloud's one-writer rule should prevent it), prefer the one healthy the
 * longest — the one clients already talk to — and count an anomaly. With the {@code lab} profile
 * (definitive answers count at once), when no backend is healthy the edge keeps sending traffic to
 * the one that turned unhealthy last through slow probes only ({@link HealthState#lastResort()}),
 * for at most {@link #LAST_RESORT_FOR}: a writer slowed down by load stays reachable instead of the
 * edge answering 503 itself; one that said "not the writer" is never used so.
 *
 * <p>In home mode ({@code --home NAME}, read-local: every site serves reads) the rule is different: traffic
 * goes to the home backend whenever it is healthy, to the other healthy backend (by the rule above) only while
 * home is not, and back to home as soon as home is healthy again. Several healthy backends are then the normal
 * case, not an anomaly.
 */
public final class BackendPool {

    private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

    /** A backend's health as shown by {@code /_edge/status}. */
    public record BackendStatus(Backend backend, boolean healthy, int consecutiveOk, int consecutiveFail,
                                Instant lastChange) {
    }

    /**
     * How long a writer that turned unhealthy through slow probes only keeps the traffic while no other
     * backend is healthy. Measured: without a bound a frozen writer kept it until the failover, and the
     * requests it swallowed hung for the client's whole timeout (freeze-writer RTO 3.1 -> 4.2 s).
     */
    static final java.time.Duration LAST_RESORT_FOR = java.time.Duration.ofMillis(500);

    private final Map<String, Backend> backends = new LinkedHashMap<>();
    private final Map<String, HealthState> states = new LinkedHashMap<>();
    private final EdgeMetrics metrics;
    private final Clock clock;
    /** The home backend's name (home mode), or null: follow the healthy one. */
    private final String home;

    public BackendPool(List<Backend> backends, int healthyThreshold, int unhealthyThreshold,
                       EdgeMetrics metrics, Clock clock) {
        this(backends, healthyThreshold, unhealthyThreshold, false, metrics, clock);
    }

    /** @param definitiveDownAtOnce see {@link HealthState}: a definitive "not the writer" turns a backend unhealthy at once */
    public BackendPool(List<Backend> backends, int healthyThreshold, int unhealthyThreshold, boolean definitiveDownAtOnce,
                       EdgeMetrics metrics, Clock clock) {
        this(backends, healthyThreshold, unhealthyThreshold, definitiveDownAtOnce, null, metrics, clock);
    }

    /** @param home the home backend's name (home mode), or null to follow the one healthy backend */
    public BackendPool(List<Backend> backends, int healthyThreshold, int unhealthyThreshold, boolean definitiveDownAtOnce,
                       String home, EdgeMetrics metrics, Clock clock) {
        this.metrics = metrics;
        this.clock = clock;
        this.home = home;
        Instant now = clock.instant();
        for (Backend b : backends) {
            this.backends.put(b.name(), b);
            this.states.put(b.name(), new HealthState(healthyThreshold, unhealthyThreshold, definitiveDownAtOnce, now));
        }
    }

    /** Feeds one probe result of {@code backend} into its state machine; logs a transition. */
    public void record(Backend backend, boolean success, String detail) {
        record(backend, new Prober.Result(success, detail));
    }

    /** Feeds one probe result of {@code backend} into its state machine; logs a transition. */
    public void record(Backend backend, Prober.Result result) {
        boolean success = result.ok();
        String detail = result.detail();
        metrics.probe(backend.name(), success);
        Optional<HealthState.Transition> t;
        synchronized (this) {
            t = states.get(backend.name()).record(success, result.definitive(), clock.instant());
        }
        t.ifPresent(tr -> {
            metrics.transition(backend.name(), tr.healthy());
            log.info("backend {} ({}) is now {} at {} after {} consecutive {}{} (last probe: {})",
                    backend.name(), backend.url(), tr.healthy() ? "HEALTHY" : "UNHEALTHY", tr.at(),
                    tr.consecutive(), tr.healthy() ? "successes" : "failures",
                    !tr.healthy() && result.definitive() ? ", the last one definitive" : "", detail);
            if (tr.healthy() && healthyCount() > 1 && home == null) {
                log.warn("ANOMALY: more than one backend is healthy; traffic stays on {}",
                        active().map(Backend::name).orElse("?"));
            }
        });
    }

    /** Whether some backend is healthy now (the last resort does not count). */
    public boolean anyHealthy() {
        return healthyCount() > 0;
    }

    /** The backend that should get traffic now, or empty when none is healthy. */
    public Optional<Backend> active() {
        return pick(false);
    }

    /** Like {@link #active()} but counts the per-request anomaly metric; used on the request path. */
    Optional<Backend> route() {
        return pick(true);
    }

    private Optional<Backend> pick(boolean countAnomaly) {
        String best = null;
        Instant bestSince = null;
        int healthyCount = 0;
        synchronized (this) {
            if (home != null && states.get(home).healthy()) {
                return Optional.of(backends.get(home));
            }
            for (Map.Entry<String, HealthState> e : states.entrySet()) {
                HealthState s = e.getValue();
                if (!s.healthy()) {
                    continue;
                }
                healthyCount++;
                // Ties keep declaration order: the first --backend wins.
                if (best == null || s.lastChange().isBefore(bestSince)) {
                    best = e.getKey();
                    bestSince = s.lastChange();
                }
            }
        }
        if (countAnomaly && healthyCount > 1 && home == null) {
            metrics.multipleHealthy();
        }
        if (best == null) {
            Instant now = clock.instant();
            synchronized (this) {
                for (Map.Entry<String, HealthState> e : states.entrySet()) {
                    HealthState s = e.getValue();
                    if (s.lastResort(now, LAST_RESORT_FOR) && (best == null || s.lastChange().isAfter(bestSince))) {
                        best = e.getKey();
                        bestSince = s.lastChange();
                    }
                }
            }
        }
        return Optional.ofNullable(best).map(backends::get);
    }

    private synchronized long healthyCount() {
        return states.values().stream().filter(HealthState::healthy).count();
    }

    public synchronized List<BackendStatus> status() {
        List<BackendStatus> out = new ArrayList<>();
        for (Backend b : backends.values()) {
            HealthState s = states.get(b.name());
            out.add(new BackendStatus(b, s.healthy(), s.consecutiveOk(), s.consecutiveFail(), s.lastChange()));
        }
        return out;
    }

    /** The home backend (home mode), or empty when this pool follows the healthy one. */
    public Optional<Backend> home() {
        return Optional.ofNullable(home).map(backends::get);
    }

    public List<Backend> backends() {
        return List.copyOf(backends.values());
    }
}
