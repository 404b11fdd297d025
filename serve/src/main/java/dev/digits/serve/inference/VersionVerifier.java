package dev.digits.serve.inference;

import dev.digits.core.artifact.ModelCard;
import dev.digits.core.data.IdxFile;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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

    /** Images of each digit taken from an MNIST test set given to {@link #VersionVerifier(double, Path)}. */
    public static final int PER_CLASS_FROM_TEST_SET = 100;

    private final double minAccuracy;
    private final Path testSet;
    private volatile KnownDigits known;

    /**
     * Checks on the 100 packaged digits.
     *
     * @param minAccuracy share of the verification digits a model must classify correctly, in [0, 1]
     */
    public VersionVerifier(double minAccuracy) {
        this(minAccuracy, null);
    }

    /**
     * Checks on the first {@value #PER_CLASS_FROM_TEST_SET} images of each digit of the MNIST test set in
     * {@code mnistDir} ({@code t10k-images-idx3-ubyte} and {@code t10k-labels-idx1-ubyte}, gzipped or not): 1,000
     * digits, ten times as many as packaged, so the card's figures are held to a point or two. Read at the first
     * upload; null for the packaged digits.
     */
    public VersionVerifier(double minAccuracy, Path mnistDir) {
        if (!(minAccuracy >= 0 && minAccuracy <= 1)) {
            throw new IllegalArgumentException("minimum verification accuracy must be in [0, 1], was " + minAccuracy);
        }
        this.minAccuracy = minAccuracy;
        this.testSet = mnistDir;
    }

    /** How many known digits uploads are checked on (reads them when not yet read). */
    public int knownDigits() {
        return known().size();
    }

    /** What the known digits are, for the record a verified version keeps. */
    public String knownDigitsSource() {
        return testSet == null ? "the " + IMAGES + " MNIST test digits packaged in the server"
                : "the first " + PER_CLASS_FROM_TEST_SET + " images of each digit of the MNIST test set";
    }

    /** Whether {@code dir} holds an MNIST test set this verifier can use. */
    public static boolean holdsMnistTestSet(Path dir) {
        return dir != null && IdxFile.find(dir, "t10k-images-idx3-ubyte") != null && IdxFile.find(dir, "t10k-labels-idx1-ubyte") != null;
    }

    /** The digits uploads are held to: pixels ({@code n × 784} in [0, 1]) and their labels. */
    private static final class KnownDigits {
        final float[] pixels;
        final int[] labels;
        final int[] perClass = new int[10];

        KnownDigits(float[] pixels, int[] labels) {
            this.pixels = pixels;
            this.labels = labels;
            for (int l : labels) perClass[l]++;
        }

        int size() {
            return labels.length;
        }
    }

    private KnownDigits known() {
        KnownDigits k = known;
        if (k == null) {
            synchronized (this) {
                k = known;
                if (k == null) {
                    k = testSet == null ? packaged() : fromTestSet(testSet);
                    known = k;
                }
            }
        }
        return k;
    }

    private static KnownDigits packaged() {
        int[] labels = new int[IMAGES];
        for (int i = 0; i < IMAGES; i++) labels[i] = label(i);
        return new KnownDigits(Digits.PIXELS.clone(), labels);
    }

    private static KnownDigits fromTestSet(Path dir) {
        try {
            Path imagesFile = IdxFile.find(dir, "t10k-images-idx3-ubyte");
            Path labelsFile = IdxFile.find(dir, "t10k-labels-idx1-ubyte");
            if (imagesFile == null || labelsFile == null) {
                throw new VerificationException("the verification data " + dir.getFileName() + " holds no MNIST test set"
                        + " (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte)");
            }
            IdxFile images = IdxFile.read(imagesFile, IdxFile.IMAGES_MAGIC);
            IdxFile labels = IdxFile.read(labelsFile, IdxFile.LABELS_MAGIC);
            int side = SIDE * SIDE;
            int[] taken = new int[10];
            float[] px = new float[10 * PER_CLASS_FROM_TEST_SET * side];
            int[] out = new int[10 * PER_CLASS_FROM_TEST_SET];
            int n = 0;
            byte[] data = images.data();
            byte[] ls = labels.data();
            for (int i = 0; i < Math.min(images.count(), labels.count()) && n < out.length; i++) {
                int l = ls[i] & 0xFF;
                if (l > 9 || taken[l] == PER_CLASS_FROM_TEST_SET) continue;
                taken[l]++;
                for (int k = 0; k < side; k++) px[n * side + k] = (data[i * side + k] & 0xFF) / 255f;
                out[n++] = l;
            }
            return new KnownDigits(Arrays.copyOf(px, n * side), Arrays.copyOf(out, n));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
     * accuracy must be at least the card's test accuracy less {@link #allowance} for the number of known digits, and
     * every class's recall at least the card's recall for that class less the allowance for its images — so a model
     * whose classes were swapped or permuted (0% recall on them) is refused whatever its card says. Without figures
     * in the card, only the minimum accuracy applies.
     *
     * @param claimed the card's test-set figures ({@link ModelCard.Metrics#none()} when it has none)
     * @return the share of digits classified correctly
     * @throws VerificationException saying what is wrong
     */
    double verify(InferenceModel model, List<String> labels, ModelCard.Metrics claimed) {
        int[] rightPerClass = new int[10];
        KnownDigits digits = known();
        double accuracy = run(model, labels, rightPerClass, digits);
        if (claimed.isPresent() && Double.isFinite(claimed.accuracy())) {
            double floor = claimed.accuracy() - allowance(claimed.accuracy(), digits.size());
            if (accuracy < floor) {
                throw new VerificationException(String.format(Locale.ROOT, "the model classified %.1f%% of %d known "
                        + "digits correctly; its model card claims %.2f%% on its test set, so at least %.1f%% was "
                        + "expected: the weights do not compute what the card describes", 100 * accuracy, digits.size(),
                        100 * claimed.accuracy(), 100 * floor));
            }
            for (int d = 0; d < 10; d++) {
                Double recall = claimed.recall().get(Integer.toString(d));
                int perClass = digits.perClass[d];
                if (recall == null || !Double.isFinite(recall) || perClass == 0) continue;
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

    private double run(InferenceModel model, List<String> labels, int[] rightPerClass, KnownDigits digits) {
        if (labels.size() != 10) {
            throw new VerificationException("the model has " + labels.size() + " classes; a digit classifier has 10");
        }
        for (int d = 0; d < 10; d++) {
            if (!labels.get(d).equals(Integer.toString(d))) {
                throw new VerificationException("class " + d + " is labelled '" + labels.get(d) + "'; a digit classifier "
                        + "labels its classes 0 to 9 in order");
            }
        }
        int n = digits.size();
        float[][] out;
        try {
            out = model.predict(digits.pixels.clone(), n);
        } catch (RuntimeException e) {
            throw new VerificationException("the model failed to run: " + e.getMessage());
        }
        if (out.length != n) {
            throw new VerificationException("the model answered " + out.length + " rows for " + n + " images");
        }
        int correct = 0;
        for (int i = 0; i < n; i++) {
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
            if (best == digits.labels[i]) {
                correct++;
                rightPerClass[best]++;
            }
        }
        double accuracy = correct / (double) n;
        if (accuracy < minAccuracy) {
            throw new VerificationException(String.format(Locale.ROOT, "the model classified %d of %d known digits "
                    + "correctly (%.0f%%), below the required %.0f%%: its weights look broken or untrained", correct,
                    n, 100 * accuracy, 100 * minAccuracy));
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
