package dev.twincloud.lab.drill;

import static dev.twincloud.lab.drill.Scenario.*;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which alerts each drill scenario expects, and which it allows (docs/reliability.md, "Alerts"). The data, next to
 * the scenarios; {@link AlertCheck} judges a run by it.
 *
 * <p>The lab's Prometheus evaluates the production rules unchanged (deploy/helm/twincloud-site/monitoring/
 * twincloud.rules.yaml), only more often (every 2 s), so an alert with a {@code for} longer than a scenario's fault
 * cannot fire in a drill: of the rules only {@code TwincloudFailover} (no {@code for}) reacts to a 4-6 s fault.
 * A scenario that fails over <b>expects</b> it after every unplanned promotion (FAILOVER or FORCED_PROMOTION) the
 * arbiter records, within the rule's {@code for} plus two scrape intervals plus the scrape timeout (docs/reliability.md).
 * <b>Allowed</b> alerts are what the fault does when the machine is slow: the new writer streams to nobody until the
 * old one re-joins (SYNC mode degraded for over 10 s), a revived JVM not answering scrapes for 30 s (and, the one
 * arbiter revived, no arbiter acting for as long; a database stopped for a switchover down until it answers). Anything else that
 * fires during a run — in {@code none} and {@code load}: anything at all — is an unexplained alert and fails the run.
 */
public final class ScenarioAlerts {
    public static final String FAILOVER = "TwincloudFailover";
    public static final String SYNC_DEGRADED = "TwincloudSyncDegradedToAsync";
    public static final String REPLICATION_BROKEN = "TwincloudReplicationBroken";
    public static final String COMPONENT_DOWN = "TwincloudComponentDown";
    public static final String NO_ACTING_ARBITER = "TwincloudNoActingArbiter";
    public static final String POSTGRES_DOWN = "TwincloudPostgresDown";
    public static final String NO_WRITER = "TwincloudNoWriter";
    public static final String STANDBY_NOT_ELIGIBLE = "TwincloudStandbyNotEligible";
    public static final String WRITER_WITHOUT_LEASE = "TwincloudWriterWithoutLease";
    public static final String LEASE_RENEWALS_FAILING = "TwincloudLeaseRenewalsFailing";
    public static final String ARBITER_UNREACHABLE = "TwincloudArbiterUnreachable";

    /**
     * What a scenario declares.
     *
     * @param failoverAlert {@link #FAILOVER} is expected after every unplanned promotion of the run (none when the
     *                      scenario may, but did not, fail over)
     * @param allowed       alerts the fault may fire, not required to
     */
    public record Declared(boolean failoverAlert, Set<String> allowed) {
        public Declared {
            allowed = Set.copyOf(allowed);
        }

        /** Every alert name it mentions. */
        public Set<String> names() {
            Set<String> s = new TreeSet<>(allowed);
            if (failoverAlert) {
                s.add(FAILOVER);
            }
            return s;
        }
    }

    /** The writer is replaced: the new one replicates to nobody until the old one re-joins. */
    private static final Set<String> AFTER_FAILOVER = Set.of(SYNC_DEGRADED, REPLICATION_BROKEN);

    private static final Map<Scenario, Declared> TABLE = new EnumMap<>(Scenario.class);

    static {
        // fail over: the alert must fire
        // the old writer, revived, re-joins only once its agent's JVM has started: 47 s cold on a slow machine (CI's
        // short set, 2026-12-01), and not eligible for the alert's minute
        failover(KILL_WRITER, COMPONENT_DOWN, STANDBY_NOT_ELIGIBLE);
        failover(FREEZE_WRITER);
        failover(ISOLATE_WRITER);
        failover(KILL_WRITER_AGENT, COMPONENT_DOWN);
        failover(PAUSE_WRITER_AGENT);
        failover(LONG_TXNS_DEPOSED);
        // may fail over: when it does, the alert must fire
        failover(PAUSE_WRITER_POSTMASTER);
        failover(SLOW_WRITER_ARBITER);
        failover(KILL_WRITER_POSTMASTER); // when the restart outlasts the lease (a loaded machine)
        // random composes the faults below, so it may do what they do — and what their combination does: it may kill
        // the one arbiter while the standby cannot promise (partitioned, or re-joining after a failover), no failsafe
        // then; the revived arbiter took 15.8 s to start on a loaded machine (2026-12-01, the active-active drill), so
        // the writer held no lease, and got no renewal, for longer than the rules' 15 s, the agents reached no arbiter
        // and no arbiter acted; and the old writer, re-joining on that machine, was not eligible for a minute. It may
        // cut both sites from the arbiter and freeze the writer's site for a minute (2026-12-02, seed 301): no site can
        // be promoted (the arbiter hears neither) and the frozen writer reports no state, so no site is the writer
        failover(RANDOM, COMPONENT_DOWN, WRITER_WITHOUT_LEASE, LEASE_RENEWALS_FAILING, ARBITER_UNREACHABLE,
                NO_ACTING_ARBITER, STANDBY_NOT_ELIGIBLE, NO_WRITER);
        // no failover
        quiet(PARTITION_WRITER_ARBITER);
        quiet(PARTITION_ARBITER_STANDBY);
        quiet(PARTITION_ARBITER);
        // a switchover is no failover: TwincloudFailover stays quiet. A slow machine: the one arbiter restarted takes
        // over 30 s to answer, so no arbiter acts, no site holds a lease and the old writer's database, stopped for the
        // switchover, stays down
        quiet(ARBITER_RESTART_OLD_STATE, COMPONENT_DOWN, NO_ACTING_ARBITER, ARBITER_UNREACHABLE, POSTGRES_DOWN, NO_WRITER);
        quiet(SWITCHOVER, SYNC_DEGRADED, REPLICATION_BROKEN); // the old writer re-joins as the standby
        quiet(PARTITION_SITES, SYNC_DEGRADED, REPLICATION_BROKEN);
        quiet(KILL_STANDBY, SYNC_DEGRADED, REPLICATION_BROKEN, COMPONENT_DOWN);
        // the one arbiter, revived: no arbiter acts, and the agents reach none, until it answers
        quiet(KILL_ARBITER, COMPONENT_DOWN, NO_ACTING_ARBITER, ARBITER_UNREACHABLE);
        quiet(KILL_ACTING_ARBITER, COMPONENT_DOWN);
        quiet(KILL_ETCD_MEMBER);
        quiet(ROLLING_RESTART_ARBITER, COMPONENT_DOWN);
        quiet(FLAPPING_LINK);
        quiet(PAUSE_WRITER_API);
        quiet(DELAY_WRITER_ARBITER);
        quiet(DELAY_REPLICATION, SYNC_DEGRADED);
        quiet(KILL_STANDBY_POSTMASTER, SYNC_DEGRADED, REPLICATION_BROKEN);
        // no fault at all: no alert
        quiet(NONE);
        quiet(LOAD);
        quiet(RESTORE); // base backups, restore point and restores touch no site's health
    }

    private ScenarioAlerts() {
    }

    private static void failover(Scenario s, String... allowed) {
        Set<String> a = new TreeSet<>(AFTER_FAILOVER);
        a.addAll(List.of(allowed));
        TABLE.put(s, new Declared(true, a));
    }

    private static void quiet(Scenario s, String... allowed) {
        TABLE.put(s, new Declared(false, Set.of(allowed)));
    }

    /** What {@code s} declares. */
    public static Declared of(Scenario s) {
        Declared d = TABLE.get(s);
        if (d == null) {
            throw new IllegalStateException("scenario " + s.id + " declares no alerts: add it to ScenarioAlerts");
        }
        return d;
    }
}
