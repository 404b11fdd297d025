package dev.digits.core.preprocess;

import dev.digits.core.data.ImageSet;

/**
 * Moment-based deskewing of a 28×28 digit frame: the ink's slant, measured by its second moments, is removed by a
 * horizontal shear about the ink's centre of mass. People slant their digits by up to 20–30°, and a network trained
 * on upright digits then sees a shape it learnt less well; straightened, a slanted 1 and an upright one are the same
 * input. The shear is row by row (each row moves sideways by {@code slant × (y − centre)}), so it is linear
 * interpolation along each row and nothing else, which the browser's copy ({@code web/src/preprocess.js}) repeats
 * in the same order of operations.
 *
 * <p>Deskewing is the last step of the {@code digit-deskewed} preprocessing (see
 * {@link dev.digits.core.artifact.InputContract.Preprocessing}): a model trained on deskewed digits declares it, and
 * every target then deskews after the usual crop, scale and centring.
 */
public final class Deskew {
    /**
     * The largest slant removed, as a shear factor (1 = 45°): beyond it the moments describe a shape, not a slant
     * (a long diagonal stroke), and straightening it would make it another shape.
     */
    public static final double MAX_SLANT = 1.0;

    // Below this second moment of the rows the ink is a horizontal line: it has no slant to measure.
    private static final double MIN_ROW_SPREAD = 1e-3;

    private static final int SIZE = PreprocessedDigit.SIZE;

    private Deskew() {
    }

    /**
     * The slant of a 28×28 frame: the shear factor {@code μ11 / μ02} of its ink (positive when the top of the ink lies
     * to the left of its bottom), clamped to ±{@link #MAX_SLANT}; 0 for a blank frame or a horizontal line.
     */
    public static double slant(float[] frame, int offset) {
        return centreRowAndSlant(frame, offset)[1];
    }

    /** The ink's centre row and its slant, as {@link #slant} defines it. */
    private static double[] centreRowAndSlant(float[] frame, int offset) {
        double mass = 0;
        double sx = 0;
        double sy = 0;
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                double v = frame[offset + y * SIZE + x];
                mass += v;
                sx += v * x;
                sy += v * y;
            }
        }
        if (!(mass > 0)) return new double[] {0, 0};
        double cx = sx / mass;
        double cy = sy / mass;
        double xy = 0;
        double yy = 0;
        for (int y = 0; y < SIZE; y++) {
            double dy = y - cy;
            for (int x = 0; x < SIZE; x++) {
                double v = frame[offset + y * SIZE + x];
                xy += v * (x - cx) * dy;
                yy += v * dy * dy;
            }
        }
        if (yy / mass < MIN_ROW_SPREAD) return new double[] {cy, 0};
        return new double[] {cy, Math.max(-MAX_SLANT, Math.min(MAX_SLANT, xy / yy))};
    }

    /**
     * Writes the deskewed frame of {@code src} (784 values from {@code srcOffset}) into {@code dst} at
     * {@code dstOffset}. Output pixel (x, y) takes the input at (x + slant × (y − cy), y), linearly interpolated along
     * the row, where cy is the ink's centre row; outside the frame counts as background (0). The arrays must not
     * overlap.
     */
    public static void apply(float[] src, int srcOffset, float[] dst, int dstOffset) {
        double[] centreAndSlant = centreRowAndSlant(src, srcOffset);
        double cy = centreAndSlant[0];
        double slant = centreAndSlant[1];
        if (slant == 0) {
            System.arraycopy(src, srcOffset, dst, dstOffset, SIZE * SIZE);
            return;
        }
        for (int y = 0; y < SIZE; y++) {
            double shift = slant * (y - cy);
            int whole = (int) Math.floor(shift);
            double frac = shift - whole;
            int row = srcOffset + y * SIZE;
            for (int x = 0; x < SIZE; x++) {
                int left = x + whole;
                double a = left >= 0 && left < SIZE ? src[row + left] : 0;
                double b = left + 1 >= 0 && left + 1 < SIZE ? src[row + left + 1] : 0;
                dst[dstOffset + y * SIZE + x] = (float) (a + (b - a) * frac);
            }
        }
    }

    /** The deskewed copy of a 28×28 frame. */
    public static float[] apply(float[] frame) {
        if (frame.length != SIZE * SIZE) {
            throw new IllegalArgumentException("a frame holds " + SIZE * SIZE + " values, not " + frame.length);
        }
        float[] out = new float[SIZE * SIZE];
        apply(frame, 0, out, 0);
        return out;
    }

    /** {@code digit} deskewed, its crop box and polarity kept; a digit not found stays as it is. */
    public static PreprocessedDigit apply(PreprocessedDigit digit) {
        if (!digit.found()) return digit;
        return new PreprocessedDigit(true, apply(digit.pixels()), digit.cropX(), digit.cropY(), digit.cropWidth(),
                digit.cropHeight(), digit.inverted());
    }

    /**
     * Every image of a set of 28×28 digits deskewed, as the {@code digit-deskewed} preprocessing gives them: the
     * images are read as x/255 and written back rounded to the nearest level, as MNIST's own are.
     */
    public static ImageSet images(ImageSet set) {
        if (set.height() != SIZE || set.width() != SIZE) {
            throw new IllegalArgumentException("deskewing works on 28×28 digits, not " + set.height() + "×" + set.width());
        }
        int n = SIZE * SIZE;
        byte[] out = new byte[set.size() * n];
        float[] frame = new float[n];
        float[] straight = new float[n];
        int[] labels = new int[set.size()];
        for (int i = 0; i < set.size(); i++) {
            set.copyScaled(i, frame, 0);
            apply(frame, 0, straight, 0);
            for (int p = 0; p < n; p++) {
                out[i * n + p] = (byte) Math.round(Math.max(0f, Math.min(1f, straight[p])) * 255f);
            }
            labels[i] = set.label(i);
        }
        return new ImageSet(SIZE, SIZE, out, labels, set.classNames());
    }
}
