package dev.digits.serve.inference;

import dev.digits.core.artifact.ModelCard;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Locale;

/**
 * Checks that a model about to be served answers sensibly: it is run on 100 known handwritten digits — the first ten
 * of each class in the MNIST test set (t10k), packaged as {@value #RESOURCE}, row {@code d} holding ten images of
 * digit {@code d} — and must return ten probabilities per image that are finite, non-negative and sum to 1, and get
 * at least the required share of the digits right — and, when its model card has test figures, about as many as the
 * card claims, overall and for every class ({@link #verify(InferenceModel, List, ModelCard.Metrics)}). A model with
 * broken or mismatched weights scores about 10%, one with swapped classes 0% on them; both are refused before any
 * request reaches them.
 */
public final class VersionVerifier {
    /** Class-path resource with the verification digits: a 280×280 grey PNG, ten rows of ten 28×28 MNIST images. */
    public static final String RESOURCE = "/dev/digits/serve/verification-digits.png";
    /** Images in the verification set. */
    public static final int IMAGES = 100;

    private static final int SIDE = 28;

    private final double minAccuracy;

    /** @param minAccuracy share of the verification digits a model must classify correctly, in [0, 1] */
    public VersionVerifier(double minAccuracy) {
        if (!(minAccuracy >= 0 && minAccuracy <= 1)) {
            throw new IllegalArgumentException("minimum verification accuracy must be in [0, 1], was " + minAccuracy);
        }
        this.minAccuracy = minAccuracy;
    }

    /** The verification images, 100 × 784 values in [0,1], image {@code i} showing digit {@code i / 10}. */
    public static float[] pixels() {
        return Digits.PIXELS.clone();
    }

    /** The digit shown by verification image {@code i}. */
    public static int label(int i) {
        return i / 10;
    }

    /**
     * Runs the verification digits through {@code model}.
     *
     * @param labels the model's class names; class {@code d} must be named {@code "d"}
     * @return the share of digits classified correctly
     * @throws VerificationException saying what is wrong
     */
    double verify(InferenceModel model, List<String> labels) {
        return verify(model, labels, ModelCard.Metrics.none());
    }

    /**
     * Runs the verification digits through {@code model} and holds the answers against what its card claims: the
     * accuracy must be at least the card's test accuracy less {@link #allowance} for {@value #IMAGES} images, and every
     * class's recall at least the card's recall for that class less the allowance for its ten images — so a model
     * whose classes were swapped or permuted (0% recall on them) is refused whatever its card says. Without figures
     * in the card, only the minimum accuracy applies.
     *
     * @param claimed the card's test-set figures ({@link ModelCard.Metrics#none()} when it has none)
     * @return the share of digits classified correctly
     * @throws VerificationException saying what is wrong
     */
    double verify(InferenceModel model, List<String> labels, ModelCard.Metrics claimed) {
        int[] rightPerClass = new int[10];
        double accuracy = run(model, labels, rightPerClass);
        if (claimed.isPresent() && Double.isFinite(claimed.accuracy())) {
            double floor = claimed.accuracy() - allowance(claimed.accuracy(), IMAGES);
            if (accuracy < floor) {
                throw new VerificationException(String.format(Locale.ROOT, "the model classified %.0f%% of %d known "
                        + "digits correctly; its model card claims %.2f%% on its test set, so at least %.1f%% was "
                        + "expected: the weights do not compute what the card describes", 100 * accuracy, IMAGES,
                        100 * claimed.accuracy(), 100 * floor));
            }
            int perClass = IMAGES / 10;
            for (int d = 0; d < 10; d++) {
                Double recall = claimed.recall().get(Integer.toString(d));
                if (recall == null || !Double.isFinite(recall)) continue;
                double got = rightPerClass[d] / (double) perClass;
                double classFloor = recall - allowance(recall, perClass) - CLASS_POINTS;
                if (got < classFloor) {
                    throw new VerificationException(String.format(Locale.ROOT, "the model recognised %d of %d known "
                            + "images of %d; its model card claims a recall of %.1f%% for that class, so at least "
                            + "%.0f%% was expected: its classes look swapped or its weights changed", rightPerClass[d],
                            perClass, d, 100 * recall, 100 * classFloor));
                }
            }
        }
        return accuracy;
    }

