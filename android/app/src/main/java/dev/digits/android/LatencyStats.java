package dev.digits.android;

import java.util.Arrays;
import java.util.Locale;

/** Summary of repeated timings: count, mean, median, 90th percentile and extremes, in milliseconds. Immutable. */
public final class LatencyStats {
    private final int count;
    private final double mean;
    private final double p50;
    private final double p90;
    private final double min;
    private final double max;

    private LatencyStats(int count, double mean, double p50, double p90, double min, double max) {
        this.count = count;
        this.mean = mean;
        this.p50 = p50;
        this.p90 = p90;
        this.min = min;
        this.max = max;
    }

    /**
     * Summarises timings in milliseconds. Percentiles use the nearest-rank method: p90 is the smallest timing that
     * at least 90% of the runs did not exceed, always one of the measured values.
     *
     * @throws IllegalArgumentException when there are no timings
     */
    public static LatencyStats of(double[] millis) {
        if (millis == null || millis.length == 0) {
            throw new IllegalArgumentException("no timings to summarise");
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        double sum = 0;
        for (double m : sorted) sum += m;
        return new LatencyStats(sorted.length, sum / sorted.length, nearestRank(sorted, 50), nearestRank(sorted, 90),
                sorted[0], sorted[sorted.length - 1]);
    }

    private static double nearestRank(double[] sorted, int percent) {
        int rank = (int) Math.ceil(percent / 100.0 * sorted.length);
        return sorted[Math.max(0, rank - 1)];
    }

    public int count() {
        return count;
    }

    public double meanMillis() {
        return mean;
    }

    public double p50Millis() {
        return p50;
    }

    public double p90Millis() {
        return p90;
    }

    public double minMillis() {
        return min;
    }

    public double maxMillis() {
        return max;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d runs: mean %.3f ms, p50 %.3f ms, p90 %.3f ms (min %.3f, max %.3f)",
                count, mean, p50, p90, min, max);
    }
}
