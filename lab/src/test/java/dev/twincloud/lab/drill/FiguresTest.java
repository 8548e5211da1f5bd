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
    }
}
