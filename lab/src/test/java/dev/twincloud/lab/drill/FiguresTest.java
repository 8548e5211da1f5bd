package dev.twincloud.lab.drill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.twincloud.lab.drill.History.Op;
import dev.twincloud.lab.drill.History.OpType;
import dev.twincloud.lab.drill.History.Outcome;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FiguresTest {

    @Test
    void medianP95AndMaxByNearestRank() {
        List<Double> v = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            v.add((double) i);
        }
        Figures f = Figures.of(v);
        assertThat(f.n()).isEqualTo(20);
        assertThat(f.median()).isEqualTo(10.5);
        assertThat(f.p95()).isEqualTo(19.0);
        assertThat(f.max()).isEqualTo(20.0);
        assertThat(Figures.of(List.of(3.0)).p95()).isEqualTo(3.0);
    }

    @Test
    void notApplicableValuesAreLeftOut() {
        Figures f = Figures.of(List.of(Double.NaN, 5.0, 1.0, 3.0));
        assertThat(f.n()).isEqualTo(3);
        assertThat(f.median()).isEqualTo(3.0);
        assertThat(Figures.of(List.of(Double.NaN)).n()).isZero();
    }

    static Op w(double complete, boolean ok, String site) {
        return new Op(0, OpType.WRITE, "k" + complete, complete - 5, complete, ok ? Outcome.OK : Outcome.FAIL, ok ? 201 : 503, site,
                "id", 1, 200, 1, false);
    }

    @Test
    void rtoIsFaultToTheFirstWriteAcknowledgedByAnotherSiteAndUnavailabilityTheLongestGap() {
        History h = History.of(List.of(w(900, true, "gcp"), w(1100, true, "gcp"), w(2000, false, ""), w(4200, true, "aws"),
                        w(4300, true, "aws")),
                List.of(), List.of(new History.RoleSample(5000, 2, "aws", true, true, "PRIMARY_SYNC", "STANDBY", "aws")));
        Checker.Result none = new Checker.Result(List.of(), 4, 0, 0, 0, List.of());
        RunFigures f = RunFigures.measure(h, 1000, 4500, 4400, "gcp", true, 1, 1, 1, none);
        assertThat(f.rtoMs()).isEqualTo(3200);
        assertThat(f.writeUnavailMs()).isEqualTo(3100); // 1100 -> 4200
        assertThat(f.inSyncMs()).isEqualTo(500);
        assertThat(f.writeAttemptsFailed()).isEqualTo(1);
    }

    /**
     * Write outage counts only time in which writes were refused or went unanswered: a slow stretch with
     * every write acknowledged is a gap, not an outage (kill-arbiter: the failsafe keeps the lease).
     */
    @Test
    void writeOutageRunsFromAFailedAttemptToTheNextAcknowledgedWrite() {
        History slow = History.of(List.of(w(900, true, "gcp"), w(1100, true, "gcp"), w(1290, true, "gcp"), w(1400, true, "gcp")),
                List.of(), List.of());
        Checker.Result none = new Checker.Result(List.of(), 4, 0, 0, 0, List.of());
        RunFigures f = RunFigures.measure(slow, 1000, 1300, 1500, "gcp", false, 0, 0, 0, none);
        assertThat(f.writeUnavailMs()).isEqualTo(190);
        assertThat(f.writeOutageMs()).as("nothing failed").isZero();

        // two failed attempts (invoked 1995 and 2495, answered at 2000 and 2500), the next acknowledged write at 2600
        History refused = History.of(List.of(w(1100, true, "gcp"), w(2000, false, ""), w(2500, false, ""), w(2600, true, "gcp"),
                w(3000, false, ""), w(3050, true, "gcp"), w(3100, true, "gcp")), List.of(), List.of());
        RunFigures g = RunFigures.measure(refused, 1000, 3200, 3200, "gcp", false, 0, 0, 0, none);
        assertThat(g.writeOutageMs()).isEqualTo(605); // 1995 -> 2600; the later one 2995 -> 3050
        assertThat(RunFigures.longestOutage(List.of(w(1100, true, "gcp"), w(2000, false, "")), 1000, 2700))
                .as("no acknowledged write after the failure: up to the end").isEqualTo(705);
    }

    @Test
    void steadyMeansSyncWithAnEligibleStandbyInSyncModeAndAsyncInAsyncMode() {
        assertThat(new History.RoleSample(0, 2, "aws", true, true, "PRIMARY_SYNC", "STANDBY", "aws", false).steady()).isTrue();
        assertThat(new History.RoleSample(0, 2, "aws", false, false, "PRIMARY_ASYNC", "STANDBY", "aws", false).steady())
                .as("sync mode, writer dropped to async").isFalse();
        assertThat(new History.RoleSample(0, 2, "aws", false, false, "PRIMARY_ASYNC", "STANDBY", "aws", true).steady())
                .as("async mode: async is the normal state").isTrue();
        assertThat(new History.RoleSample(0, 2, "aws", false, false, "PRIMARY_ASYNC", "DEMOTED", "aws", true).steady())
                .as("standby not following").isFalse();
        assertThat(new History.RoleSample(0, 2, "aws", false, false, "PRIMARY_ASYNC", "STANDBY", "gcp", true).steady())
                .as("edge not on the writer").isFalse();
        assertThat(new History.RoleSample(0, 2, "aws", false, false, "PRIMARY_ASYNC", "STANDBY", "aws", true, false).steady())
                .as("a report older than the report timeout").isFalse();
    }
}
