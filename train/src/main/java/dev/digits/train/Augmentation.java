package dev.digits.train;

import java.util.Locale;
import java.util.Random;

/**
 * Random distortions of training images, applied on the fly, per image, so that a model trained on MNIST's tidy digits
 * copes with the ways other people write and draw them: shifts, rotations and scaling; slant (a horizontal shear, as
 * handwriting leans); elastic distortion (a smooth random displacement field, as strokes of another hand bend); and
 * thicker or thinner strokes (a fractional grey dilation or erosion, as pens differ). All geometric steps are one
 * inverse mapping with bilinear sampling; the test set is never augmented.
 *
 * <p>Elastic distortion follows Simard, Steinkraus and Platt (2003): displacements drawn uniformly from [-1, 1] per
 * pixel, smoothed by a Gaussian of standard deviation {@code elasticSigma} pixels and scaled by {@code elasticAlpha}.
 */
public final class Augmentation {
    private final double maxShift;
    private final double maxRotationDegrees;
    private final double maxScale;
    private final double maxSlantDegrees;
    private final double elasticProbability;
    private final double elasticAlpha;
    private final double elasticSigma;
    private final double strokeProbability;
    private final double[] kernel;

    /**
     * Affine distortions only: shift, rotation and scale.
     *
     * @param maxShift           largest shift in pixels, each axis
     * @param maxRotationDegrees largest rotation either way
     * @param maxScale           largest relative change of size (0.1 = 90%..110%)
     */
    public Augmentation(double maxShift, double maxRotationDegrees, double maxScale) {
        this(maxShift, maxRotationDegrees, maxScale, 0, 0, 0, 1, 0);
    }

    /**
     * @param maxShift           largest shift in pixels, each axis
     * @param maxRotationDegrees largest rotation either way
     * @param maxScale           largest relative change of size (0.1 = 90%..110%)
     * @param maxSlantDegrees    largest slant either way (horizontal shear; 0 for none)
     * @param elasticProbability share of images given an elastic distortion (0 for none)
     * @param elasticAlpha       scale of the smoothed displacement field, in pixels
     * @param elasticSigma       standard deviation of the Gaussian that smooths it, in pixels
     * @param strokeProbability  share of images whose strokes are made thicker or thinner, half each (0 for none)
     */
    public Augmentation(double maxShift, double maxRotationDegrees, double maxScale, double maxSlantDegrees,
                        double elasticProbability, double elasticAlpha, double elasticSigma, double strokeProbability) {
        if (elasticProbability < 0 || elasticProbability > 1 || strokeProbability < 0 || strokeProbability > 1) {
            throw new IllegalArgumentException("probabilities must be from 0 to 1");
        }
        if (elasticSigma <= 0) throw new IllegalArgumentException("elasticSigma must be positive, got " + elasticSigma);
        this.maxShift = maxShift;
        this.maxRotationDegrees = maxRotationDegrees;
        this.maxScale = maxScale;
        this.maxSlantDegrees = maxSlantDegrees;
        this.elasticProbability = elasticProbability;
        this.elasticAlpha = elasticAlpha;
        this.elasticSigma = elasticSigma;
        this.strokeProbability = strokeProbability;
        this.kernel = gaussian(elasticSigma);
    }

    /**
     * What {@code digits train --augment} uses: shifts up to 2 px, rotations up to 10°, scaling up to 10% — the affine
     * distortions alone, which measured better than {@link #handwriting()} for the embedded model (BENCHMARKS.md).
     */
    public static Augmentation standard() {
        return new Augmentation(2, 10, 0.1);
    }

    /**
     * {@code --augment=handwriting}: the affine distortions, slant up to 15°, an elastic distortion (α = 28, σ = 5:
     * strokes bent by about a pixel, the digit still plainly itself) on half the images, and a thicker or thinner pen
     * on 40% of them.
     */
    public static Augmentation handwriting() {
        return new Augmentation(2, 10, 0.1, 15, 0.5, 28, 5, 0.4);
    }

