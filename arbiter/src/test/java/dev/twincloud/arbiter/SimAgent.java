package dev.twincloud.arbiter;

import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.Assignment;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.ReplicaInfo;
import dev.twincloud.core.protocol.SiteId;
import java.util.List;

/**
 * A stand-in for one site's agent and its PostgreSQL: it reaches every goal at once and reports
 * what it is, like the real agent would after its transition. Enough to drive the arbiter through
 * its flows; the real agent and PostgreSQL are tested in their own modules and in the lab.
 */
public final class SimAgent {
    public static final long SYSTEM_ID = 7_000_000_001L;

    public final SiteId site;
    public long epoch;
    public SiteState state = SiteState.INIT;
    public DbRole role;
    public long lsn = 0x1000;
    public long stopLsn;
    /** A silent agent sends no heartbeats (dead, frozen or cut off). */
    public boolean silent;
    public Assignment last;
    /** Each new simulated agent is a new agent process: a larger incarnation than any before it. */
    private static final java.util.concurrent.atomic.AtomicLong INCARNATIONS = new java.util.concurrent.atomic.AtomicLong();

    /** This agent process's run (0: an older agent that does not order its reports). */
    public long incarnation = INCARNATIONS.incrementAndGet();
    /** The sequence number of the last report built. */
    public long sequence;
    /** The fast path: the database is down and refuses writes (set with {@code role = DOWN}). */
    public boolean writesRefused;

    public SimAgent(SiteId site, DbRole role) {
        this.site = site;
        this.role = role;
    }

    public AgentReport report(SimAgent peer) {
        List<ReplicaInfo> replicas = role == DbRole.PRIMARY && !peer.silent && peer.role == DbRole.STANDBY
                ? List.of(new ReplicaInfo(peer.site.name(), "streaming", state == SiteState.PRIMARY_SYNC ? "sync" : "async",
                        new Lsn(peer.lsn), new Lsn(peer.lsn)))
                : List.of();
        AgentReport r = new AgentReport(site, epoch, state, role, SYSTEM_ID, 1, new Lsn(lsn), new Lsn(lsn), replicas,
                new Lsn(stopLsn), "", java.util.Optional.empty()).withWritesRefused(writesRefused);
        return incarnation == 0 ? r : r.withOrder(incarnation, ++sequence);
    }

    /** Reach the assigned goal at once. */
    public void apply(Assignment a) {
        last = a;
        epoch = a.epoch();
        switch (a.goal()) {
            case PRIMARY_SYNC, PRIMARY_ASYNC -> {
                state = a.goal();
                role = DbRole.PRIMARY;
                stopLsn = 0;
            }
            case STANDBY -> {
                state = SiteState.STANDBY;
                role = DbRole.STANDBY;
                stopLsn = 0;
            }
            case FENCED -> {
                if (state != SiteState.FENCED) {
                    stopLsn = lsn + 0x28; // where the shutdown checkpoint record begins
                    lsn = stopLsn + 0x78; // and ends: the server's last WAL
                }
                state = SiteState.FENCED;
                role = DbRole.DOWN;
            }
            case DEMOTED -> {
                state = SiteState.DEMOTED;
                role = DbRole.DOWN;
            }
            case INIT -> {
            }
        }
    }

    @Override
    public String toString() {
        return site + "[" + state + "/" + role + " epoch " + epoch + (silent ? ", silent" : "") + "]";
    }
}
