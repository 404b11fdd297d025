package dev.digits.train.robustness;

import dev.digits.core.recognition.Recognition;

import dev.digits.core.recognition.DigitCheck;
import dev.digits.train.robustness.RobustnessCategory.Kind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Compares ways of telling "not a digit" from a model's probabilities. Each method's threshold is chosen to reject a
 * given share of held-out digits (never MNIST test digits); the comparison then reports what each rejects of MNIST
 * test digits and of every robustness category.
 */
public final class RejectionComparison {
    /** A score that is higher the more an answer looks like a digit. */
    public enum Method {
        /** The largest probability. */
        MAX_PROBABILITY("max softmax probability"),
        /** The largest probability after temperature scaling with the fitted T ({@link DigitCheck#score}). */
        TEMPERATURE_SCALED("temperature-scaled max probability"),
        /** Minus the entropy of the probabilities (in nats). */
        ENTROPY("entropy"),
        /** The largest probability minus the second largest. */
        MARGIN("top1 − top2 margin");

        private final String description;

        Method(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }

        /** The score of {@code p}; {@code temperature} is used by {@link #TEMPERATURE_SCALED} only. */
        public double score(float[] p, double temperature) {
            switch (this) {
                case MAX_PROBABILITY:
                    return p[Recognition.argmax(p)];
                case TEMPERATURE_SCALED:
                    return new DigitCheck(temperature, 0).score(p);
                case ENTROPY: {
                    double h = 0;
                    for (float v : p) if (v > 0) h -= v * Math.log(v);
                    return -h;
                }
                default: {
                    double first = 0;
                    double second = 0;
                    for (float v : p) {
                        if (v > first) {
                            second = first;
                            first = v;
                        } else if (v > second) {
                            second = v;
                        }
                    }
                    return first - second;
                }
            }
        }
    }

    /** One method with its fitted setting and what it rejects. */
    public static final class Measured {
        final Method method;
        final double threshold;
        final double heldOutRejected;
        final double testRejected;
        final double[] categoryRejected;

        Measured(Method method, double threshold, double heldOutRejected, double testRejected, double[] categoryRejected) {
            this.method = method;
            this.threshold = threshold;
            this.heldOutRejected = heldOutRejected;
            this.testRejected = testRejected;
            this.categoryRejected = categoryRejected;
        }

        public Method method() {
            return method;
        }

        /** Scores below this are rejected. */
        public double threshold() {
            return threshold;
        }

        public double heldOutRejected() {
            return heldOutRejected;
        }

        public double testRejected() {
            return testRejected;
        }
    }

    private final double temperature;
    private final double rejectFraction;
    private final int heldOutImages;
    private final int testImages;
    private final RobustnessResults results;
    private final List<Measured> measured;

    private RejectionComparison(double temperature, double rejectFraction, int heldOutImages, int testImages, RobustnessResults results,
                                List<Measured> measured) {
        this.temperature = temperature;
        this.rejectFraction = rejectFraction;
        this.heldOutImages = heldOutImages;
        this.testImages = testImages;
        this.results = results;
        this.measured = List.copyOf(measured);
    }

    /**
     * Fits the temperature and every method's threshold on the held-out digits, and measures them.
     *
     * @param heldOut        probabilities of held-out digits (e.g. the last 5,000 MNIST training images)
     * @param heldOutLabels  their digits
     * @param test           probabilities of MNIST test digits, only to report what is rejected
     * @param rejectFraction share of held-out digits each threshold rejects (0.01 = 1%)
     */
    public static RejectionComparison measure(float[][] heldOut, int[] heldOutLabels, float[][] test, RobustnessResults results,
                                              double rejectFraction) {
        double t = fitTemperature(heldOut, heldOutLabels);
        List<Measured> all = new ArrayList<>();
        for (Method m : Method.values()) {
            double[] scores = scores(heldOut, m, t);
            double threshold = thresholdRejecting(scores, rejectFraction);
            double[] perCategory = new double[results.categories().size()];
            for (int c = 0; c < perCategory.length; c++) {
                CategoryResult r = results.categories().get(c);
                int rejected = 0;
                for (int i = 0; i < r.images(); i++) {
                    float[] p = r.probabilities(i);
                    if (p == null || m.score(p, t) < threshold) rejected++;
                }
                perCategory[c] = (double) rejected / r.images();
            }
            all.add(new Measured(m, threshold, rejectedShare(scores, threshold), rejectedShare(scores(test, m, t), threshold), perCategory));
        }
        return new RejectionComparison(t, rejectFraction, heldOut.length, test.length, results, all);
    }

    /**
     * The temperature minimising the negative log-likelihood of {@code labels} under {@code softmax(log p / T)}
     * (the model's logits up to a constant): golden-section search over 1/T in [0.05, 20], where the likelihood is
     * convex.
     */
    public static double fitTemperature(float[][] probabilities, int[] labels) {
        if (probabilities.length == 0 || probabilities.length != labels.length) throw new IllegalArgumentException("need probabilities and labels of the same images");
        double[][] logs = new double[probabilities.length][];
        for (int i = 0; i < logs.length; i++) {
            logs[i] = new double[probabilities[i].length];
            // A probability of 0 (float underflow) is given the smallest float's log, so the likelihood stays finite.
            for (int k = 0; k < logs[i].length; k++) logs[i][k] = Math.log(Math.max(probabilities[i][k], Float.MIN_VALUE));
        }
        double lo = 0.05;
        double hi = 20;
        double golden = (Math.sqrt(5) - 1) / 2;
        double a = hi - golden * (hi - lo);
        double b = lo + golden * (hi - lo);
        double fa = nll(logs, labels, a);
        double fb = nll(logs, labels, b);
        for (int it = 0; it < 100 && hi - lo > 1e-6; it++) {
            if (fa < fb) {
                hi = b;
                b = a;
                fb = fa;
                a = hi - golden * (hi - lo);
                fa = nll(logs, labels, a);
            } else {
                lo = a;
                a = b;
                fa = fb;
                b = lo + golden * (hi - lo);
                fb = nll(logs, labels, b);
            }
        }
        return 1 / ((lo + hi) / 2);
    }

