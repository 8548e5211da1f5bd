package dev.twincloud.lab.drill;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Median, p95 and max of one figure over runs (nearest-rank percentiles). */
public record Figures(int n, double median, double p95, double max) {

    public static Figures of(Collection<Double> values) {
        List<Double> v = new ArrayList<>(values.stream().filter(d -> d != null && !d.isNaN()).toList());
        if (v.isEmpty()) {
            return new Figures(0, Double.NaN, Double.NaN, Double.NaN);
        }
        v.sort(Double::compare);
        int n = v.size();
        double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
        return new Figures(n, median, nearestRank(v, 0.95), v.get(n - 1));
    }

    /** The smallest value with at least {@code q} of the values at or below it. */
    static double nearestRank(List<Double> sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
