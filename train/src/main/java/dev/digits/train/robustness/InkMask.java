package dev.digits.train.robustness;

import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.util.Random;

/**
 * Where ink lies on a picture, as coverage in [0, 1] per pixel: the shape of a drawing before it is put on a canvas
 * or paper. Kept apart from colours so that one shape can be drawn in either polarity and under any lighting.
 * Immutable: every operation returns a new mask.
 */
final class InkMask {
    final int width;
    final int height;
    private final float[] coverage;

    InkMask(int width, int height, float[] coverage) {
        if (coverage.length != width * height) throw new IllegalArgumentException("coverage holds " + coverage.length + " values, not " + width + "×" + height);
        this.width = width;
        this.height = height;
        this.coverage = coverage;
    }

    /** An MNIST image (28×28 bytes from {@code offset}) as coverage. */
    static InkMask ofGrey(byte[] pixels, int offset, int width, int height) {
        float[] c = new float[width * height];
        for (int i = 0; i < c.length; i++) c[i] = (pixels[offset + i] & 0xFF) / 255f;
        return new InkMask(width, height, c);
    }

    /** The grey levels of a {@code TYPE_BYTE_GRAY} image (white = ink) as coverage. */
    static InkMask ofGreyImage(BufferedImage grey) {
        Raster r = grey.getRaster();
        int[] v = r.getPixels(0, 0, grey.getWidth(), grey.getHeight(), (int[]) null);
        float[] c = new float[v.length];
        for (int i = 0; i < v.length; i++) c[i] = v[i] / 255f;
        return new InkMask(grey.getWidth(), grey.getHeight(), c);
    }

    float at(int x, int y) {
        return coverage[y * width + x];
    }

    /** Bilinear resampling to {@code w × h}, pixel centres aligned. */
    InkMask resize(int w, int h) {
        float[] out = new float[w * h];
        double sx = (double) width / w;
        double sy = (double) height / h;
        for (int y = 0; y < h; y++) {
            double fy = (y + 0.5) * sy - 0.5;
            for (int x = 0; x < w; x++) {
                out[y * w + x] = (float) sample((x + 0.5) * sx - 0.5, fy);
            }
        }
        return new InkMask(w, h, out);
    }

    /** Bilinear value at a real position; outside the mask is no ink. */
    double sample(double fx, double fy) {
        int x0 = (int) Math.floor(fx);
        int y0 = (int) Math.floor(fy);
        double ax = fx - x0;
        double ay = fy - y0;
        return (1 - ay) * ((1 - ax) * get(x0, y0) + ax * get(x0 + 1, y0)) + ay * ((1 - ax) * get(x0, y0 + 1) + ax * get(x0 + 1, y0 + 1));
    }

    private float get(int x, int y) {
        return x < 0 || y < 0 || x >= width || y >= height ? 0f : coverage[y * width + x];
    }

    /**
     * A pen's edge instead of MNIST's soft blur: coverage ramps from 0 to 1 between {@code low} and {@code high}
     * (smoothstep), so an upscaled MNIST digit looks drawn with a pen of even width; a higher band thins the stroke.
     */
    InkMask penEdge(double low, double high) {
        float[] out = new float[coverage.length];
        for (int i = 0; i < out.length; i++) {
            double t = Math.min(1, Math.max(0, (coverage[i] - low) / (high - low)));
            out[i] = (float) (t * t * (3 - 2 * t));
        }
        return new InkMask(width, height, out);
    }

    /** Grey dilation by a disc of {@code radius} pixels: a thicker pen. */
    InkMask dilate(int radius) {
        return morphology(radius, true);
    }

    /** Grey erosion by a disc of {@code radius} pixels: a thinner pen. */
    InkMask erode(int radius) {
        return morphology(radius, false);
    }

    private InkMask morphology(int radius, boolean max) {
        if (radius <= 0) return this;
        float[] out = new float[coverage.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float v = max ? 0f : 1f;
                for (int dy = -radius; dy <= radius; dy++) {
                    for (int dx = -radius; dx <= radius; dx++) {
                        if (dx * dx + dy * dy > radius * radius) continue;
                        float s = get(x + dx, y + dy);
                        v = max ? Math.max(v, s) : Math.min(v, s);
                    }
                }
                out[y * width + x] = v;
            }
        }
        return new InkMask(width, height, out);
    }

    /**
     * Elastic distortion (Simard et al. 2003): every pixel is moved by a random displacement field smoothed over
     * about {@code smoothness} pixels and scaled to about {@code strength} pixels, so strokes bend as a hand bends them.
     */
    InkMask elastic(Random random, double strength, double smoothness) {
        SmoothNoise dx = SmoothNoise.random(random, width, height, smoothness);
        SmoothNoise dy = SmoothNoise.random(random, width, height, smoothness);
        float[] out = new float[coverage.length];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                out[y * width + x] = (float) sample(x + strength * dx.at(x, y), y + strength * dy.at(x, y));
            }
        }
        return new InkMask(width, height, out);
    }

    /** Whether any pixel holds ink at or above {@code level}. */
    boolean hasInk(double level) {
        for (float c : coverage) if (c >= level) return true;
        return false;
    }
}