    /** Writes a distorted copy of {@code src} (h×w floats, ink high) into {@code dst} at {@code offset}. */
    public void apply(float[] src, int h, int w, float[] dst, int offset, Random rng) {
        double angle = Math.toRadians((rng.nextDouble() * 2 - 1) * maxRotationDegrees);
        double scale = 1 + (rng.nextDouble() * 2 - 1) * maxScale;
        double dx = (rng.nextDouble() * 2 - 1) * maxShift;
        double dy = (rng.nextDouble() * 2 - 1) * maxShift;
        double slant = Math.tan(Math.toRadians((rng.nextDouble() * 2 - 1) * maxSlantDegrees));
        double[][] field = rng.nextDouble() < elasticProbability ? displacementField(h, w, rng) : null;
        double cos = Math.cos(angle) / scale;
        double sin = Math.sin(angle) / scale;
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Inverse mapping: where in the source does this output pixel come from?
                double ox = x - cx - dx;
                double oy = y - cy - dy;
                if (field != null) {
                    ox += field[0][y * w + x];
                    oy += field[1][y * w + x];
                }
                ox -= slant * oy;
                double sx = cos * ox + sin * oy + cx;
                double sy = -sin * ox + cos * oy + cy;
                dst[offset + y * w + x] = sample(src, h, w, sx, sy);
            }
        }
        if (rng.nextDouble() < strokeProbability) {
            changeStrokes(dst, offset, h, w, rng.nextBoolean(), 0.3 + 0.7 * rng.nextDouble());
        }
    }

    /** Elastic displacements for x and y: uniform noise, Gaussian-smoothed (separably), scaled by alpha. */
    private double[][] displacementField(int h, int w, Random rng) {
        double[][] field = new double[2][h * w];
        double[] tmp = new double[h * w];
        double[] rows = new double[h * w];
        int r = kernel.length / 2;
        for (double[] f : field) {
            for (int i = 0; i < f.length; i++) tmp[i] = rng.nextDouble() * 2 - 1;
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int k = -r; k <= r; k++) s += kernel[k + r] * tmp[y * w + clamp(x + k, w)];
                    rows[y * w + x] = s;
                }
            }
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    double s = 0;
                    for (int k = -r; k <= r; k++) s += kernel[k + r] * rows[clamp(y + k, h) * w + x];
                    f[y * w + x] = elasticAlpha * s;
                }
            }
        }
        return field;
    }

    /**
     * Moves each pixel the given share of the way to the brightest (thicker) or darkest (thinner) of itself and its
     * four neighbours: a grey dilation or erosion by a fraction of a pixel.
     */
    static void changeStrokes(float[] img, int offset, int h, int w, boolean thicker, double amount) {
        float[] copy = new float[h * w];
        System.arraycopy(img, offset, copy, 0, h * w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = copy[y * w + x];
                float m = v;
                if (x > 0) m = pick(m, copy[y * w + x - 1], thicker);
                if (x < w - 1) m = pick(m, copy[y * w + x + 1], thicker);
                if (y > 0) m = pick(m, copy[(y - 1) * w + x], thicker);
                if (y < h - 1) m = pick(m, copy[(y + 1) * w + x], thicker);
                img[offset + y * w + x] = (float) (v + amount * (m - v));
            }
        }
    }

    private static float pick(float a, float b, boolean max) {
        return max ? Math.max(a, b) : Math.min(a, b);
    }

    private static double[] gaussian(double sigma) {
        int r = (int) Math.ceil(3 * sigma);
        double[] k = new double[2 * r + 1];
        double sum = 0;
        for (int i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-i * i / (2 * sigma * sigma));
        for (int i = 0; i < k.length; i++) k[i] /= sum;
        return k;
    }

    private static int clamp(int i, int n) {
        return i < 0 ? 0 : i >= n ? n - 1 : i;
    }

    private static float sample(float[] src, int h, int w, double x, double y) {
        int x0 = (int) Math.floor(x);
        int y0 = (int) Math.floor(y);
        double fx = x - x0;
        double fy = y - y0;
        double v = 0;
        v += (1 - fx) * (1 - fy) * at(src, h, w, x0, y0);
        v += fx * (1 - fy) * at(src, h, w, x0 + 1, y0);
        v += (1 - fx) * fy * at(src, h, w, x0, y0 + 1);
        v += fx * fy * at(src, h, w, x0 + 1, y0 + 1);
        return (float) v;
    }

    private static float at(float[] src, int h, int w, int x, int y) {
        return x < 0 || y < 0 || x >= w || y >= h ? 0f : src[y * w + x];
    }

    @Override
    public String toString() {
        // The affine part reads as it always has, so that older model cards and newer ones compare.
        StringBuilder s = new StringBuilder("shift ±" + maxShift + " px, rotation ±" + maxRotationDegrees + "°, scale ±"
                + Math.round(maxScale * 100) + "%");
        if (maxSlantDegrees > 0) s.append(String.format(Locale.ROOT, ", slant ±%s°", trim(maxSlantDegrees)));
        if (elasticProbability > 0) {
            s.append(String.format(Locale.ROOT, ", elastic α %s σ %s on %d%%", trim(elasticAlpha), trim(elasticSigma),
                    Math.round(elasticProbability * 100)));
        }
        if (strokeProbability > 0) s.append(String.format(Locale.ROOT, ", pen width on %d%%", Math.round(strokeProbability * 100)));
        return s.toString();
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
