package dev.twincloud.agent.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.core.decide.Decider;
import dev.twincloud.core.fsm.SiteState;
import dev.twincloud.core.protocol.AgentReport;
import dev.twincloud.core.protocol.DbRole;
import dev.twincloud.core.protocol.Lsn;
import dev.twincloud.core.protocol.SiteId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * What every {@link PostgresDriver} must do for the agent and the arbiter, whichever way it acts on
 * PostgreSQL: the local driver (real PostgreSQL processes) and the CloudNativePG driver (fabric8's mock
 * API server, the test playing CloudNativePG) both run these tests. Where the two legitimately
 * differ (a cleanly stopped writer is DOWN locally, a running replica with a demotion token on
 * CloudNativePG), the contract is what the arbiter accepts: {@link Decider#stoppedCleanly}.
 */
public abstract class PostgresDriverContract {
    protected static final SiteId GCP = SiteId.of("gcp");
    protected static final SiteId AWS = SiteId.of("aws");

    /** One site of the pair under test. */
    protected interface Site {
        PostgresDriver driver();

        /** Commits a row on this site (its database must be the primary); returns the position after it. */
        Lsn write();
    }

    /** gcp writing, aws streaming from it. */
    protected abstract Site writer();

    protected abstract Site standby();

    /** Lets the world react to what the drivers asked for (CloudNativePG's reconciliation); nothing locally. */
    protected abstract void settle();

    /** Runs a step until it is done, letting the world react in between; fails on a failed step. */
    protected StepResult.Done until(Supplier<StepResult> step) {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos(); // a shared, busy machine
        StepResult last = null;
        while (System.nanoTime() < deadline) {
            last = step.get();
            if (last instanceof StepResult.Done d) {
                return d;
            }
            assertThat(last).as("step failed").isNotInstanceOf(StepResult.Failed.class);
            settle();
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("step not done within 90 s; last: " + last);
    }

    /** The report the agent would send while FENCED after this site's stopClean. */
    private static AgentReport fencedReport(SiteId site, Observation o, PostgresDriver d) {
        return new AgentReport(site, 1, SiteState.FENCED, o.role(), o.systemId(), o.timeline(), o.writeLsn(), o.receiveLsn(),
                List.of(), d.stopLsn(), "", d.demotionToken());
    }

    @Test
    void theWriterObservesItsPrimaryAndTheStandbyItsStandby() {
        Lsn written = writer().write();
        Observation w = writer().driver().observe();
        assertThat(w.role()).isEqualTo(DbRole.PRIMARY);
        assertThat(w.writeLsn().isAtLeast(written)).isTrue();
        Observation s = standby().driver().observe();
        assertThat(s.role()).isEqualTo(DbRole.STANDBY);
        assertThat(s.systemId()).as("one database").isEqualTo(w.systemId());
    }

    @Test
    void aCleanStopLeavesADatabaseThatCannotWriteAndAStopPointPastTheLastWrite() {
        Lsn written = writer().write();
        until(() -> writer().driver().stopClean());
        Observation o = writer().driver().observe();
        assertThat(o.role()).isNotEqualTo(DbRole.PRIMARY);
        assertThat(writer().driver().stopLsn().isAtLeast(written)).as("stop point %s after the last write %s",
                writer().driver().stopLsn(), written).isTrue();
        assertThat(Decider.stoppedCleanly(fencedReport(GCP, o, writer().driver())))
                .as("the arbiter counts it as stopped cleanly: %s", o).isTrue();
    }

    @Test
    void fencingLeavesNoServerAnswering() {
        writer().write();
        until(() -> writer().driver().stopNow());
        assertThat(writer().driver().observe().role()).isEqualTo(DbRole.DOWN);
    }

    @Test
    void aPlannedSwitchoverPromotesTheStandbyAndTheOldWriterFollowsIt() {
        Lsn written = writer().write();
        until(() -> writer().driver().stopClean());
        Lsn stop = writer().driver().stopLsn();
        // what the arbiter waits for before it promotes: the target has received past the stop position (the
        // shutdown checkpoint record that begins there), not only up to it
        until(() -> {
            Lsn received = standby().driver().observe().receiveLsn();
            return received.compareTo(stop) > 0 ? StepResult.done() : StepResult.retry("received " + received + ", stop position " + stop);
        });
        Optional<String> token = writer().driver().demotionToken();
        until(() -> standby().driver().promote(token));
        Observation promoted = standby().driver().observe();
        assertThat(promoted.role()).isEqualTo(DbRole.PRIMARY);
        assertThat(promoted.writeLsn().isAtLeast(written)).as("nothing lost").isTrue();

        until(() -> writer().driver().followWriter(AWS));
        assertThat(writer().driver().observe().role()).isEqualTo(DbRole.STANDBY);
        assertThat(writer().driver().demotionToken()).as("a spent token is not reported again").isEmpty();
    }

    @Test
    void anUnplannedPromotionNeedsNoToken() {
        writer().write();
        until(() -> writer().driver().stopNow());
        until(() -> standby().driver().promote(Optional.empty()));
        assertThat(standby().driver().observe().role()).isEqualTo(DbRole.PRIMARY);
    }
}
