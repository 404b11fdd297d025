package dev.digits.train.robustness;

import dev.digits.core.recognition.Recognition;

import dev.digits.core.io.AtomicFiles;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.train.data.ImageFiles;
import dev.digits.train.robustness.CategoryResult.Answer;
import dev.digits.train.robustness.RobustnessCategory.Kind;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/** Every category's answers from one run, read as a table or a picture under a {@link DigitCheck}. */
public final class RobustnessResults {
    /** Probability at or above which a wrong digit counts as a confident mistake. */
    public static final double CONFIDENT = 0.9;

    private final List<CategoryResult> categories;
    private final int imagesPerCategory;
    private final long seed;

    RobustnessResults(List<CategoryResult> categories, int imagesPerCategory, long seed) {
        this.categories = List.copyOf(categories);
        this.imagesPerCategory = imagesPerCategory;
        this.seed = seed;
    }

    public List<CategoryResult> categories() {
        return categories;
    }

    public int imagesPerCategory() {
        return imagesPerCategory;
    }

    public long seed() {
        return seed;
    }

    /** Counts of one category, or of several pooled, under one check. */
    public static final class Tally {
        int images;
        int right;
        int empty;
        int notADigit;
        int confidentWrong;

        public int images() {
            return images;
        }

        /** Share of images answered with the right digit (a rejection is not right). */
        public double accuracy() {
            return share(right);
        }

        /** Share answered "no digit", whatever the reason. */
        public double noDigit() {
            return share(empty + notADigit);
        }

        public double empty() {
            return share(empty);
        }

        public double notADigit() {
            return share(notADigit);
        }

        /** Share answered with a wrong digit at probability ≥ {@value #CONFIDENT}. */
        public double confidentWrong() {
            return share(confidentWrong);
        }

        private double share(int count) {
            return images == 0 ? 0 : (double) count / images;
        }
    }

    /** The tally of the categories {@code which} selects. */
    public Tally tally(DigitCheck check, Predicate<CategoryResult> which) {
        Tally t = new Tally();
        for (CategoryResult c : categories) {
            if (!which.test(c)) continue;
            for (int i = 0; i < c.images(); i++) {
                Answer a = c.answer(i, check);
                t.images++;
                switch (a) {
                    case EMPTY -> t.empty++;
                    case NOT_A_DIGIT -> t.notADigit++;
                    case RIGHT_DIGIT -> t.right++;
                    case WRONG_DIGIT -> {
                        float[] p = c.probabilities(i);
                        if (p[Recognition.argmax(p)] >= CONFIDENT) t.confidentWrong++;
                    }
                }
            }
        }
        return t;
    }

    /**
     * The per-category table in Markdown: images, accuracy (digit categories), "no digit" answers by reason, false
     * rejections (digit categories) and confident wrong digits; then the digit and non-digit totals.
     */
    public String table(DigitCheck check) {
        StringBuilder sb = new StringBuilder();
        sb.append("| category | kind | images | accuracy | no digit | of which empty | of which not-a-digit | false rejections | wrong digit at p ≥ 0.9 |\n");
        sb.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (CategoryResult c : categories) {
            row(sb, c.category().name(), c.category().kind(), tally(check, r -> r == c));
        }
        row(sb, "**all digits**", Kind.DIGIT, tally(check, r -> r.category().kind() == Kind.DIGIT));
        row(sb, "**all not digits** (rings apart)", Kind.NOT_A_DIGIT,
                tally(check, RobustnessResults::holdsNoDigit));
        return sb.toString();
    }

    /**
     * What the check with {@code temperature} answers at each of {@code thresholds}, in Markdown: for each, the share
     * of MNIST test digits it rejects ({@code mnistTest}: their probabilities), the digit categories read right and
     * rejected, and the pictures without a digit (rings apart) answered "no digit". A trade-off to choose from: a
     * lower threshold passes more digits people draw and more pictures that hold none.
     */
    public String operatingPoints(double temperature, double[] thresholds, float[][] mnistTest) {
        StringBuilder sb = new StringBuilder();
        sb.append("| threshold | MNIST test digits rejected | digits read right | digits rejected | no digit answered \"no digit\" |\n");
        sb.append("|---:|---:|---:|---:|---:|\n");
        for (double x : thresholds) {
            DigitCheck check = new DigitCheck(temperature, x);
            int rejected = 0;
            for (float[] p : mnistTest) if (!check.isDigit(p)) rejected++;
            Tally digits = tally(check, r -> r.category().kind() == Kind.DIGIT);
            Tally none = tally(check, RobustnessResults::holdsNoDigit);
            sb.append(String.format(Locale.ROOT, "| %.4f | %s | %s | %s | %s |%n", x, percent((double) rejected / mnistTest.length),
                    percent(digits.accuracy()), percent(digits.noDigit()), percent(none.noDigit())));
        }
        return sb.toString();
    }