    private static double nll(double[][] logs, int[] labels, double inverseTemperature) {
        double total = 0;
        for (int i = 0; i < logs.length; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (double l : logs[i]) max = Math.max(max, l * inverseTemperature);
            double sum = 0;
            for (double l : logs[i]) sum += Math.exp(l * inverseTemperature - max);
            total += max + Math.log(sum) - logs[i][labels[i]] * inverseTemperature;
        }
        return total / logs.length;
    }

    /**
     * The threshold rejecting (scoring below it) {@code fraction} of {@code scores}: the score ranked
     * {@code ceil(fraction × n)} from the lowest, so that at most that many lie below it.
     */
    public static double thresholdRejecting(double[] scores, double fraction) {
        double[] sorted = scores.clone();
        Arrays.sort(sorted);
        int k = (int) Math.ceil(fraction * sorted.length);
        return sorted[Math.min(k, sorted.length - 1)];
    }

    private static double[] scores(float[][] probabilities, Method m, double temperature) {
        double[] s = new double[probabilities.length];
        for (int i = 0; i < s.length; i++) s[i] = m.score(probabilities[i], temperature);
        return s;
    }

    private static double rejectedShare(double[] scores, double threshold) {
        int n = 0;
        for (double s : scores) if (s < threshold) n++;
        return (double) n / scores.length;
    }

    /** The fitted temperature. */
    public double temperature() {
        return temperature;
    }

    public List<Measured> measured() {
        return measured;
    }

    /** The check the temperature-scaled method gives, as a card would carry it. */
    public DigitCheck temperatureCheck() {
        return new DigitCheck(temperature, measured.get(Method.TEMPERATURE_SCALED.ordinal()).threshold);
    }

    /** What {@code m} rejects, pooled over the categories of {@code kind}. */
    public double rejected(Method m, Kind kind) {
        return pooled(measured.get(m.ordinal()), k -> k == kind);
    }

    /** Two Markdown tables: the methods with their settings and totals, then each category's rejections by method. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Thresholds reject %s of %,d held-out digits; T = %.4f fitted on them (minimum NLL).%n%n",
                RobustnessResults.percent(rejectFraction), heldOutImages, temperature));
        sb.append(String.format(Locale.ROOT, "| method | threshold | held-out digits rejected | MNIST test rejected (%,d) | user-like digits rejected "
                + "| not digits rejected | of which letters | 0-like rings rejected |%n", testImages));
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        int letters = -1;
        for (int c = 0; c < results.categories().size(); c++) if (results.categories().get(c).category().name().equals("letters")) letters = c;
        for (Measured m : measured) {
            double notDigits = pooled(m, k -> k == Kind.NOT_A_DIGIT || k == Kind.EMPTY);
            sb.append(String.format(Locale.ROOT, "| %s%s | %.4f | %s | %s | %s | %s | %s | %s |%n", m.method.description,
                    m.method == Method.TEMPERATURE_SCALED ? String.format(Locale.ROOT, " (T = %.3f)", temperature) : "",
                    m.threshold, RobustnessResults.percent(m.heldOutRejected), RobustnessResults.percent(m.testRejected),
                    RobustnessResults.percent(rejected(m.method, Kind.DIGIT)), RobustnessResults.percent(notDigits),
                    letters < 0 ? "—" : RobustnessResults.percent(m.categoryRejected[letters]),
                    RobustnessResults.percent(rejected(m.method, Kind.ZERO_LIKE))));
        }
        sb.append("\n| category | kind |");
        for (Measured m : measured) sb.append(' ').append(m.method.description).append(" |");
        sb.append("\n|---|---|");
        for (int i = 0; i < measured.size(); i++) sb.append("---:|");
        sb.append('\n');
        for (int c = 0; c < results.categories().size(); c++) {
            RobustnessCategory cat = results.categories().get(c).category();
            sb.append("| ").append(cat.name()).append(" | ").append(RobustnessResults.kindName(cat.kind())).append(" |");
            for (Measured m : measured) sb.append(' ').append(RobustnessResults.percent(m.categoryRejected[c])).append(" |");
            sb.append('\n');
        }
        return sb.toString();
    }

    private double pooled(Measured m, java.util.function.Predicate<Kind> kinds) {
        int rejected = 0;
        int images = 0;
        for (int c = 0; c < results.categories().size(); c++) {
            CategoryResult r = results.categories().get(c);
            if (!kinds.test(r.category().kind())) continue;
            rejected += Math.round(m.categoryRejected[c] * r.images());
            images += r.images();
        }
        return images == 0 ? 0 : (double) rejected / images;
    }
}
