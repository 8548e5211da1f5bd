package dev.twincloud.lab.e2e;

import java.util.Arrays;
import java.util.Collection;

/** The few statistics the benchmarks print: median, maximum, percentiles, a list of runs. */
final class BenchStats {
    private BenchStats() {
    }

    static double median(Collection<Double> v) {
        return percentile(v, 50);
    }

    static double max(Collection<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /**
     * The nearest-rank {@code p}-th percentile (0 < p ≤ 100), NaN for no values; the median of an even count is the
     * mean of the two middle values.
     */
    static double percentile(Collection<Double> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        double[] v = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(v);
        if (p == 50 && v.length % 2 == 0) {
            return (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
        return v[Math.max(0, Math.min(v.length - 1, (int) Math.ceil(p / 100 * v.length) - 1))];
    }

    /** "3127, 3065, ..." */
    static String fmt(Collection<Double> v) {
        return String.join(", ", v.stream().map(d -> String.format("%.0f", d)).toList());
    }
}
