package dev.digits.train.robustness;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Temperature fitting and thresholds on data whose answers are known. */
class RejectionComparisonTest {
    @Test
    void fittingFindsTheTemperatureTheLabelsWereDrawnAt() {
        // Labels drawn from softmax(z / 2) while the "model" answers softmax(z): the fit must recover T = 2.
        Random r = new Random(5);
        int n = 20_000;
        float[][] p = new float[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            double[] z = new double[10];
            for (int k = 0; k < 10; k++) z[k] = 4 * r.nextGaussian();
            p[i] = softmax(z, 1);
            float[] truth = softmax(z, 2);
            double u = r.nextDouble();
            int k = 0;
            for (double acc = truth[0]; acc < u && k < 9; acc += truth[++k]) {
                // advances k to the sampled class
            }
            labels[i] = k;
        }
        assertEquals(2.0, RejectionComparison.fitTemperature(p, labels), 0.1);
    }

    @Test
    void theThresholdRejectsTheRequestedShare() {
        double[] scores = new double[1000];
        for (int i = 0; i < scores.length; i++) scores[i] = i / 1000.0;
        double t = RejectionComparison.thresholdRejecting(scores, 0.01);
        int below = 0;
        for (double s : scores) if (s < t) below++;
        assertEquals(10, below);
    }

    @Test
    void scoresOrderConfidentAnswersAboveHesitantOnes() {
        float[] sure = {0.97f, 0.01f, 0.01f, 0.01f, 0, 0, 0, 0, 0, 0};
        float[] torn = {0.5f, 0.45f, 0.05f, 0, 0, 0, 0, 0, 0, 0};
        for (RejectionComparison.Method m : RejectionComparison.Method.values()) {
            assertEquals(1, Double.compare(m.score(sure, 1.5), m.score(torn, 1.5)), m.description());
        }
    }

    private static float[] softmax(double[] z, double t) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v / t);
        double sum = 0;
        for (double v : z) sum += Math.exp(v / t - max);
        float[] p = new float[z.length];
        for (int k = 0; k < z.length; k++) p[k] = (float) (Math.exp(z[k] / t - max) / sum);
        return p;
    }
}
