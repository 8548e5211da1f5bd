package dev.twincloud.lab.drill;

import dev.twincloud.lab.drill.FaultStep.Action;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * The drill scenarios: a fault schedule in roles ({@code writer}, {@code standby}, {@code arbiter}),
 * and how many promotions a correct system performs under it. Fault times are relative to the start
 * of the fault phase; every schedule ends with its own repair, and the drill heals everything after it.
 * In {@code all} the postmaster-only kills come last of the fixed scenarios: a site whose agent does not
 * start its PostgreSQL again leaves the lab unsteady for what follows.
 */
public enum Scenario {
    KILL_WRITER("kill-writer", "SIGKILL every process of the writer site; revive it after 6 s", 1, 1, true),
    FREEZE_WRITER("freeze-writer", "SIGSTOP the writer site for 6 s (a hung VM), then SIGCONT", 1, 1, true),
    PARTITION_WRITER_ARBITER("partition-writer-arbiter", "cut the writer from the arbiter for 6 s: the writer keeps its "
            + "lease on the standby's promises (failsafe, docs/design.md rule 9) and nobody is promoted", 0, 0, false),
    ISOLATE_WRITER("isolate-writer", "cut the writer from the arbiter and from the standby for 6 s (clients still reach it): "
            + "no renewal, no promise, so its lease ends and the standby is promoted", 1, 1, true),
    PARTITION_ARBITER_STANDBY("partition-arbiter-from-standby", "cut the standby from the arbiter for 6 s: nothing changes "
            + "for the writer", 0, 0, false),
    PARTITION_ARBITER("partition-arbiter", "cut the arbiter from both sites for 6 s: the writer keeps writing on the "
            + "standby's promises (failsafe), nobody is promoted", 0, 0, false),
    ARBITER_RESTART_OLD_STATE("arbiter-restart-old-state", "save the arbiter's state, switch over (a new epoch), then "
            + "restart the arbiter from the saved, older state: it must refuse both sites loudly (an alert) while the writer "
            + "writes on (failsafe); then the current state is put back", 1, 1, false),
    PARTITION_SITES("partition-sites", "cut the replication link between the sites for 4 s", 0, 0, false),
    KILL_STANDBY("kill-standby", "SIGKILL the standby site; revive it after 4 s", 0, 0, false),
    KILL_ARBITER("kill-arbiter", "SIGKILL the arbiter (with two replicas: both); restart it after 2 s (the writer writes on the "
            + "standby's promises)", 0, 0, false),
    KILL_ACTING_ARBITER("kill-acting-arbiter", "two arbiter replicas only: SIGKILL the acting replica; the other acts once the dead "
            + "one's etcd lease has run out (up to 3 s, plus a retry period and loading the state), the writer writing on the "
            + "standby's promises meanwhile; start the killed one again after 8 s", 0, 0, false),
    KILL_ETCD_MEMBER("kill-etcd-member", "two arbiter replicas only: SIGKILL etcd's raft leader, one of its three members; the "
            + "other two elect a leader and the arbiter goes on (nothing visible); start it again after 4 s", 0, 0, false),
    ROLLING_RESTART_ARBITER("rolling-restart-arbiter", "two arbiter replicas only: restart the replicas one at a time, the acting "
            + "one last (SIGTERM: it gives its etcd lease back), as a rolling update does: no promotion, writes go on", 0, 0, false),
    KILL_WRITER_AGENT("kill-writer-agent", "SIGKILL the writer's agent only (database and API stay up); restart it after 6 s", 1, 1, true),
    SWITCHOVER("switchover", "planned switchover to the standby", 1, 1, false),
    FLAPPING_LINK("flapping-link", "cut the writer-arbiter link 5 times for 700 ms, 700 ms apart (shorter than the report timeout)", 0, 0, false),
    PAUSE_WRITER_AGENT("pause-writer-agent", "SIGSTOP the writer's agent alone for 5 s (longer than the lease ttl), then SIGCONT: "
            + "no heartbeat, no renewal, so the lease ends and the standby is promoted; the agent wakes up deposed", 1, 1, true),
    PAUSE_WRITER_API("pause-writer-api", "SIGSTOP the writer's API alone for 5 s, then SIGCONT: the agent and the database are "
            + "fine, so nobody is promoted (writes wait for the API)", 0, 0, false),
    PAUSE_WRITER_POSTMASTER("pause-writer-postmaster", "SIGSTOP the writer's postmaster process alone (not its backends) for 5 s, "
            + "then SIGCONT: open connections keep working, new ones hang; a failover is allowed, not required", 0, 1, false),
    LONG_TXNS_DEPOSED("long-txns-deposed", "BEGIN; INSERT; hold: transactions straight on the writer's database as the API's "
            + "role (one committed at once), then cut the writer from the arbiter and the standby; COMMIT the held ones "
            + "after the failover, before the heal: every COMMIT must be refused", 1, 1, true),
    DELAY_WRITER_ARBITER("delay-writer-arbiter", "delay every byte between the writer and the arbiter by 200 ms each way for 5 s "
            + "(above the heartbeat interval, a round trip under the agent's 500 ms request timeout): no failover", 0, 0, false),
    SLOW_WRITER_ARBITER("slow-writer-arbiter", "delay the writer-arbiter link by 1000 ms each way for 5 s (under the ttl, above "
            + "the agent's request timeout): heartbeats and reports arrive late and out of step; a failover is allowed", 0, 1, false),
    DELAY_REPLICATION("delay-replication", "delay the replication link between the sites by 300 ms each way for 5 s: sync "
            + "commits slow down, nothing is lost, nobody is promoted", 0, 0, false),
    KILL_WRITER_POSTMASTER("kill-writer-postmaster", "SIGKILL the writer's postmaster alone; its agent must start PostgreSQL "
            + "again within its lease (no failover; one is allowed: a restart that outlasts the lease on a loaded machine, figures in "
            + "PostmasterKillBenchmark); checked after 6 s", 0, 1, false),
    KILL_STANDBY_POSTMASTER("kill-standby-postmaster", "SIGKILL the standby's postmaster alone; its agent must start it again "
            + "and sync replication come back (no failover); checked after 6 s", 0, 0, false),
    NONE("none", "no fault: the workload alone for 6 s (not part of 'all'; what a deployment's edge allows)", 0, 0, false),
    LOAD("load", "no fault, under load: the maximum write rate through the edge is measured first (closed loop, 8 clients, "
            + "10 s), then writes run open-loop at half of it for 60 s beside the usual clients; passes only with 0 "
            + "edge-made 503s and 0 promotions (not part of 'all')", 0, 0, false),
    RESTORE("restore", "no fault: the restore drill while the workload writes (needs backups on: TWINCLOUD_LAB_BACKUPS=on): "
            + "a base backup into each store, a restore point on the writer, a restore from each store alone to it, compared "
            + "with the writer at that point and with every write acknowledged before it (not part of 'all')", 0, 0, false),
    RANDOM("random", "2-3 faults drawn from a seeded random generator, at random times and for random durations", 0, -1, false);

