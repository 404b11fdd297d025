package dev.digits.train.robustness;

import java.awt.image.BufferedImage;
import java.util.Random;

/**
 * What a drawing is put on, as a user's device captures it: a drawing app's canvas (one flat colour, exact pixels) or
 * a sheet of paper photographed under uneven light, with sensor noise and a warm tint.
 */
final class Surface {
    /** Which way round ink and background are. */
    enum Polarity {
        /** White ink on a black canvas, as the web and Android drawing pads send it. */
        LIGHT_ON_DARK("light on dark"),
        /** Dark ink on white or paper. */
        DARK_ON_LIGHT("dark on light"),
        /** Dark ink on a transparent canvas (a PNG with alpha), which the preprocessing composites on white. */
        DARK_ON_TRANSPARENT("dark on transparent");

        final String description;

        Polarity(String description) {
            this.description = description;
        }

        static Polarity any(Random random) {
            return values()[random.nextInt(values().length)];
        }
    }

    final int width;
    final int height;
    final Polarity polarity;
    private final double background;
    private final double ink;
    private final double gradientX;
    private final double gradientY;
    private final SmoothNoise shading;
    private final double shadingAmplitude;
    private final double noise;
    private final Random random;

    private Surface(int width, int height, Polarity polarity, double background, double ink, double gradientX, double gradientY,
                    SmoothNoise shading, double shadingAmplitude, double noise, Random random) {
        this.width = width;
        this.height = height;
        this.polarity = polarity;
        this.background = background;
        this.ink = ink;
        this.gradientX = gradientX;
        this.gradientY = gradientY;
        this.shading = shading;
        this.shadingAmplitude = shadingAmplitude;
        this.noise = noise;
        this.random = random;
    }

    /** A drawing pad: pure white on pure black, or pure black on white or transparent. */
    static Surface canvas(int width, int height, Polarity polarity) {
        boolean light = polarity == Polarity.LIGHT_ON_DARK;
        return new Surface(width, height, polarity, light ? 0 : 255, light ? 255 : 0, 0, 0, null, 0, 0, null);
    }

    /**
     * A photo of paper: a background between 140 and 235 grey levels lit from one side (up to ±{@code 35} levels
     * across the sheet) with soft shadows, ink between 15 and 80, and Gaussian sensor noise of 2–7 levels.
     */
    static Surface paper(Random random, int width, int height) {
        double bg = 140 + 95 * random.nextDouble();
        double angle = 2 * Math.PI * random.nextDouble();
        double slope = (10 + 25 * random.nextDouble()) / Math.max(width, height);
        SmoothNoise shading = SmoothNoise.random(random, width, height, Math.max(width, height) / (2 + 2 * random.nextDouble()));
        return new Surface(width, height, Polarity.DARK_ON_LIGHT, bg, 15 + 65 * random.nextDouble(), slope * Math.cos(angle),
                slope * Math.sin(angle), shading, 8 + 12 * random.nextDouble(), 2 + 5 * random.nextDouble(), new Random(random.nextLong()));
    }

    /** The surface with {@code mask} drawn at ({@code x0}, {@code y0}); {@code mask} may be null for an empty one. */
    BufferedImage render(InkMask mask, int x0, int y0) {
        boolean transparent = polarity == Polarity.DARK_ON_TRANSPARENT;
        BufferedImage img = new BufferedImage(width, height, transparent ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        double cx = width / 2.0;
        double cy = height / 2.0;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double a = mask == null || x < x0 || y < y0 || x >= x0 + mask.width || y >= y0 + mask.height ? 0 : mask.at(x - x0, y - y0);
                if (transparent) {
                    int alpha = (int) Math.round(255 * a);
                    int v = (int) ink;
                    row[x] = alpha << 24 | v << 16 | v << 8 | v;
                    continue;
                }
                double bg = background;
                if (shading != null) bg += gradientX * (x - cx) + gradientY * (y - cy) + shadingAmplitude * shading.at(x, y);
                double v = bg + (ink - bg) * a;
                if (noise > 0) v += noise * random.nextGaussian();
                // Paper and pencil are warm: blue a little darker than red, as white balance leaves them.
                double warm = shading != null ? 1 : 0;
                row[x] = 0xff000000 | clamp(v) << 16 | clamp(v * (1 - 0.015 * warm)) << 8 | clamp(v * (1 - 0.05 * warm));
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
