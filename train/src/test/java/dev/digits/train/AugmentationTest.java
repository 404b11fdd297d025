package dev.digits.train;

import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AugmentationTest {
    private static float[] digit(int index) throws Exception {
        ImageSet test = TestData.mnist().test();
        float[] img = new float[28 * 28];
        test.copyScaled(index, img, 0);
        return img;
    }

    private static double ink(float[] img, int offset) {
        double s = 0;
        for (int i = 0; i < 28 * 28; i++) s += img[offset + i];
        return s;
    }

    @Test
    void withNothingToDoTheImageIsUnchanged() throws Exception {
        float[] src = digit(0);
        float[] dst = new float[src.length];
        new Augmentation(0, 0, 0, 0, 0, 0, 1, 0).apply(src, 28, 28, dst, 0, new Random(1));
        assertArrayEquals(src, dst, 1e-6f);
    }

    @Test
    void theSameGeneratorGivesTheSameDistortionAndAnotherDoesNot() throws Exception {
        float[] src = digit(1);
        float[] a = new float[src.length];
        float[] b = new float[src.length];
        float[] c = new float[src.length];
        Augmentation.handwriting().apply(src, 28, 28, a, 0, new Random(7));
        Augmentation.handwriting().apply(src, 28, 28, b, 0, new Random(7));
        Augmentation.handwriting().apply(src, 28, 28, c, 0, new Random(8));
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
    }

    @Test
    void elasticDistortionBendsStrokesWithoutLosingTheDigit() throws Exception {
        float[] src = digit(2);
        Augmentation elasticOnly = new Augmentation(0, 0, 0, 0, 1, 28, 5, 0);
        double meanChange = 0;
        double meanInkChange = 0;
        for (int seed = 0; seed < 20; seed++) {
            float[] dst = new float[src.length];
            elasticOnly.apply(src, 28, 28, dst, 0, new Random(seed));
            double changed = 0;
            for (int i = 0; i < src.length; i++) changed += Math.abs(dst[i] - src[i]);
            meanChange += changed / ink(src, 0) / 20;
            meanInkChange += Math.abs(ink(dst, 0) / ink(src, 0) - 1) / 20;
        }
        // A bend moves ink; where it stretches a stroke it adds some, where it squeezes one it takes some away.
        assertTrue(meanInkChange < 0.2, "mean relative change of the ink: " + meanInkChange);
        // α = 28, σ = 5 moves strokes by about a pixel: a visible change, not a new picture.
        assertTrue(meanChange > 0.2 && meanChange < 1.5, "mean change relative to the ink: " + meanChange);
    }

    @Test
    void thickerPensAddInkAndThinnerPensTakeItAway() throws Exception {
        float[] src = digit(3);
        float[] thick = src.clone();
        float[] thin = src.clone();
        Augmentation.changeStrokes(thick, 0, 28, 28, true, 1);
        Augmentation.changeStrokes(thin, 0, 28, 28, false, 1);
        assertTrue(ink(thick, 0) > 1.3 * ink(src, 0), "thicker: " + ink(thick, 0) + " vs " + ink(src, 0));
        assertTrue(ink(thin, 0) < 0.7 * ink(src, 0), "thinner: " + ink(thin, 0) + " vs " + ink(src, 0));
        for (float v : thick) assertTrue(v >= 0 && v <= 1);
    }

    @Test
    void theDescriptionNamesEveryDistortionInUse() {
        assertEquals("shift ±2.0 px, rotation ±10.0°, scale ±10%", Augmentation.standard().toString());
        assertEquals("shift ±2.0 px, rotation ±10.0°, scale ±10%, slant ±15°, elastic α 28 σ 5 on 50%, pen width on 40%",
                Augmentation.handwriting().toString());
    }
}
