package dev.digits.core.preprocess;

import java.util.Random;

/**
 * Draws digit-like strokes into pixel arrays for tests: anti-aliased polylines over a background, in the styles the
 * preprocessing must handle (canvas, paper, transparent PNG, photo). Deterministic: the same call gives the same
 * pixels, noise included (java.util.Random's sequence is specified).
 */
final class SyntheticDigits {
    private SyntheticDigits() {
    }

    /** Polylines in a unit box, x to the right and y downwards. */
    static double[][][] glyph(char digit) {
        switch (digit) {
            case '0':
                return new double[][][] {ellipse(0.5, 0.5, 0.5, 0.5)};
            case '1':
                return new double[][][] {{{0.25, 0.2}, {0.55, 0.0}, {0.55, 1.0}}};
            case '2':
                return new double[][][] {{{0.1, 0.25}, {0.3, 0.03}, {0.7, 0.0}, {0.9, 0.2}, {0.85, 0.45}, {0.05, 1.0},
                        {0.95, 1.0}}};
            case '3':
                return new double[][][] {{{0.1, 0.1}, {0.5, 0.0}, {0.85, 0.12}, {0.85, 0.35}, {0.45, 0.5},
                        {0.9, 0.65}, {0.9, 0.85}, {0.5, 1.0}, {0.08, 0.9}}};
            case '4':
                return new double[][][] {{{0.7, 1.0}, {0.7, 0.0}, {0.05, 0.7}, {0.95, 0.7}}};
            case '5':
                return new double[][][] {{{0.9, 0.0}, {0.15, 0.0}, {0.1, 0.45}, {0.6, 0.38}, {0.92, 0.6},
                        {0.85, 0.9}, {0.5, 1.0}, {0.08, 0.9}}};
            case '7':
                return new double[][][] {{{0.05, 0.05}, {0.95, 0.0}, {0.4, 1.0}}};
            case '8':
                return new double[][][] {ellipse(0.5, 0.23, 0.3, 0.23), ellipse(0.5, 0.72, 0.4, 0.28)};
            default:
                throw new IllegalArgumentException("no glyph for " + digit);
        }
    }

    // StrictMath, so that the drawings (and the stored vector inputs) are bit-identical on every JVM.
    private static double[][] ellipse(double cx, double cy, double rx, double ry) {
        int steps = 48;
        double[][] pts = new double[steps + 1][];
        for (int i = 0; i <= steps; i++) {
            double a = 2 * Math.PI * i / steps;
            pts[i] = new double[] {cx + rx * StrictMath.cos(a), cy + ry * StrictMath.sin(a)};
        }
        return pts;
    }

    /**
     * Ink coverage in [0, 1] per pixel of a {@code width x height} image for {@code digit} drawn into the box
     * ({@code left, top, boxWidth, boxHeight}) with a pen of the given radius; {@code softness} 1 gives ordinary
     * anti-aliasing, larger values a blurred, photo-like edge.
     */
    static double[] coverage(int width, int height, char digit, double left, double top, double boxWidth,
                             double boxHeight, double radius, double softness) {
        double[] cov = new double[width * height];
        for (double[][] line : glyph(digit)) {
            for (int s = 0; s + 1 < line.length; s++) {
                double ax = left + line[s][0] * boxWidth;
                double ay = top + line[s][1] * boxHeight;
                double bx = left + line[s + 1][0] * boxWidth;
                double by = top + line[s + 1][1] * boxHeight;
                stroke(cov, width, height, ax, ay, bx, by, radius, softness);
            }
        }
        return cov;
    }

