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
 */
public enum Scenario {
    KILL_WRITER("kill-writer", "SIGKILL every process of the writer site; revive it after 6 s", 1, 1, true),
    FREEZE_WRITER("freeze-writer", "SIGSTOP the writer site for 6 s (a hung VM), then SIGCONT", 1, 1, true),
    PARTITION_WRITER_ARBITER("partition-writer-arbiter", "cut the writer from the arbiter for 6 s", 1, 1, true),
    PARTITION_SITES("partition-sites", "cut the replication link between the sites for 4 s", 0, 0, false),
    KILL_STANDBY("kill-standby", "SIGKILL the standby site; revive it after 4 s", 0, 0, false),
    KILL_ARBITER("kill-arbiter", "SIGKILL the arbiter; restart it after 2 s", 0, 0, false),
    KILL_WRITER_AGENT("kill-writer-agent", "SIGKILL the writer's agent only (database and API stay up); restart it after 6 s", 1, 1, true),
    SWITCHOVER("switchover", "planned switchover to the standby", 1, 1, false),
    FLAPPING_LINK("flapping-link", "cut the writer-arbiter link 5 times for 700 ms, 700 ms apart (shorter than the report timeout)", 0, 0, false),
    NONE("none", "no fault: the workload alone for 6 s (not part of 'all'; what a deployment's edge allows)", 0, 0, false),
    RANDOM("random", "2-3 faults drawn from a seeded random generator, at random times and for random durations", 0, -1, false);

    /** Phase before the first fault, so that every run starts with some healthy traffic. */
    public static final long LEAD_IN_MS = 1500;

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

    /** {@code all}, or a comma-separated list of ids, in order, without repeats. */
    public static List<Scenario> parse(String list) {
        Set<Scenario> out = new LinkedHashSet<>();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            if (part.trim().equalsIgnoreCase("all")) {
                Arrays.stream(values()).filter(s -> s != NONE).forEach(out::add);
            } else {
                out.add(byId(part));
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
            case PARTITION_SITES -> List.of(FaultStep.of(0, Action.PARTITION, "writer", "standby"),
                    FaultStep.of(4000, Action.HEAL, "writer", "standby"));
            case KILL_STANDBY -> List.of(FaultStep.of(0, Action.KILL, "standby"), FaultStep.of(4000, Action.REVIVE, "standby"));
            case KILL_ARBITER -> List.of(FaultStep.of(0, Action.KILL, "arbiter"), FaultStep.of(2000, Action.REVIVE, "arbiter"));
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
            case NONE -> List.of();
            case RANDOM -> random(seed);
        };
    }

    /** The scenarios a random schedule draws from (not itself, not flapping: that is many steps). */
    private static final List<Scenario> DRAWN = List.of(KILL_WRITER, FREEZE_WRITER, PARTITION_WRITER_ARBITER, PARTITION_SITES,
            KILL_STANDBY, KILL_ARBITER, KILL_WRITER_AGENT, SWITCHOVER);

    private static List<FaultStep> random(long seed) {
        Random r = new Random(seed);
        int faults = 2 + r.nextInt(2);
        List<FaultStep> steps = new ArrayList<>();
        long at = 0;
        for (int i = 0; i < faults; i++) {
            Scenario s = DRAWN.get(r.nextInt(DRAWN.size()));
            long hold = 1000 + r.nextInt(5000);
            List<FaultStep> base = s.schedule(seed);
            steps.add(base.get(0).shifted(at));
            if (base.size() > 1) {
                steps.add(new FaultStep(at + hold, base.get(1).action(), base.get(1).target(), base.get(1).other()));
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
        return (int) schedule.stream().filter(s -> s.action().fault && (s.target().equals("writer") || s.action() == Action.SWITCHOVER)).count();
    }
}
