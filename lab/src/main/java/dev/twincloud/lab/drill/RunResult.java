package dev.twincloud.lab.drill;

import java.util.List;

/**
 * One run of one scenario: what was played, what was measured, what the checker found.
 *
 * @param schedule      the fault steps as played, with the sites they resolved to
 * @param faultAtMs     when the first fault played (run axis)
 * @param healAtMs      when the drill healed everything
 * @param settled       the system was back in its steady state ({@link History.RoleSample#steady()}: the arbiter's {@code ClusterHealth.steady} and the edge on the writer) before the settle timeout
 * @param promotions    the arbiter's promotions during the run
 * @param epochs        the arbiter's epoch at start and end
 * @param observed      the run's alerts (judged), metrics and log excerpts from the target's monitoring and logs
 */
public record RunResult(String scenario, int run, long seed, String target, List<String> schedule, String initialWriter,
                        String finalWriter, long[] epochs, double faultAtMs, double healAtMs, double endMs, boolean settled,
                        List<WriterTimeline.Promotion> promotions, RunFigures figures, List<Anomaly> anomalies,
                        List<String> notes, Timeline timeline, Observations observed) {

    /** A run without observations (alerts not checked). */
    public RunResult(String scenario, int run, long seed, String target, List<String> schedule, String initialWriter,
                     String finalWriter, long[] epochs, double faultAtMs, double healAtMs, double endMs, boolean settled,
                     List<WriterTimeline.Promotion> promotions, RunFigures figures, List<Anomaly> anomalies,
                     List<String> notes, Timeline timeline) {
        this(scenario, run, seed, target, schedule, initialWriter, finalWriter, epochs, faultAtMs, healAtMs, endMs, settled,
                promotions, figures, anomalies, notes, timeline, Observations.none("not observed"));
    }

    public boolean failoversAsExpected() {
        return figures.failovers() >= figures.expectedMinFailovers() && figures.failovers() <= figures.expectedMaxFailovers();
    }

    public boolean passed() {
        return anomalies.isEmpty() && failoversAsExpected() && settled && observed.alertsPass();
    }

    /** The run's history in 250 ms buckets, for the charts: requests, errors, roles, epochs. */
    public record Timeline(double bucketMs, List<Bucket> buckets, List<History.Mark> marks, List<Role> roles) {
        public record Bucket(double atMs, int writesOk, int writesFailed, int readsOk, int readsFailed) {
        }

        /** The writer (and epoch) from {@code atMs} on, as sampled from the arbiter; {@code steady} when fully healthy. */
        public record Role(double atMs, String writer, long epoch, boolean steady) {
        }
    }
}