    private static void stroke(double[] cov, int width, int height, double ax, double ay, double bx, double by,
                               double radius, double softness) {
        double reach = radius + softness + 1;
        int x0 = Math.max(0, (int) Math.floor(Math.min(ax, bx) - reach));
        int x1 = Math.min(width - 1, (int) Math.ceil(Math.max(ax, bx) + reach));
        int y0 = Math.max(0, (int) Math.floor(Math.min(ay, by) - reach));
        int y1 = Math.min(height - 1, (int) Math.ceil(Math.max(ay, by) + reach));
        double vx = bx - ax;
        double vy = by - ay;
        double len2 = vx * vx + vy * vy;
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                double px = x + 0.5 - ax;
                double py = y + 0.5 - ay;
                double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, (px * vx + py * vy) / len2));
                double dx = px - t * vx;
                double dy = py - t * vy;
                double d = StrictMath.sqrt(dx * dx + dy * dy);
                double c = Math.max(0, Math.min(1, (radius - d) / softness + 0.5));
                int i = y * width + x;
                cov[i] = Math.max(cov[i], c);
            }
        }
    }

    /** Opaque ARGB blending {@code ink} over {@code paper} by coverage; colours are 0xRRGGBB. */
    static int[] paint(double[] cov, int paper, int ink) {
        int[] argb = new int[cov.length];
        for (int i = 0; i < cov.length; i++) {
            argb[i] = blend(paper, ink, cov[i]);
        }
        return argb;
    }

    /** Ink levels {@code round(255 * coverage)}, shared by the canvas, paper and transparent styles. */
    static int[] levels(double[] cov) {
        int[] level = new int[cov.length];
        for (int i = 0; i < cov.length; i++) {
            level[i] = (int) Math.round(255 * cov[i]);
        }
        return level;
    }

    /** White ink on black, as a drawing canvas: grey level {@code round(255 * coverage)}. */
    static int[] canvas(double[] cov) {
        int[] level = levels(cov);
        int[] argb = new int[cov.length];
        for (int i = 0; i < cov.length; i++) {
            argb[i] = opaqueGrey(level[i]);
        }
        return argb;
    }

    /** Black ink on white paper: the exact negative of {@link #canvas}. */
    static int[] paper(double[] cov) {
        int[] level = levels(cov);
        int[] argb = new int[cov.length];
        for (int i = 0; i < cov.length; i++) {
            argb[i] = opaqueGrey(255 - level[i]);
        }
        return argb;
    }

    /**
     * Black ink whose alpha is the canvas level, over fully transparent black: a PNG exported from a drawing app.
     * Composited on white it is exactly {@link #paper}.
     */
    static int[] transparent(double[] cov) {
        int[] level = levels(cov);
        int[] argb = new int[cov.length];
        for (int i = 0; i < cov.length; i++) {
            argb[i] = level[i] << 24;
        }
        return argb;
    }

    /** {@code paint}, then grey Gaussian noise of the given deviation on every channel alike. */
    static int[] photo(double[] cov, int paper, int ink, double noise, long seed) {
        Random random = new Random(seed);
        int[] argb = paint(cov, paper, ink);
        for (int i = 0; i < argb.length; i++) {
            int delta = (int) Math.round(random.nextGaussian() * noise);
            int p = argb[i];
            int r = clamp(((p >> 16) & 0xFF) + delta);
            int g = clamp(((p >> 8) & 0xFF) + delta);
            int b = clamp((p & 0xFF) + delta);
            argb[i] = 0xFF000000 | (r << 16) | (g << 8) | b;
        }
        return argb;
    }

    /** An opaque image of one grey level. */
    static int[] uniform(int width, int height, int grey) {
        int[] argb = new int[width * height];
        java.util.Arrays.fill(argb, 0xFF000000 | grey * 0x010101);
        return argb;
    }

    static int opaqueGrey(int grey) {
        return 0xFF000000 | grey * 0x010101;
    }

    private static int blend(int paper, int ink, double c) {
        int r = (int) Math.round(((paper >> 16) & 0xFF) + (((ink >> 16) & 0xFF) - ((paper >> 16) & 0xFF)) * c);
        int g = (int) Math.round(((paper >> 8) & 0xFF) + (((ink >> 8) & 0xFF) - ((paper >> 8) & 0xFF)) * c);
        int b = (int) Math.round((paper & 0xFF) + ((ink & 0xFF) - (paper & 0xFF)) * c);
        return 0xFF000000 | (r << 16) | (g << 8) | b;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
