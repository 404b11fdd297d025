package dev.digits.train.robustness;

import dev.digits.train.robustness.RobustnessCategory.Kind;
import dev.digits.train.robustness.Surface.Polarity;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;

/**
 * Pictures that hold no digit: scribbles, geometric shapes, rings (apart, since a ring is a fair "0"), textures and
 * photos of objects, empty pads and blank paper.
 */
final class NonDigitPictures {
    private static final int PAD = 280;
    private static final int[][] PHOTO_SIZES = {{640, 480}, {1152, 864}, {1280, 960}, {1600, 1200}};

    private NonDigitPictures() {
    }

    static List<RobustnessCategory> categories() {
        return List.of(
                new RobustnessCategory("scribbles", "2–5 random curved strokes on a 280×280 pad, either polarity",
                        Kind.NOT_A_DIGIT, (r, i) -> onPad(r, NonDigitPictures::scribble)),
                new RobustnessCategory("shapes", "squares, triangles, diamonds, stars, crosses and arrows, outlined or filled, rotated; no round shapes",
                        Kind.NOT_A_DIGIT, (r, i) -> onPad(r, (random, g) -> shape(random, g, i))),
                new RobustnessCategory("rings", "outlined circles and ovals (aspect 0.55–1): shaped like a 0, reported apart",
                        Kind.ZERO_LIKE, (r, i) -> onPad(r, NonDigitPictures::ring)),
                new RobustnessCategory("textures", "smooth colour and brightness noise in 2–4 octaves, 0.3–1.9 MP JPEG",
                        Kind.NOT_A_DIGIT, (r, i) -> photo(r, NonDigitPictures::texture)),
                new RobustnessCategory("object-photos", "a lit gradient background with 1–3 soft-edged blobs of other colours and sensor noise, JPEG",
                        Kind.NOT_A_DIGIT, (r, i) -> photo(r, NonDigitPictures::objects)),
                new RobustnessCategory("empty-canvas", "280×280 pad with nothing drawn: black, white or transparent PNG",
                        Kind.EMPTY, (r, i) -> {
                            Polarity p = Polarity.any(r);
                            return RobustnessImage.png(Surface.canvas(PAD, PAD, p).render(null, 0, 0), RobustnessImage.NOT_A_DIGIT, "none");
                        }),
                new RobustnessCategory("empty-paper", "1–2 MP photo of blank paper under uneven light with sensor noise, JPEG",
                        Kind.EMPTY, (r, i) -> {
                            int[] s = PHOTO_SIZES[1 + r.nextInt(PHOTO_SIZES.length - 1)];
                            Surface paper = Surface.paper(r, s[0], s[1]);
                            return RobustnessImage.jpeg(paper.render(null, 0, 0), 0.7 + 0.22 * r.nextDouble(), RobustnessImage.NOT_A_DIGIT, "none");
                        }));
    }