    /** Whether a category's pictures hold no digit: the non-digit totals (rings, shaped like a 0, are apart). */
    private static boolean holdsNoDigit(CategoryResult r) {
        return r.category().kind() == Kind.NOT_A_DIGIT || r.category().kind() == Kind.EMPTY;
    }

    private static void row(StringBuilder sb, String name, Kind kind, Tally t) {
        boolean digits = kind == Kind.DIGIT;
        sb.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %s |%n", name, kindName(kind), t.images,
                digits ? percent(t.accuracy()) : "—", percent(t.noDigit()), percent(t.empty()), percent(t.notADigit()),
                digits ? percent(t.noDigit()) : "—", percent(t.confidentWrong())));
    }

    static String kindName(Kind kind) {
        return switch (kind) {
            case DIGIT -> "digit";
            case NOT_A_DIGIT -> "not a digit";
            case ZERO_LIKE -> "0-like";
            case EMPTY -> "empty";
        };
    }

    static String percent(double share) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * share);
    }

    /**
     * A PNG with one row per category: its name and first images as the server received them, each captioned with
     * the answer under {@code check} (green when right: the right digit, or "no digit" for a picture holding none).
     */
    public void writeExampleGrid(Path file, DigitCheck check) throws IOException {
        int thumb = 96;
        int caption = 18;
        int labelWidth = 190;
        int columns = RobustnessBenchmark.EXAMPLES;
        int cell = thumb + caption + 6;
        BufferedImage grid = new BufferedImage(labelWidth + columns * (thumb + 6) + 6, categories.size() * cell + 6, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = grid.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, grid.getWidth(), grid.getHeight());
            for (int row = 0; row < categories.size(); row++) {
                CategoryResult c = categories.get(row);
                int y = 6 + row * cell;
                g.setColor(Color.BLACK);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
                g.drawString(c.category().name(), 8, y + thumb / 2);
                g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
                g.setColor(Color.DARK_GRAY);
                g.drawString(kindName(c.category().kind()), 8, y + thumb / 2 + 16);
                for (int k = 0; k < c.examples().size(); k++) {
                    int x = labelWidth + k * (thumb + 6);
                    drawThumbnail(g, c.examples().get(k), x, y, thumb);
                    Answer a = c.answer(k, check);
                    boolean good = c.category().kind().wantsRejection() ? a.rejected() : a == Answer.RIGHT_DIGIT;
                    g.setColor(good ? new Color(0, 120, 0) : new Color(190, 0, 0));
                    g.drawString(caption(c, k, a), x, y + thumb + caption - 4);
                }
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(grid, "png", out);
        AtomicFiles.write(file, out.toByteArray());
    }

    private static String caption(CategoryResult c, int k, Answer a) {
        if (a == Answer.EMPTY) return "empty";
        float[] p = c.probabilities(k);
        int d = Recognition.argmax(p);
        String answer = String.format(Locale.ROOT, "%d %.0f%%", d, 100 * p[d]);
        return a == Answer.NOT_A_DIGIT ? "no (" + answer + ")" : answer;
    }

    private static void drawThumbnail(Graphics2D g, RobustnessImage image, int x, int y, int size) throws IOException {
        ImageFiles.ArgbImage argb = ImageFiles.decode(image.bytes(), "example", ImageFiles.MAX_SIDE);
        BufferedImage img = new BufferedImage(argb.width, argb.height, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, argb.width, argb.height, argb.argb, 0, argb.width);
        double scale = (double) size / Math.max(argb.width, argb.height);
        int w = (int) Math.round(argb.width * scale);
        int h = (int) Math.round(argb.height * scale);
        // A checkerboard shows where a PNG is transparent, as image viewers do.
        for (int cy = 0; cy < size; cy += 8) {
            for (int cx = 0; cx < size; cx += 8) {
                g.setColor(((cx + cy) / 8) % 2 == 0 ? new Color(225, 225, 225) : new Color(250, 250, 250));
                g.fillRect(x + cx, y + cy, Math.min(8, size - cx), Math.min(8, size - cy));
            }
        }
        g.drawImage(img, x + (size - w) / 2, y + (size - h) / 2, w, h, null);
        g.setColor(Color.GRAY);
        g.drawRect(x, y, size - 1, size - 1);
    }
}
