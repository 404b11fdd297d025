package dev.digits.core.preprocess;

import dev.digits.core.artifact.InputContract;
import dev.digits.core.data.ImageSet;
import dev.digits.core.model.Shape;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeskewTest {
    private static final int N = PreprocessedDigit.SIZE;

    /** A stroke 3 px wide from (x0, 4) at the top to (x1, 23) at the bottom: a 1 as people slant it. */
    private static float[] stroke(double x0, double x1) {
        float[] f = new float[N * N];
        for (int y = 4; y <= 23; y++) {
            double cx = x0 + (x1 - x0) * (y - 4) / 19.0;
            for (int x = 0; x < N; x++) {
                double d = Math.abs(x - cx);
                f[y * N + x] = (float) Math.max(0, Math.min(1, 2.0 - d));
            }
        }
        return f;
    }

    private static double mass(float[] f) {
        double m = 0;
        for (float v : f) m += v;
        return m;
    }

    @Test
    void aSlantedStrokeStandsUpright() {
        float[] leaning = stroke(18, 10);
        double before = Deskew.slant(leaning, 0);
        // The top lies to the right of the bottom: x falls as y grows, a negative shear of 8/19.
        assertEquals(-8 / 19.0, before, 0.02);
        float[] straight = Deskew.apply(leaning);
        assertEquals(0, Deskew.slant(straight, 0), 0.02, "slant left after deskewing");
        assertEquals(mass(leaning), mass(straight), 0.02 * mass(leaning), "ink kept");
        // Upright, every row's ink sits in the same columns.
        for (int y = 5; y <= 22; y++) {
            int best = 0;
            for (int x = 1; x < N; x++) if (straight[y * N + x] > straight[y * N + best]) best = x;
            assertTrue(Math.abs(best - 14) <= 1, "row " + y + " peaks at column " + best + ":\n" + art(straight));
        }
    }

    @Test
    void bothDirectionsAreStraightenedAlike() {
        float[] right = Deskew.apply(stroke(18, 10));
        float[] left = Deskew.apply(stroke(9, 17));
        for (int y = 0; y < N; y++) {
            for (int x = 0; x < N; x++) {
                // Mirror images before, so mirror images after.
                assertEquals(right[y * N + x], left[y * N + (N - 1 - x)], 0.05, "(" + x + ", " + y + ")");
            }
        }
    }

    @Test
    void anUprightOrBlankOrFlatFrameIsLeftAsItIs() {
        float[] upright = stroke(14, 14);
        assertArrayEquals(upright, Deskew.apply(upright));
        float[] blank = new float[N * N];
        assertArrayEquals(blank, Deskew.apply(blank));
        float[] line = new float[N * N];
        for (int x = 5; x < 23; x++) line[14 * N + x] = 1f;
        assertEquals(0, Deskew.slant(line, 0));
        assertArrayEquals(line, Deskew.apply(line));
    }

    @Test
    void aDiagonalBeyondFortyFiveDegreesIsShearedByAtMostTheLimit() {
        float[] f = new float[N * N];
        for (int y = 10; y < 18; y++) {
            for (int x = 0; x < N; x++) {
                // Nearly flat and slanted: 3 columns per row, a shear of 3.
                if (Math.abs(x - (26 - 3 * (y - 10))) <= 1) f[y * N + x] = 1f;
            }
        }
        assertEquals(-Deskew.MAX_SLANT, Deskew.slant(f, 0));
    }

    @Test
    void theDeskewedPreprocessingIsTheDigitPreprocessingThenDeskew() {
        int w = 120;
        int h = 160;
        byte[] grey = new byte[w * h];
        java.util.Arrays.fill(grey, (byte) 255);
        // Dark ink on paper, leaning right: the preprocessing inverts, crops, centres; deskewing comes last.
        for (int y = 20; y < 140; y++) {
            int cx = 80 - (y - 20) / 4;
            for (int x = cx - 6; x <= cx + 6; x++) grey[y * w + x] = 20;
        }
        InputContract contract = InputContract.mnist(Shape.image(1, 28, 28)).withPreprocessing(InputContract.Preprocessing.DIGIT_DESKEWED);
        InputPreprocessor deskewing = InputPreprocessor.of(contract);
        PreprocessedDigit plain = DigitPreprocessor.defaults().processGray(grey, w, h);
        PreprocessedDigit straight = deskewing.processGray(grey, w, h);
        assertTrue(straight.found());
        assertArrayEquals(Deskew.apply(plain.pixels()), straight.pixels());
        assertEquals(plain.cropX(), straight.cropX());
        assertEquals(plain.inverted(), straight.inverted());
        assertTrue(Deskew.slant(plain.pixels(), 0) < -0.15, "the plain frame keeps the lean");
        assertEquals(0, Deskew.slant(straight.pixels(), 0), 0.03);
        int[] argb = new int[w * h];
        for (int i = 0; i < argb.length; i++) argb[i] = 0xFF000000 | (grey[i] & 0xFF) * 0x010101;
        assertEquals(straight, deskewing.process(argb, w, h));
        assertSame(DigitPreprocessor.defaults(), InputPreprocessor.of(contract.withPreprocessing(InputContract.Preprocessing.DIGIT)));
        assertInstanceOf(ResizePreprocessor.class, InputPreprocessor.of(contract.withPreprocessing(InputContract.Preprocessing.RESIZE)));
        PreprocessedDigit none = deskewing.processGray(new byte[w * h], w, h);
        assertTrue(!none.found());
    }

    @Test
    void anImageSetIsDeskewedImageByImageAndKeepsItsLabels() {
        float[] a = stroke(18, 10);
        float[] b = stroke(14, 14);
        byte[] bytes = new byte[2 * N * N];
        for (int p = 0; p < N * N; p++) {
            bytes[p] = (byte) Math.round(a[p] * 255);
            bytes[N * N + p] = (byte) Math.round(b[p] * 255);
        }
        ImageSet set = new ImageSet(N, N, bytes, new int[] {1, 7}, ImageSet.digitClasses());
        ImageSet straight = Deskew.images(set);
        assertEquals(List.of(1, 7), List.of(straight.label(0), straight.label(1)));
        assertArrayEquals(set.rawImage(1), straight.rawImage(1), "an upright digit is untouched");
        assertNotEquals(0, Deskew.slant(set.image(0), 0));
        assertEquals(0, Deskew.slant(straight.image(0), 0), 0.03);
    }

    private static String art(float[] f) {
        StringBuilder sb = new StringBuilder();
        for (int y = 0; y < N; y++) {
            for (int x = 0; x < N; x++) sb.append(f[y * N + x] > 0.5 ? '#' : f[y * N + x] > 0.1 ? '.' : ' ');
            sb.append('\n');
        }
        return sb.toString();
    }
}
