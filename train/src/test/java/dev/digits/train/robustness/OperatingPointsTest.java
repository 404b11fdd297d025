package dev.digits.train.robustness;

import dev.digits.train.robustness.RobustnessCategory.Kind;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The check's trade-off table on answers whose scores are known. */
class OperatingPointsTest {
    /** Probabilities whose largest, {@code top}, is for {@code digit}; the rest spread evenly. */
    private static float[] answer(int digit, float top) {
        float[] p = new float[10];
        for (int k = 0; k < 10; k++) p[k] = k == digit ? top : (1 - top) / 9;
        return p;
    }

    @Test
    void tabulatesEachThresholdsRejectionsAndAnswers() {
        RobustnessCategory digits = new RobustnessCategory("d", "digits", Kind.DIGIT, null);
        RobustnessCategory none = new RobustnessCategory("n", "no digits", Kind.NOT_A_DIGIT, null);
        RobustnessCategory rings = new RobustnessCategory("r", "rings", Kind.ZERO_LIKE, null);
        CategoryResult d = new CategoryResult(digits, new int[] {1, 2, 3, 4},
                new float[][] {answer(1, 0.95f), answer(2, 0.6f), answer(5, 0.55f), null}, List.of(), 0);
        CategoryResult n = new CategoryResult(none, new int[] {-1, -1}, new float[][] {answer(3, 0.9f), answer(4, 0.3f)},
                List.of(), 0);
        CategoryResult r = new CategoryResult(rings, new int[] {-1}, new float[][] {answer(0, 0.2f)}, List.of(), 0);
        RobustnessResults results = new RobustnessResults(List.of(d, n, r), 4, 1);
        float[][] mnist = {answer(7, 0.99f), answer(8, 0.65f)};
        String table = results.operatingPoints(1, new double[] {0, 0.5, 0.7}, mnist);
        List<String> rows = table.lines().toList();
        assertEquals(5, rows.size(), table);
        // The empty digit picture is always "no digit"; the wrong digit at 0.55 counts as read wrong until rejected.
        assertEquals("| 0.0000 | 0.0% | 50.0% | 25.0% | 0.0% |", rows.get(2));
        assertEquals("| 0.5000 | 0.0% | 50.0% | 25.0% | 50.0% |", rows.get(3));
        assertEquals("| 0.7000 | 50.0% | 25.0% | 75.0% | 50.0% |", rows.get(4));
    }
}
