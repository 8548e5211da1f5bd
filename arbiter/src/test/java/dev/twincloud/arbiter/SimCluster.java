package dev.twincloud.arbiter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Two simulated agents heartbeating to an arbiter (over HTTP or directly), in rounds of 100 ms of
 * the test clock. Checks on every answer that no two sites ever hold a lease that may be valid at
 * the same time (ttl + margin by the arbiter's clock).
 */
public final class SimCluster {
    public static final SiteId GCP = SiteId.of("gcp");
    public static final SiteId AWS = SiteId.of("aws");
    public static final long ROUND_MILLIS = 100;

    public final SimAgent gcp;
    public final SimAgent aws;
    private final Function<AgentReport, Assignment> arbiter;
    private final TestClock clock;
    private final Duration leaseTtl;
    private final Duration margin;
    private final BooleanSupplier standbyEligible;
    private final Map<SiteId, Instant> lastLease = new HashMap<>();
    /** Leases that may still be valid: a site that reported itself fenced has released its lease. */
    private final Map<SiteId, Instant> mayBeValid = new HashMap<>();
    public final List<String> log = new ArrayList<>();

    /**
     * @param writer          the site currently (or initially) the writer: its simulated PostgreSQL starts as primary
     * @param standbyEligible reads the arbiter's eligibility flag (status)
     */
    public SimCluster(SiteId writer, Function<AgentReport, Assignment> arbiter, TestClock clock, Duration leaseTtl,
                      Duration margin, BooleanSupplier standbyEligible) {
        this.gcp = new SimAgent(GCP, writer.equals(GCP) ? DbRole.PRIMARY : DbRole.STANDBY);
        this.aws = new SimAgent(AWS, writer.equals(AWS) ? DbRole.PRIMARY : DbRole.STANDBY);
        this.arbiter = arbiter;
        this.clock = clock;
        this.leaseTtl = leaseTtl;
        this.margin = margin;
        this.standbyEligible = standbyEligible;
    }

    public SimAgent agent(SiteId site) {
        return site.equals(GCP) ? gcp : aws;
    }

    public SimAgent peer(SimAgent a) {
        return a == gcp ? aws : gcp;
    }

    /** The writer by the arbiter's latest answer. */
    public SimAgent writer() {
        Assignment a = gcp.last != null ? gcp.last : aws.last;
        if (aws.last != null && (a == null || aws.last.epoch() > a.epoch())) {
            a = aws.last;
        }
        return agent(a.writer());
    }

    public SimAgent standby() {
        return peer(writer());
    }

    /** One heartbeat of {@code a}, its answer applied. */
    public Assignment heartbeat(SimAgent a) {
        if (a.state == dev.twincloud.core.fsm.SiteState.FENCED && a.role == DbRole.DOWN) {
            mayBeValid.remove(a.site); // the agent expired its lease row before it reported FENCED
        }
        if (a.writesRefused && a.role == DbRole.DOWN) {
            mayBeValid.remove(a.site); // the fast path: its database refuses every write, lease or not
        }
        Assignment answer = arbiter.apply(a.report(peer(a)));
        Instant now = clock.instant();
        answer.lease().ifPresent(l -> {
            Instant other = mayBeValid.get(peer(a).site);
            assertThat(other == null || !other.plus(leaseTtl).plus(margin).isAfter(now))
                    .as("lease to %s at %s while %s's lease of %s may still be valid", a.site, now, peer(a).site, other)
                    .isTrue();
            lastLease.put(a.site, now);
            mayBeValid.put(a.site, now);
        });
        a.apply(answer);
        log.add(now + " " + a.site + " -> " + answer);
        return answer;
    }

    /** Streaming replication: a running standby has everything its running primary wrote. */
    private void replicate() {
        for (SimAgent a : List.of(gcp, aws)) {
            SimAgent p = peer(a);
            if (a.role == DbRole.STANDBY && p.role == DbRole.PRIMARY && !a.silent && !p.silent) {
                a.lsn = p.lsn;
            }
            if (a.role == DbRole.STANDBY && p.state == dev.twincloud.core.fsm.SiteState.FENCED && !a.silent) {
                a.lsn = Math.max(a.lsn, p.lsn); // the walsender streams the shutdown checkpoint before it exits
            }
        }
    }

    /** Every agent that is not silent sends one heartbeat; then 100 ms pass. */
    public void round() {
        replicate();
        for (SimAgent a : List.of(gcp, aws)) {
            if (!a.silent) {
                heartbeat(a);
            }
        }
        clock.advanceMillis(ROUND_MILLIS);
    }

    public Instant lastLeaseOf(SiteId site) {
        return lastLease.get(site);
    }

    /** The writer has a lease; in sync mode it runs sync with an eligible standby. */
    public boolean isSteady(boolean syncMode) {
        SimAgent w = writer();
        SimAgent s = peer(w);
        boolean leased = w.last != null && w.last.lease().isPresent();
        boolean following = s.state == dev.twincloud.core.fsm.SiteState.STANDBY;
        return leased && following && (!syncMode || (w.state == dev.twincloud.core.fsm.SiteState.PRIMARY_SYNC
                && standbyEligible.getAsBoolean()));
    }

    /** Rounds until {@link #isSteady}; at most 100 (10 s of test clock). Returns the rounds it took. */
    public int steady(boolean syncMode) {
        for (int i = 1; i <= 100; i++) {
            round();
            if (isSteady(syncMode)) {
                return i;
            }
        }
        throw new AssertionError("no steady state after 100 rounds: " + gcp + ", " + aws + "\n"
                + String.join("\n", log.subList(Math.max(0, log.size() - 10), log.size())));
    }

    /** Rounds while {@code condition} is false; at most {@code max}. */
    public int roundsUntil(BooleanSupplier condition, int max) {
        for (int i = 1; i <= max; i++) {
            round();
            if (condition.getAsBoolean()) {
                return i;
            }
        }
        throw new AssertionError("condition not reached after " + max + " rounds: " + gcp + ", " + aws + "\n"
                + String.join("\n", log.subList(Math.max(0, log.size() - 10), log.size())));
    }
}
