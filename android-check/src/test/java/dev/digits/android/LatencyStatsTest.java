package dev.digits.android;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class LatencyStatsTest {
    @Test
    void percentilesAreNearestRankValuesOfTheRuns() {
        // 1..10 shuffled: nearest rank puts p50 at the 5th and p90 at the 9th smallest.
        LatencyStats s = LatencyStats.of(new double[]{7, 3, 10, 1, 9, 2, 8, 5, 4, 6});
        assertEquals(10, s.count());
        assertEquals(5.5, s.meanMillis(), 1e-12);
        assertEquals(5, s.p50Millis());
        assertEquals(9, s.p90Millis());
        assertEquals(1, s.minMillis());
        assertEquals(10, s.maxMillis());
    }

    @Test
    void oneSlowRunInTwentyDoesNotMoveP90() {
        double[] runs = new double[20];
        java.util.Arrays.fill(runs, 0.5);
        runs[7] = 40;
        LatencyStats s = LatencyStats.of(runs);
        assertEquals(0.5, s.p90Millis());
        assertEquals(40, s.maxMillis());
        assertEquals((19 * 0.5 + 40) / 20, s.meanMillis(), 1e-12);
    }

    @Test
    void noTimingsIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> LatencyStats.of(new double[0]));
    }
}
