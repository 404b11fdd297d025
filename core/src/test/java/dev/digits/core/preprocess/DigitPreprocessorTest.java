package dev.digits.core.preprocess;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DigitPreprocessorTest {
    private static final DigitPreprocessor PRE = DigitPreprocessor.defaults();
    private static final int S = PreprocessedDigit.SIZE;

    private static double[] seven() {
        return SyntheticDigits.coverage(140, 140, '7', 30, 20, 80, 100, 6, 1);
    }

    private static int[] crop(PreprocessedDigit d) {
        return new int[] {d.cropX(), d.cropY(), d.cropWidth(), d.cropHeight()};
    }

    /** Centre of mass of the frame with pixel centres at x + 0.5, so the frame's centre is (14, 14). */
    private static double[] centreOfMass(float[] px) {
        double m = 0;
        double mx = 0;
        double my = 0;
        for (int i = 0; i < px.length; i++) {
            m += px[i];
            mx += px[i] * (i % S + 0.5);
            my += px[i] * (i / S + 0.5);
        }
        return new double[] {mx / m, my / m};
    }

    /** Width and height of the bounding box of the non-zero pixels. */
    private static int[] extent(float[] px) {
        int minX = S;
        int maxX = -1;
        int minY = S;
        int maxY = -1;
        for (int i = 0; i < px.length; i++) {
            if (px[i] > 0) {
                minX = Math.min(minX, i % S);
                maxX = Math.max(maxX, i % S);
                minY = Math.min(minY, i / S);
                maxY = Math.max(maxY, i / S);
            }
        }
        return new int[] {maxX - minX + 1, maxY - minY + 1};
    }

    private static PreprocessedDigit generated(String name) {
        PreprocessVectorGenerator.Input in = PreprocessVectorGenerator.inputs().get(name);
        return PRE.process(in.argb, in.width, in.height);
    }

    @Test
    void darkInkOnWhitePaperAndATransparentPngGiveExactlyTheCanvasResult() {
        double[] cov = seven();
        PreprocessedDigit canvas = PRE.process(SyntheticDigits.canvas(cov), 140, 140);
        PreprocessedDigit paper = PRE.process(SyntheticDigits.paper(cov), 140, 140);
        PreprocessedDigit png = PRE.process(SyntheticDigits.transparent(cov), 140, 140);

        assertTrue(canvas.found());
        assertFalse(canvas.inverted());
        assertTrue(paper.inverted());
        assertTrue(png.inverted(), "transparent composites to white paper, so the ink is dark");
        assertArrayEquals(canvas.pixels(), paper.pixels());
        assertArrayEquals(canvas.pixels(), png.pixels());
        assertArrayEquals(crop(canvas), crop(paper));
        assertArrayEquals(crop(canvas), crop(png));
    }

    @Test
    void blankImagesOfAnyShadeAreNotFound() {
        int w = 200;
        int h = 150;
        int[] gradient = new int[w * h];
        for (int i = 0; i < gradient.length; i++) {
            gradient[i] = SyntheticDigits.opaqueGrey(110 + (i % w) * 40 / w);
        }
        Map<String, int[]> blanks = Map.of(
                "white", SyntheticDigits.uniform(w, h, 255),
                "black", SyntheticDigits.uniform(w, h, 0),
                "mid grey", SyntheticDigits.uniform(w, h, 128),
                "noisy grey photo", SyntheticDigits.photo(new double[w * h], 0x8C8C8C, 0x000000, 4, 11),
                "gently lit paper", gradient,
                "transparent", new int[w * h]);
        blanks.forEach((name, argb) -> {
            PreprocessedDigit d = PRE.process(argb, w, h);
            assertFalse(d.found(), name);
            assertArrayEquals(new float[S * S], d.pixels(), name + ": the pixels of no digit are all zero");
            assertArrayEquals(new int[4], crop(d), name);
        });
    }

    @Test
    void aSpeckIsNotADigitUntilMinInkPixelsPixelsStandOut() {
        int[] argb = SyntheticDigits.uniform(64, 64, 255);
        argb[30 * 64 + 30] = SyntheticDigits.opaqueGrey(0);
        assertFalse(PRE.process(argb, 64, 64).found(), "a single black pixel");

        argb[30 * 64 + 31] = SyntheticDigits.opaqueGrey(0);
        argb[31 * 64 + 30] = SyntheticDigits.opaqueGrey(0);
        argb[31 * 64 + 31] = SyntheticDigits.opaqueGrey(0);
        assertFalse(PRE.process(argb, 64, 64).found(), "four black pixels, one fewer than minInkPixels");

        argb[32 * 64 + 30] = SyntheticDigits.opaqueGrey(0);
        PreprocessedDigit five = PRE.process(argb, 64, 64);
        assertTrue(five.found(), "five black pixels");
        assertArrayEquals(new int[] {30, 30, 2, 3}, crop(five));

        assertFalse(PRE.toBuilder().minInkPixels(6).build().process(argb, 64, 64).found(), "the count is a setting");
    }

    @Test
    void inkFainterThanMinContrastIsNotFoundWhileSlightlyStrongerInkIs() {
        double[] cov = seven();
        assertFalse(PRE.process(SyntheticDigits.paint(cov, 0xC8C8C8, 0xB4B4B4), 140, 140).found(),
                "20 grey levels below the paper");
        PreprocessedDigit faint = PRE.process(SyntheticDigits.paint(cov, 0xC8C8C8, 0xAAAAAA), 140, 140);
        assertTrue(faint.found(), "30 grey levels below the paper");
        assertTrue(faint.inverted());
        assertArrayEquals(crop(PRE.process(SyntheticDigits.canvas(cov), 140, 140)), crop(faint),
                "the faint digit is cropped like the bold one");
    }

    @Test
    void everyDigitIsCentredByMassWithinHalfAPixelOfTheFrameCentre() {
        int found = 0;
        for (Map.Entry<String, PreprocessVectorGenerator.Input> e : PreprocessVectorGenerator.inputs().entrySet()) {
            PreprocessVectorGenerator.Input in = e.getValue();
            PreprocessedDigit d = PRE.process(in.argb, in.width, in.height);
            if (!d.found()) {
                continue;
            }
            found++;
            double[] c = centreOfMass(d.pixels());
            assertEquals(14.0, c[0], 0.5 + 1e-4, e.getKey() + ": x\n" + d);
            assertEquals(14.0, c[1], 0.5 + 1e-4, e.getKey() + ": y\n" + d);
        }
        assertTrue(found >= 8, "digits checked: " + found);
    }

    @Test
    void theDigitsLongerSideSpansTwentyPixelsAndTheAspectRatioIsKept() {
        PreprocessedDigit seven = generated("canvas-seven");
        // Crop 82 x 110: height 20, width 82 * 20 / 110 = 14.9, rounded to 15.
        assertArrayEquals(new int[] {82, 110}, new int[] {seven.cropWidth(), seven.cropHeight()});
        assertArrayEquals(new int[] {15, 20}, extent(seven.pixels()));

        PreprocessedDigit zero = generated("wide-zero");
        // Crop 146 x 48: width 20, height 48 * 20 / 146 = 6.6, rounded to 7.
        assertArrayEquals(new int[] {146, 48}, new int[] {zero.cropWidth(), zero.cropHeight()});
        assertArrayEquals(new int[] {20, 7}, extent(zero.pixels()));

        PreprocessedDigit one = generated("small-offcentre-one");
        assertEquals(20, extent(one.pixels())[1], "a small digit is enlarged to 20 px as well");

        PreprocessVectorGenerator.Input in = PreprocessVectorGenerator.inputs().get("canvas-seven");
        PreprocessedDigit fourteen = PRE.toBuilder().digitSize(14).build().process(in.argb, in.width, in.height);
        assertEquals(14, extent(fourteen.pixels())[1], "the size is a setting");
    }

    @Test
    void valuesStayWithinZeroAndOneAndAFaintPencilStillReachesNearlyOne() {
        for (Map.Entry<String, PreprocessVectorGenerator.Input> e : PreprocessVectorGenerator.inputs().entrySet()) {
            PreprocessVectorGenerator.Input in = e.getValue();
            float[] px = PRE.process(in.argb, in.width, in.height).pixels();
            assertEquals(S * S, px.length);
            for (float v : px) {
                assertTrue(v >= 0f && v <= 1f, e.getKey() + ": " + v);
            }
        }
        float max = 0;
        for (float v : generated("faint-pencil-four").pixels()) {
            max = Math.max(max, v);
        }
        assertTrue(max >= 0.9f, "strongest faint pencil value " + max);
    }

    @Test
    void aPureWhiteCanvasKeepsIntensityOver255() {
        // A 10 x 20 bar with anti-aliased left (100) and right (80) edges: the crop is exactly 10 x 20, already at
        // digit size, so the scale step copies it one to one and nothing may be stretched.
        int[] gray = new int[S * S];
        for (int y = 4; y < 24; y++) {
            gray[y * S + 9] = 100;
            for (int x = 10; x < 18; x++) {
                gray[y * S + x] = 255;
            }
            gray[y * S + 18] = 80;
        }
        PreprocessedDigit d = PRE.processGray(gray, S, S);
        assertArrayEquals(new int[] {9, 4, 10, 20}, crop(d));
        float[] px = d.pixels();
        int[] counts = new int[3];
        for (float v : px) {
            if (v == (float) (100 / 255.0)) {
                counts[0]++;
            } else if (v == 1f) {
                counts[1]++;
            } else if (v == (float) (80 / 255.0)) {
                counts[2]++;
            } else {
                assertEquals(0f, v, "only the input's levels over 255 appear");
            }
        }
        assertArrayEquals(new int[] {20, 160, 20}, counts);
    }

    @Test
    void aStraySpeckFarFromTheDigitDoesNotStretchTheCropBox() {
        double[] cov = seven();
        int[] clean = SyntheticDigits.canvas(cov);
        int[] specked = clean.clone();
        for (int y = 130; y < 132; y++) {
            for (int x = 130; x < 132; x++) {
                specked[y * 140 + x] = SyntheticDigits.opaqueGrey(255);
            }
        }
        int[] expected = crop(PRE.process(clean, 140, 140));
        int[] actual = crop(PRE.process(specked, 140, 140));
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], actual[i], 1, "crop " + Arrays.toString(actual) + " vs " + Arrays.toString(expected));
        }
        int[] untrimmed = crop(PRE.toBuilder().trimFraction(0).build().process(specked, 140, 140));
        assertEquals(131, untrimmed[0] + untrimmed[2] - 1, "without trimming the speck sets the right edge");
    }

    @Test
    void theCropBoxIsWhereTheDigitWasDrawn() {
        // Drawn into the box x 8..18, y 6..28 with a pen of radius 1.6; the 1's flag starts at x = 10.5.
        PreprocessedDigit one = generated("small-offcentre-one");
        assertTrue(one.cropX() >= 8 && one.cropX() <= 10, "x " + one.cropX());
        assertTrue(one.cropY() >= 4 && one.cropY() <= 6, "y " + one.cropY());
        assertTrue(one.cropX() + one.cropWidth() <= 16, "right " + (one.cropX() + one.cropWidth()));
        assertTrue(one.cropY() + one.cropHeight() >= 27 && one.cropY() + one.cropHeight() <= 30,
                "bottom " + (one.cropY() + one.cropHeight()));
    }

    @Test
    void polarityFollowsTheInkNotTheBrightnessOfTheBackground() {
        double[] cov = seven();
        PreprocessedDigit darkOnGrey = PRE.process(SyntheticDigits.paint(cov, 0x6E6E6E, 0x282828), 140, 140);
        assertTrue(darkOnGrey.found());
        assertTrue(darkOnGrey.inverted(), "dark ink on a background darker than mid-grey is still inverted");
        PreprocessedDigit lightOnGrey = PRE.process(SyntheticDigits.paint(cov, 0xA0A0A0, 0xF0F0F0), 140, 140);
        assertTrue(lightOnGrey.found());
        assertFalse(lightOnGrey.inverted(), "light ink on a background lighter than mid-grey is not inverted");
        assertArrayEquals(crop(darkOnGrey), crop(lightOnGrey));
    }

    @Test
    void aDigitRunningOffTheTopAndBottomEdgesIsStillFound() {
        double[] cov = SyntheticDigits.coverage(100, 100, '1', 30, -10, 40, 120, 5, 1);
        PreprocessedDigit d = PRE.process(SyntheticDigits.paper(cov), 100, 100);
        assertTrue(d.found());
        assertTrue(d.inverted());
        assertEquals(100, d.cropHeight());
    }

    @Test
    void greyLevelsGiveTheSameResultAsOpaqueGreyArgb() {
        double[] cov = seven();
        int[] levels = SyntheticDigits.levels(cov);
        byte[] bytes = new byte[levels.length];
        for (int i = 0; i < levels.length; i++) {
            bytes[i] = (byte) levels[i];
        }
        PreprocessedDigit argb = PRE.process(SyntheticDigits.canvas(cov), 140, 140);
        assertEquals(argb, PRE.processGray(levels, 140, 140));
        assertEquals(argb, PRE.processGray(bytes, 140, 140));
    }

    /** Grey images of every kind the generators make, and noise: what the grey path must agree with the general on. */
    private static java.util.List<byte[]> greyImages(int w, int h) {
        java.util.List<byte[]> images = new java.util.ArrayList<>();
        java.util.Random random = new java.util.Random(5);
        for (char c : "01234578".toCharArray()) {
            double[] cov = SyntheticDigits.coverage(w, h, c, 5 + random.nextInt(30), 3 + random.nextInt(20),
                    40 + random.nextInt(40), 50 + random.nextInt(40), 2 + random.nextInt(8), 1);
            images.add(lowBytes(SyntheticDigits.canvas(cov)));
            images.add(lowBytes(SyntheticDigits.paper(cov)));
            images.add(lowBytes(SyntheticDigits.photo(cov, SyntheticDigits.opaqueGrey(150 + random.nextInt(100)),
                    SyntheticDigits.opaqueGrey(random.nextInt(120)), 2 + random.nextInt(12), c)));
        }
        // Canvases whose ink runs off the left or right edge, so that runs of ink carry on from one row into the
        // next, and bars across the whole width: the grey path visits only each row's span beyond the background.
        for (int k = 0; k < 4; k++) {
            double[] cov = SyntheticDigits.coverage(w, h, "0147".charAt(k), k % 2 == 0 ? -15 : w - 60, 10 + 5 * k, 75,
                    70, 3 + 2 * k, 1);
            images.add(lowBytes(SyntheticDigits.canvas(cov)));
        }
        byte[] bars = lowBytes(SyntheticDigits.uniform(w, h, 0));
        for (int y = 30; y < 60; y++) {
            for (int x = 0; x < w; x++) {
                if (y < 38 || y % 5 == 0) bars[y * w + x] = (byte) (y < 38 ? 255 : 120 + x);
            }
        }
        bars[45 * w + w - 1] = (byte) 200;
        bars[46 * w] = (byte) 200;
        images.add(bars);
        byte[] noise = new byte[w * h];
        random.nextBytes(noise);
        images.add(noise);
        images.add(lowBytes(SyntheticDigits.uniform(w, h, 90)));
        return images;
    }

    private static byte[] lowBytes(int[] argb) {
        byte[] b = new byte[argb.length];
        for (int i = 0; i < argb.length; i++) {
            b[i] = (byte) argb[i];
        }
        return b;
    }

    @Test
    void theGreyPathGivesExactlyTheNumbersOfTheGeneralPath() {
        // The grey path computes per level what the general path computes per pixel; under the defaults it also
        // takes the polarity vote over level counts, and with minContrast 24.3 pixel by pixel.
        DigitPreprocessor[] settings = {PRE, PRE.toBuilder().minContrast(24.3).build(),
            PRE.toBuilder().minContrast(10.5).noiseFactor(0.7).strongInkFraction(0.37).digitSize(17).build(),
            PRE.toBuilder().inkThreshold(0.6).trimFraction(0.05).minInkPixels(200).build()};
        int w = 130;
        int h = 110;
        int found = 0;
        int images = 0;
        for (DigitPreprocessor p : settings) {
            for (byte[] grey : greyImages(w, h)) {
                images++;
                PreprocessedDigit expected = p.processGrayAsDoubles(grey, w, h);
                assertEquals(expected, p.processGray(grey, w, h), p.toString());
                int[] argb = new int[grey.length];
                for (int i = 0; i < grey.length; i++) {
                    argb[i] = SyntheticDigits.opaqueGrey(grey[i] & 0xFF);
                }
                assertEquals(expected, p.process(argb, w, h), "opaque grey ARGB, " + p);
                found += expected.found() ? 1 : 0;
            }
        }
        assertTrue(found > 100, found + " of " + images + " found");
    }

    @Test
    void transparentCanvasesGiveTheNumbersOfTheGeneralPath() {
        // A browser's canvas is transparent where nothing was drawn; black strokes composite onto white at whole
        // levels (255 - alpha), which the grey path takes; grey strokes that are partly transparent do not.
        java.util.Random random = new java.util.Random(9);
        int w = 120;
        int h = 100;
        int found = 0;
        for (char c : "0123457".toCharArray()) {
            double[] cov = SyntheticDigits.coverage(w, h, c, 10 + random.nextInt(40), 5 + random.nextInt(20),
                    40 + random.nextInt(30), 50 + random.nextInt(30), 2 + random.nextInt(6), 1);
            int[] black = new int[cov.length];
            int[] whiteFill = new int[cov.length];
            int[] greyInk = new int[cov.length];
            for (int i = 0; i < cov.length; i++) {
                int a = (int) Math.round(cov[i] * 255);
                black[i] = a << 24;
                whiteFill[i] = a == 0 ? 0xFFFFFFFF : a << 24 | (i % 3 == 0 ? 0xFFFFFF : 0);
                greyInk[i] = a << 24 | 0x606060;
            }
            for (int[] argb : new int[][] {black, whiteFill, greyInk}) {
                PreprocessedDigit expected = PRE.processAsDoubles(argb, w, h);
                assertEquals(expected, PRE.process(argb, w, h));
                found += expected.found() ? 1 : 0;
            }
        }
        assertTrue(found >= 14, found + " of 21 found");
    }

    /** The 7 with hard edges, its left part in black and its right part in {@code ink}, on white. */
    private static int[] twoInks(int ink) {
        double[] cov = seven();
        int[] argb = new int[cov.length];
        for (int i = 0; i < cov.length; i++) {
            int rgb = cov[i] < 0.5 ? 0xFFFFFF : i % 140 < 70 ? 0x000000 : ink;
            argb[i] = 0xFF000000 | rgb;
        }
        return argb;
    }

    @Test
    void colouredInkIsReadThroughItsLuma() {
        // 0.299 * 0 + 0.587 * 64 + 0.114 * 188 is exactly 59, so this blue ink must act as grey 59 ink. The black part
        // sets the scale, so the blue part's value shows its grey level.
        PreprocessedDigit blue = PRE.process(twoInks(0x0040BC), 140, 140);
        PreprocessedDigit grey = PRE.process(twoInks(0x3B3B3B), 140, 140);
        assertTrue(blue.found());
        assertArrayEquals(grey.pixels(), blue.pixels());
        PreprocessedDigit swapped = PRE.process(twoInks(0xBC4000), 140, 140);
        assertFalse(Arrays.equals(grey.pixels(), swapped.pixels()), "red and blue weigh differently");

        // Pale yellow is 17.7 levels of luma below white, too faint to be ink; a plain channel mean would see 52.
        double[] cov = seven();
        assertFalse(PRE.process(SyntheticDigits.paint(cov, 0xFFFFFF, 0xFFFF64), 140, 140).found());
        assertTrue(PRE.process(SyntheticDigits.paint(cov, 0xFFFFFF, 0x0000FF), 140, 140).found(),
                "pure blue is dark");
    }

    @Test
    void mnistImagesAreWrappedAsIntensityOver255WithoutReprocessing() {
        byte[] data = new byte[10 + S * S];
        data[10 + 5 * S + 7] = (byte) 255;
        data[10 + 20 * S + 9] = (byte) 128;
        PreprocessedDigit d = PreprocessedDigit.fromMnist(data, 10);
        assertTrue(d.found());
        assertEquals(1f, d.pixel(7, 5));
        assertEquals((float) (128 / 255.0), d.pixel(9, 20));
        assertArrayEquals(new int[] {7, 5, 3, 16}, crop(d));
        assertFalse(PreprocessedDigit.fromMnist(new byte[S * S]).found());
        assertThrows(IllegalArgumentException.class, () -> PreprocessedDigit.fromMnist(data, 11));
    }

    @Test
    void asciiArtDrawsTwentyEightLinesOfTwentyEightCharacters() {
        String art = generated("canvas-seven").toAsciiArt();
        String[] lines = art.split("\n");
        assertEquals(S, lines.length);
        for (String line : lines) {
            assertEquals(S, line.length());
        }
        assertTrue(art.contains("@"));
        assertEquals(" ".repeat(S * S), generated("blank-white").toAsciiArt().replace("\n", ""));
    }

    @Test
    void pixelsReturnsACopyAndCopyPixelsToFillsABatch() {
        PreprocessedDigit d = generated("canvas-seven");
        float[] first = d.pixels();
        Arrays.fill(first, 0.5f);
        assertNotEquals(0.5f, d.pixels()[0]);
        float[] batch = new float[2 * S * S];
        d.copyPixelsTo(batch, S * S);
        assertArrayEquals(d.pixels(), Arrays.copyOfRange(batch, S * S, 2 * S * S));
    }

    @Test
    void settingsOutsideTheirRangeAreRejectedAndToBuilderRoundTrips() {
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().digitSize(0));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().digitSize(29));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().minContrast(0));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().minContrast(Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().minInkPixels(0));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().noiseFactor(-1));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().inkThreshold(0));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().trimFraction(0.25));
        assertThrows(IllegalArgumentException.class, () -> DigitPreprocessor.builder().strongInkFraction(0));
        DigitPreprocessor custom = DigitPreprocessor.builder().digitSize(18).minContrast(30).minInkPixels(3)
                .noiseFactor(2).inkThreshold(0.5).trimFraction(0).strongInkFraction(0.2).build();
        assertEquals(custom, custom.toBuilder().build());
        assertNotEquals(DigitPreprocessor.defaults(), custom);
        assertEquals(DigitPreprocessor.defaults(), DigitPreprocessor.builder().build());
    }

    @Test
    void inputWhoseLengthDoesNotMatchItsSizeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> PRE.process(new int[10], 3, 3));
        assertThrows(IllegalArgumentException.class, () -> PRE.process(new int[0], 0, 0));
        assertThrows(IllegalArgumentException.class, () -> PRE.process(null, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> PRE.processGray(new byte[8], 3, 3));
        assertThrows(IllegalArgumentException.class, () -> PRE.processGray(new int[] {0, 1, 256, 3}, 2, 2));
    }

    @Test
    void imagesTooSmallToHoldADigitAreNotFoundRatherThanAnError() {
        assertFalse(PRE.process(new int[] {0xFF000000}, 1, 1).found());
        assertFalse(PRE.processGray(new int[] {255, 0, 0, 255}, 2, 2).found());
        assertFalse(PRE.processGray(new int[] {255, 0, 255}, 3, 1).found());
    }
}