    /** Phase before the first fault, so that every run starts with some healthy traffic. */
    public static final long LEAD_IN_MS = 1500;

    /** {@code load}: how long the maximum write rate is measured, closed loop, before the run. */
    public static final java.time.Duration LOAD_MEASURE = java.time.Duration.ofSeconds(10);
    /** {@code load}: closed-loop clients of the measurement (as {@code wrk -c8} in issue 11). */
    public static final int LOAD_MEASURE_CLIENTS = 8;
    /** {@code load}: the open-loop rate, as a fraction of the measured maximum. */
    public static final double LOAD_FRACTION = 0.5;
    /** {@code load}: the most open-loop writes in flight; a write due while all are taken is skipped and counted. */
    public static final int LOAD_MAX_IN_FLIGHT = 256;
    /** {@code load}: how long the open loop runs. */
    public static final long LOAD_MS = 60_000;

    /**
     * How much longer than other scenarios' the workload of a run may last: {@code restore} takes base backups and
     * restores while the clients write (minutes on the lab's 2 cores).
     */
    public java.time.Duration extraRunTime() {
        return this == RESTORE ? java.time.Duration.ofMinutes(10) : java.time.Duration.ZERO;
    }

    /** How long a schedule without faults lasts: {@value #LOAD_MS} ms for {@code load}, 6 s otherwise. */
    public long quietPhaseMs() {
        return this == LOAD ? LOAD_MS : 6000;
    }

