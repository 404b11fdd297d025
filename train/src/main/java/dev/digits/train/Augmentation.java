package dev.digits.train;

import java.util.Random;

/**
 * Random small affine distortions of training images — shifts, rotations, scaling — so that a model trained on
 * MNIST's tidy, centred digits copes with digits drawn on a phone or in a browser. Applied on the fly, per image,
 * with bilinear sampling; the test set is never augmented.
 */
public final class Augmentation {
    private final double maxShift;
    private final double maxRotationDegrees;
    private final double maxScale;

    /**
     * @param maxShift           largest shift in pixels, each axis
     * @param maxRotationDegrees largest rotation either way
     * @param maxScale           largest relative change of size (0.1 = 90%..110%)
     */
    public Augmentation(double maxShift, double maxRotationDegrees, double maxScale) {
        this.maxShift = maxShift;
        this.maxRotationDegrees = maxRotationDegrees;
        this.maxScale = maxScale;
    }

    /** Shifts up to 2 px, rotations up to 10°, scaling up to 10%. */
    public static Augmentation standard() {
        return new Augmentation(2, 10, 0.1);
    }

    /** Writes a distorted copy of {@code src} (h×w floats) into {@code dst} at {@code offset}. */
    public void apply(float[] src, int h, int w, float[] dst, int offset, Random rng) {
        double angle = Math.toRadians((rng.nextDouble() * 2 - 1) * maxRotationDegrees);
        double scale = 1 + (rng.nextDouble() * 2 - 1) * maxScale;
        double dx = (rng.nextDouble() * 2 - 1) * maxShift;
        double dy = (rng.nextDouble() * 2 - 1) * maxShift;
        double cos = Math.cos(angle) / scale;
        double sin = Math.sin(angle) / scale;
        double cx = (w - 1) / 2.0;
        double cy = (h - 1) / 2.0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                // Inverse mapping: where in the source does this output pixel come from?
                double ox = x - cx - dx;
                double oy = y - cy - dy;
                double sx = cos * ox + sin * oy + cx;
                double sy = -sin * ox + cos * oy + cy;
                dst[offset + y * w + x] = sample(src, h, w, sx, sy);
            }
        }
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
        return "shift ±" + maxShift + " px, rotation ±" + maxRotationDegrees + "°, scale ±" + Math.round(maxScale * 100) + "%";
    }
}