    /** Points a class's recall may fall short of the card's, on top of {@link #allowance}. */
    static final double CLASS_POINTS = 0.05;

    /**
     * How far a share measured on {@code n} images may fall below a claimed share {@code p} by chance: one point, plus
     * three standard errors of a proportion ({@code 3·√(p(1−p)/n)}).
     */
    static double allowance(double p, int n) {
        double q = Math.max(0, Math.min(1, p));
        return 0.01 + 3 * Math.sqrt(q * (1 - q) / n);
    }

    private double run(InferenceModel model, List<String> labels, int[] rightPerClass) {
        if (labels.size() != 10) {
            throw new VerificationException("the model has " + labels.size() + " classes; a digit classifier has 10");
        }
        for (int d = 0; d < 10; d++) {
            if (!labels.get(d).equals(Integer.toString(d))) {
                throw new VerificationException("class " + d + " is labelled '" + labels.get(d) + "'; a digit classifier "
                        + "labels its classes 0 to 9 in order");
            }
        }
        float[][] out;
        try {
            out = model.predict(Digits.PIXELS.clone(), IMAGES);
        } catch (RuntimeException e) {
            throw new VerificationException("the model failed to run: " + e.getMessage());
        }
        if (out.length != IMAGES) {
            throw new VerificationException("the model answered " + out.length + " rows for " + IMAGES + " images");
        }
        int correct = 0;
        for (int i = 0; i < IMAGES; i++) {
            float[] p = out[i];
            if (p.length != 10) {
                throw new VerificationException("the model answered " + p.length + " values for an image instead of 10");
            }
            double sum = 0;
            int best = 0;
            for (int k = 0; k < 10; k++) {
                if (!Float.isFinite(p[k]) || p[k] < 0) {
                    throw new VerificationException("the model answered " + p[k] + " as a probability");
                }
                sum += p[k];
                if (p[k] > p[best]) best = k;
            }
            if (Math.abs(sum - 1) > 1e-3) {
                throw new VerificationException(String.format(Locale.ROOT,
                        "the model's probabilities for an image sum to %.4f, not 1: is the final softmax missing?", sum));
            }
            if (best == label(i)) {
                correct++;
                rightPerClass[label(i)]++;
            }
        }
        double accuracy = correct / (double) IMAGES;
        if (accuracy < minAccuracy) {
            throw new VerificationException(String.format(Locale.ROOT, "the model classified %d of %d known digits "
                    + "correctly (%.0f%%), below the required %.0f%%: its weights look broken or untrained", correct,
                    IMAGES, 100 * accuracy, 100 * minAccuracy));
        }
        return accuracy;
    }

    /** The digits, read at first use: only uploads are verified on them, and ImageIO is slow to start. */
    private static final class Digits {
        static final float[] PIXELS = load();
    }

    private static float[] load() {
        try (InputStream in = VersionVerifier.class.getResourceAsStream(RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing class-path resource " + RESOURCE);
            BufferedImage img = ImageIO.read(in);
            Raster r = img.getRaster();
            float[] out = new float[IMAGES * SIDE * SIDE];
            for (int i = 0; i < IMAGES; i++) {
                int x0 = (i % 10) * SIDE;
                int y0 = (i / 10) * SIDE;
                for (int y = 0; y < SIDE; y++) {
                    for (int x = 0; x < SIDE; x++) {
                        out[i * SIDE * SIDE + y * SIDE + x] = r.getSample(x0 + x, y0 + y, 0) / 255f;
                    }
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