    public final String id;
    public final String description;
    public final int minFailovers;
    /** -1: up to the number of faults that hit the writer (random schedules) */
    public final int maxFailovers;
    /** an unplanned failover is expected: the RTO is measured */
    public final boolean unplanned;

    Scenario(String id, String description, int minFailovers, int maxFailovers, boolean unplanned) {
        this.id = id;
        this.description = description;
        this.minFailovers = minFailovers;
        this.maxFailovers = maxFailovers;
        this.unplanned = unplanned;
    }

    public static Scenario byId(String id) {
        for (Scenario s : values()) {
            if (s.id.equals(id.trim().toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown scenario '" + id + "'; known: all, " + ids());
    }

    public static String ids() {
        return String.join(", ", Arrays.stream(values()).map(s -> s.id).toList());
    }

    /** The scenarios that need two arbiter replicas on etcd ({@code lab drill --arbiter-replicas 2}). */
    public static final Set<Scenario> NEED_REPLICAS = java.util.EnumSet.of(KILL_ACTING_ARBITER, KILL_ETCD_MEMBER, ROLLING_RESTART_ARBITER);
    /** The scenarios that need one arbiter on the file store (they copy its state file). */
    public static final Set<Scenario> NEED_ONE_ARBITER = java.util.EnumSet.of(ARBITER_RESTART_OLD_STATE);

    /** Whether this scenario can run on a lab with {@code arbiterReplicas} arbiter replicas. */
    public boolean runsWith(int arbiterReplicas) {
        return arbiterReplicas > 1 ? !NEED_ONE_ARBITER.contains(this) : !NEED_REPLICAS.contains(this);
    }

    /** {@code all}, or a comma-separated list of ids, in order, without repeats; for a lab with one arbiter. */
    public static List<Scenario> parse(String list) {
        return parse(list, 1);
    }

    /**
     * {@code all} (every fault scenario that runs with {@code arbiterReplicas}: with two, the replica
     * scenarios instead of {@code arbiter-restart-old-state}), or a comma-separated list of ids, in order,
     * without repeats; {@code -id} leaves out a scenario listed before it ({@code all,-random}); a listed
     * scenario that cannot run with that many replicas is refused, saying why.
     */
    public static List<Scenario> parse(String list, int arbiterReplicas) {
        Set<Scenario> out = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            if (part.trim().startsWith("-")) {
                Scenario s = byId(part.trim().substring(1));
                if (!out.remove(s)) {
                    throw new IllegalArgumentException("-" + s.id + " leaves out a scenario not listed before it");
                }
                continue;
            }
            if (part.trim().equalsIgnoreCase("all")) {
                Arrays.stream(values()).filter(s -> s != NONE && s != LOAD && s != RESTORE && s.runsWith(arbiterReplicas)).forEach(out::add);
            } else {
                Scenario s = byId(part);
                if (!s.runsWith(arbiterReplicas)) {
                    throw new IllegalArgumentException(s.id + (NEED_REPLICAS.contains(s)
                            ? " needs a drill lab with two arbiter replicas (--arbiter-replicas 2)"
                            : " needs a drill lab with one arbiter (it restores the arbiter's state file; with two replicas the state is in etcd)"));
                }
                out.add(s);
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no scenario given; known: all, " + ids());
        }
        return List.copyOf(out);
    }

    /** The schedule; {@code random} draws it from {@code seed} (the same seed, the same schedule). */
    public List<FaultStep> schedule(long seed) {
        return switch (this) {
            case KILL_WRITER -> List.of(FaultStep.of(0, Action.KILL, "writer"), FaultStep.of(6000, Action.REVIVE, "writer"));
            case FREEZE_WRITER -> List.of(FaultStep.of(0, Action.FREEZE, "writer"), FaultStep.of(6000, Action.THAW, "writer"));
            case PARTITION_WRITER_ARBITER -> List.of(FaultStep.of(0, Action.PARTITION, "writer", "arbiter"),
                    FaultStep.of(6000, Action.HEAL, "writer", "arbiter"));
            case ISOLATE_WRITER -> List.of(FaultStep.of(0, Action.PARTITION, "writer", "arbiter"),
                    FaultStep.of(0, Action.PARTITION, "writer", "standby"),
                    FaultStep.of(6000, Action.HEAL, "writer", "arbiter"), FaultStep.of(6000, Action.HEAL, "writer", "standby"));
            case PARTITION_ARBITER_STANDBY -> List.of(FaultStep.of(0, Action.PARTITION, "standby", "arbiter"),
                    FaultStep.of(6000, Action.HEAL, "standby", "arbiter"));
            case PARTITION_ARBITER -> List.of(FaultStep.of(0, Action.PARTITION, "writer", "arbiter"),
                    FaultStep.of(0, Action.PARTITION, "standby", "arbiter"),
                    FaultStep.of(6000, Action.HEAL, "writer", "arbiter"), FaultStep.of(6000, Action.HEAL, "standby", "arbiter"));
            case ARBITER_RESTART_OLD_STATE -> List.of(FaultStep.of(0, Action.SAVE_ARBITER_STATE, "arbiter"),
                    FaultStep.of(200, Action.SWITCHOVER, "standby"),
                    FaultStep.of(3000, Action.RESTART_ARBITER_FROM_SAVED, "arbiter"),
                    FaultStep.of(7000, Action.CHECK_ARBITER_REFUSES, "arbiter"));
            case PARTITION_SITES -> List.of(FaultStep.of(0, Action.PARTITION, "writer", "standby"),
                    FaultStep.of(4000, Action.HEAL, "writer", "standby"));
            case KILL_STANDBY -> List.of(FaultStep.of(0, Action.KILL, "standby"), FaultStep.of(4000, Action.REVIVE, "standby"));
            case KILL_ARBITER -> List.of(FaultStep.of(0, Action.KILL, "arbiter"), FaultStep.of(2000, Action.REVIVE, "arbiter"));
            case KILL_ACTING_ARBITER -> List.of(FaultStep.of(0, Action.KILL, ACTING_ARBITER),
                    FaultStep.of(8000, Action.REVIVE, ACTING_ARBITER));
            case KILL_ETCD_MEMBER -> List.of(FaultStep.of(0, Action.KILL, ETCD_LEADER), FaultStep.of(4000, Action.REVIVE, ETCD_LEADER));
            case ROLLING_RESTART_ARBITER -> List.of(FaultStep.of(0, Action.ROLLING_RESTART_ARBITER, "arbiter"));
            case KILL_WRITER_AGENT -> List.of(FaultStep.of(0, Action.KILL_AGENT, "writer"), FaultStep.of(6000, Action.START_AGENT, "writer"));
            case SWITCHOVER -> List.of(FaultStep.of(0, Action.SWITCHOVER, "standby"));
            case FLAPPING_LINK -> {
                List<FaultStep> l = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    l.add(FaultStep.of(i * 1400L, Action.PARTITION, "writer", "arbiter"));
                    l.add(FaultStep.of(i * 1400L + 700, Action.HEAL, "writer", "arbiter"));
                }
                yield List.copyOf(l);
            }
            case PAUSE_WRITER_AGENT -> pause("agent");
            case PAUSE_WRITER_API -> pause("api");
            case PAUSE_WRITER_POSTMASTER -> pause("postgres");
            case KILL_WRITER_POSTMASTER -> List.of(FaultStep.of(0, Action.KILL_POSTGRES, "writer"),
                    FaultStep.of(POSTMASTER_CHECK_MS, Action.CHECK_POSTGRES, "writer"));
            case KILL_STANDBY_POSTMASTER -> List.of(FaultStep.of(0, Action.KILL_POSTGRES, "standby"),
                    FaultStep.of(POSTMASTER_CHECK_MS, Action.CHECK_POSTGRES, "standby"));
            case LONG_TXNS_DEPOSED -> List.of(FaultStep.of(0, Action.OPEN_TXNS, "writer"),
                    FaultStep.of(300, Action.PARTITION, "writer", "arbiter"),
                    FaultStep.of(300, Action.PARTITION, "writer", "standby"),
                    FaultStep.of(5500, Action.COMMIT_TXNS, "writer"),
                    FaultStep.of(6500, Action.HEAL, "writer", "arbiter"),
                    FaultStep.of(6500, Action.HEAL, "writer", "standby"));
            case DELAY_WRITER_ARBITER -> List.of(FaultStep.delay(0, "writer", "arbiter", 200),
                    FaultStep.of(5000, Action.UNDELAY, "writer", "arbiter"));
            case SLOW_WRITER_ARBITER -> List.of(FaultStep.delay(0, "writer", "arbiter", 1000),
                    FaultStep.of(5000, Action.UNDELAY, "writer", "arbiter"));
            case DELAY_REPLICATION -> List.of(FaultStep.delay(0, "writer", "standby", 300),
                    FaultStep.of(5000, Action.UNDELAY, "writer", "standby"));
            case NONE, LOAD -> List.of();
            case RESTORE -> List.of(FaultStep.of(0, Action.RESTORE_DRILL, "writer"));
            case RANDOM -> random(seed);
        };
    }

    /** The fault targets of the replica scenarios, resolved by the lab when the step plays (docs/lab.md). */
    public static final String ACTING_ARBITER = "acting-arbiter";
    public static final String ETCD_LEADER = "etcd-leader";

    /** How long after a postmaster-only kill the drill checks that its agent started it again. */
    public static final long POSTMASTER_CHECK_MS = 6000;
    /** How long a pause of one component lasts: longer than the lab's lease ttl (2.5 s). */
    public static final long PAUSE_MS = 5000;

    private static List<FaultStep> pause(String component) {
        return List.of(FaultStep.of(0, Action.PAUSE, "writer", component), FaultStep.of(PAUSE_MS, Action.RESUME, "writer", component));
    }

    /** The scenarios a random schedule draws from (not itself, not flapping: that is many steps). */
    private static final List<Scenario> DRAWN = List.of(KILL_WRITER, FREEZE_WRITER, PARTITION_WRITER_ARBITER, ISOLATE_WRITER,
            PARTITION_ARBITER_STANDBY, PARTITION_ARBITER, PARTITION_SITES,
            KILL_STANDBY, KILL_ARBITER, KILL_WRITER_AGENT, SWITCHOVER, PAUSE_WRITER_AGENT, PAUSE_WRITER_API, PAUSE_WRITER_POSTMASTER,
            KILL_WRITER_POSTMASTER, KILL_STANDBY_POSTMASTER, LONG_TXNS_DEPOSED, DELAY_WRITER_ARBITER, SLOW_WRITER_ARBITER,
            DELAY_REPLICATION);

    /** Drawn with their own timing (a check, or several steps in a set order), shifted as a whole. */
    private static final List<Scenario> FIXED_TIMING = List.of(KILL_WRITER_POSTMASTER, KILL_STANDBY_POSTMASTER, LONG_TXNS_DEPOSED,
            ISOLATE_WRITER, PARTITION_ARBITER);

    private static List<FaultStep> random(long seed) {
        Random r = new Random(seed);
        int faults = 2 + r.nextInt(2);
        List<FaultStep> steps = new ArrayList<>();
        long at = 0;
        for (int i = 0; i < faults; i++) {
            Scenario s = DRAWN.get(r.nextInt(DRAWN.size()));
            long hold = 1000 + r.nextInt(5000);
            List<FaultStep> base = s.schedule(seed);
            if (FIXED_TIMING.contains(s)) {
                for (FaultStep b : base) {
                    steps.add(b.shifted(at));
                }
            } else {
                steps.add(base.get(0).shifted(at));
                if (base.size() > 1) {
                    steps.add(base.get(1).at(at + hold));
                }
            }
            at += 500 + r.nextInt(4000); // the next fault may come while this one still holds
        }
        steps.sort(Comparator.comparingLong(FaultStep::atMs));
        return List.copyOf(steps);
    }

    /** The most promotions a correct system performs under {@code schedule}. */
    public int maxFailovers(List<FaultStep> schedule) {
        if (maxFailovers >= 0) {
            return maxFailovers;
        }
        return (int) schedule.stream().filter(s -> s.action().fault && s.action() != Action.OPEN_TXNS
                && (s.target().equals("writer") || s.action() == Action.SWITCHOVER)).count();
    }
}