    /** Something drawn with {@code drawing} in white on a grey mask the size of a pad, put on a pad of either polarity. */
    private static RobustnessImage onPad(Random r, BiFunction<Random, Graphics2D, Void> drawing) {
        BufferedImage mask = new BufferedImage(PAD, PAD, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = mask.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.setStroke(new BasicStroke((float) (PAD * (0.025 + 0.045 * r.nextDouble())), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
            drawing.apply(r, g);
        } finally {
            g.dispose();
        }
        Polarity p = Polarity.any(r);
        return RobustnessImage.png(Surface.canvas(PAD, PAD, p).render(InkMask.ofGreyImage(mask), 0, 0), RobustnessImage.NOT_A_DIGIT, p.description);
    }

    private static Void scribble(Random r, Graphics2D g) {
        int strokes = 2 + r.nextInt(4);
        for (int s = 0; s < strokes; s++) {
            Path2D.Double path = new Path2D.Double();
            path.moveTo(point(r), point(r));
            int segments = 2 + r.nextInt(4);
            for (int k = 0; k < segments; k++) path.quadTo(point(r), point(r), point(r), point(r));
            g.draw(path);
        }
        return null;
    }

    private static double point(Random r) {
        return PAD * (0.1 + 0.8 * r.nextDouble());
    }

    /** Shape {@code index % 6}, so every kind appears equally often. */
    private static Void shape(Random r, Graphics2D g, int index) {
        double size = PAD * (0.3 + 0.4 * r.nextDouble());
        Path2D.Double p = new Path2D.Double();
        switch (index % 6) {
            case 0 -> {
                double aspect = 0.8 + 0.45 * r.nextDouble();
                p.append(new Rectangle2D.Double(-size / 2, -size * aspect / 2, size, size * aspect), false);
            }
            case 1 -> polygon(p, 3, size / 2, 0);
            case 2 -> polygon(p, 4, size / 2, Math.PI / 4);
            case 3 -> {
                for (int k = 0; k < 10; k++) {
                    double a = Math.PI * k / 5 - Math.PI / 2;
                    double rad = k % 2 == 0 ? size / 2 : size / 5;
                    if (k == 0) p.moveTo(rad * Math.cos(a), rad * Math.sin(a));
                    else p.lineTo(rad * Math.cos(a), rad * Math.sin(a));
                }
                p.closePath();
            }
            case 4 -> {
                p.moveTo(-size / 2, -size / 2);
                p.lineTo(size / 2, size / 2);
                p.moveTo(size / 2, -size / 2);
                p.lineTo(-size / 2, size / 2);
            }
            default -> {
                p.moveTo(-size / 2, 0);
                p.lineTo(size / 2, 0);
                p.moveTo(size / 4, -size / 4);
                p.lineTo(size / 2, 0);
                p.lineTo(size / 4, size / 4);
            }
        }
        AffineTransform t = AffineTransform.getTranslateInstance(PAD / 2.0 + PAD * 0.1 * (2 * r.nextDouble() - 1),
                PAD / 2.0 + PAD * 0.1 * (2 * r.nextDouble() - 1));
        t.rotate(2 * Math.PI * r.nextDouble());
        Shape placed = t.createTransformedShape(p);
        boolean closed = index % 6 < 4;
        if (closed && r.nextBoolean()) g.fill(placed);
        else g.draw(placed);
        return null;
    }

    private static void polygon(Path2D.Double p, int corners, double radius, double start) {
        for (int k = 0; k < corners; k++) {
            double a = start + 2 * Math.PI * k / corners - Math.PI / 2;
            if (k == 0) p.moveTo(radius * Math.cos(a), radius * Math.sin(a));
            else p.lineTo(radius * Math.cos(a), radius * Math.sin(a));
        }
        p.closePath();
    }

    private static Void ring(Random r, Graphics2D g) {
        double w = PAD * (0.3 + 0.4 * r.nextDouble());
        double h = w * (0.55 + 0.45 * r.nextDouble());
        Shape e = new Ellipse2D.Double(-w / 2, -h / 2, w, h);
        AffineTransform t = AffineTransform.getTranslateInstance(PAD / 2.0, PAD / 2.0);
        t.rotate(Math.PI * r.nextDouble());
        g.draw(t.createTransformedShape(e));
        return null;
    }

    /** A photo-sized RGB picture whose pixel colours {@code painter} gives. */
    private static RobustnessImage photo(Random r, BiFunction<Random, int[], int[]> painter) {
        int[] s = PHOTO_SIZES[r.nextInt(PHOTO_SIZES.length)];
        int[] argb = painter.apply(r, s);
        BufferedImage img = new BufferedImage(s[0], s[1], BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, s[0], s[1], argb, 0, s[0]);
        return RobustnessImage.jpeg(img, 0.7 + 0.22 * r.nextDouble(), RobustnessImage.NOT_A_DIGIT, "none");
    }

    private static int[] texture(Random r, int[] size) {
        int w = size[0];
        int h = size[1];
        int octaves = 2 + r.nextInt(3);
        // Channels 0–2 vary the colour, channel 3 the brightness of all three: colour alone can leave a grey picture flat.
        SmoothNoise[][] noise = new SmoothNoise[4][octaves];
        double base = Math.max(w, h) / (2 + 4 * r.nextDouble());
        for (int c = 0; c < 4; c++) {
            for (int o = 0; o < octaves; o++) noise[c][o] = SmoothNoise.random(r, w, h, base / (1 << o));
        }
        double[] mean = {60 + 140 * r.nextDouble(), 60 + 140 * r.nextDouble(), 60 + 140 * r.nextDouble()};
        double amplitude = 40 + 40 * r.nextDouble();
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = 0xff000000;
                for (int c = 0; c < 3; c++) {
                    double v = mean[c];
                    for (int o = 0; o < octaves; o++) v += amplitude / (1 << o) * (0.5 * noise[c][o].at(x, y) + noise[3][o].at(x, y));
                    rgb |= clamp(v) << (16 - 8 * c);
                }
                out[y * w + x] = rgb;
            }
        }
        return out;
    }

    private static int[] objects(Random r, int[] size) {
        int w = size[0];
        int h = size[1];
        double[] from = colour(r);
        double[] to = colour(r);
        double angle = 2 * Math.PI * r.nextDouble();
        double gx = Math.cos(angle) / Math.max(w, h);
        double gy = Math.sin(angle) / Math.max(w, h);
        int blobs = 1 + r.nextInt(3);
        double[][] blob = new double[blobs][];
        for (int b = 0; b < blobs; b++) {
            double[] c = colour(r);
            double rx = Math.min(w, h) * (0.12 + 0.3 * r.nextDouble());
            blob[b] = new double[]{w * (0.2 + 0.6 * r.nextDouble()), h * (0.2 + 0.6 * r.nextDouble()), rx, rx * (0.5 + r.nextDouble()),
                    c[0], c[1], c[2], 0.05 + 0.25 * r.nextDouble()};
        }
        Random noise = new Random(r.nextLong());
        double sigma = 2 + 5 * r.nextDouble();
        int[] out = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = Math.min(1, Math.max(0, 0.5 + gx * (x - w / 2.0) + gy * (y - h / 2.0)));
                double[] v = {from[0] + (to[0] - from[0]) * t, from[1] + (to[1] - from[1]) * t, from[2] + (to[2] - from[2]) * t};
                for (double[] b : blob) {
                    double dx = (x - b[0]) / b[2];
                    double dy = (y - b[1]) / b[3];
                    double d = Math.sqrt(dx * dx + dy * dy);
                    // Coverage falls from 1 to 0 over the blob's outer edge (width b[7] of its radius): a soft object.
                    double a = Math.min(1, Math.max(0, (1 - d) / b[7]));
                    for (int c = 0; c < 3; c++) v[c] += (b[4 + c] - v[c]) * a;
                }
                double n = sigma * noise.nextGaussian();
                out[y * w + x] = 0xff000000 | clamp(v[0] + n) << 16 | clamp(v[1] + n) << 8 | clamp(v[2] + n);
            }
        }
        return out;
    }

    private static double[] colour(Random r) {
        return new double[]{255 * r.nextDouble(), 255 * r.nextDouble(), 255 * r.nextDouble()};
    }

    private static int clamp(double v) {
        return (int) Math.max(0, Math.min(255, Math.round(v)));
    }
}
