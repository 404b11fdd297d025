package dev.digits.train;

import dev.digits.core.data.ImageSet;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How a model does on a labelled set: accuracy, per-class precision and recall, the confusion matrix, the mistakes. */
public final class Evaluation {
    private final List<String> classes;
    private final int[][] confusion;
    private final int total;
    private final int correct;
    private final double loss;
    private final int[] predictions;
    private final float[] confidence;
    private final int[] trueLabels;

    private Evaluation(List<String> classes, int[][] confusion, int total, int correct, double loss, int[] predictions,
                       float[] confidence, int[] trueLabels) {
        this.trueLabels = trueLabels;
        this.classes = classes;
        this.confusion = confusion;
        this.total = total;
        this.correct = correct;
        this.loss = loss;
        this.predictions = predictions;
        this.confidence = confidence;
    }

    /** Scores {@code probabilities} (one row per image of {@code set}) against the set's labels. */
    public static Evaluation of(ImageSet set, float[][] probabilities) {
        int k = set.classNames().size();
        int[][] cm = new int[k][k];
        int correct = 0;
        double loss = 0;
        int[] pred = new int[set.size()];
        float[] conf = new float[set.size()];
        int[] truth = new int[set.size()];
        for (int i = 0; i < set.size(); i++) {
            truth[i] = set.label(i);
            float[] p = probabilities[i];
            int best = argmax(p);
            pred[i] = best;
            conf[i] = p[best];
            cm[set.label(i)][best]++;
            if (best == set.label(i)) correct++;
            loss -= Math.log(Math.max(p[set.label(i)], 1e-12));
        }
        return new Evaluation(set.classNames(), cm, set.size(), correct, loss / Math.max(1, set.size()), pred, conf, truth);
    }

    /** Index of the largest value (the first on ties). */
    public static int argmax(float[] p) {
        return dev.digits.core.recognition.Recognition.argmax(p);
    }

    /** Confidence bins of {@link #calibrationError()}: equal widths over [0, 1], as calibration studies use. */
    public static final int CALIBRATION_BINS = 15;

    /**
     * Expected calibration error: the images are put into {@value #CALIBRATION_BINS} bins by the probability the model
     * gave its answer, and in each bin the mean of those probabilities is compared with the share of answers that
     * were right; the differences are averaged, weighted by the bins' sizes. 0 when "90%" means right 9 times in 10.
     */
    public double calibrationError() {
        if (total == 0) return Double.NaN;
        int[] count = new int[CALIBRATION_BINS];
        int[] right = new int[CALIBRATION_BINS];
        double[] confidenceSum = new double[CALIBRATION_BINS];
        for (int i = 0; i < total; i++) {
            int b = Math.min(CALIBRATION_BINS - 1, (int) (confidence[i] * CALIBRATION_BINS));
            count[b]++;
            confidenceSum[b] += confidence[i];
            if (predictions[i] == trueLabels[i]) right[b]++;
        }
        double ece = 0;
        for (int b = 0; b < CALIBRATION_BINS; b++) {
            if (count[b] == 0) continue;
            ece += Math.abs((double) right[b] / count[b] - confidenceSum[b] / count[b]) * count[b] / total;
        }
        return ece;
    }

    public double accuracy() {
        return total == 0 ? 0 : (double) correct / total;
    }

    /** Mean cross-entropy of the true class. */
    public double loss() {
        return loss;
    }

    public int total() {
        return total;
    }

    public int correct() {
        return correct;
    }

    public List<String> classes() {
        return classes;
    }

    /** {@code [true][predicted]} counts. */
    public int[][] confusionMatrix() {
        int[][] c = new int[confusion.length][];
        for (int i = 0; i < c.length; i++) c[i] = confusion[i].clone();
        return c;
    }

    /** Predicted class of image {@code i}. */
    public int prediction(int i) {
        return predictions[i];
    }

    /** Probability the model gave its prediction for image {@code i}. */
    public float confidence(int i) {
        return confidence[i];
    }

    /** Of the images predicted as class {@code c}, the share that are {@code c}. */
    public double precision(int c) {
        int col = 0;
        for (int[] row : confusion) col += row[c];
        return col == 0 ? 0 : (double) confusion[c][c] / col;
    }

    /** Of the images of class {@code c}, the share predicted as {@code c}. */
    public double recall(int c) {
        int row = 0;
        for (int v : confusion[c]) row += v;
        return row == 0 ? 0 : (double) confusion[c][c] / row;
    }

    /** Indices of misclassified images, most confident mistakes first. */
    public List<Integer> mistakes(ImageSet set) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < total; i++) if (predictions[i] != set.label(i)) out.add(i);
        out.sort((a, b) -> Float.compare(confidence[b], confidence[a]));
        return out;
    }

    /** JSON-ready summary for the model card. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("accuracy", round(accuracy()));
        m.put("loss", round(loss));
        m.put("images", total);
        m.put("calibrationError", round(calibrationError()));
        Map<String, Object> per = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            Map<String, Object> pc = new LinkedHashMap<>();
            pc.put("precision", round(precision(c)));
            pc.put("recall", round(recall(c)));
            per.put(classes.get(c), pc);
        }
        m.put("perClass", per);
        List<Object> rows = new ArrayList<>();
        for (int[] row : confusion) rows.add(row.clone());
        m.put("confusionMatrix", rows);
        return m;
    }

    /** The figures as the model card stores them. */
    public dev.digits.core.artifact.ModelCard.Metrics toMetrics() {
        Map<String, Double> recall = new LinkedHashMap<>();
        Map<String, Double> precision = new LinkedHashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            recall.put(classes.get(c), round(recall(c)));
            precision.put(classes.get(c), round(precision(c)));
        }
        List<List<Integer>> rows = new ArrayList<>();
        for (int[] row : confusion) {
            List<Integer> r = new ArrayList<>();
            for (int v : row) r.add(v);
            rows.add(r);
        }
        return new dev.digits.core.artifact.ModelCard.Metrics(round(accuracy()), round(loss), total, recall, precision, rows,
                round(calibrationError()));
    }

    private static double round(double v) {
        return Math.round(v * 1e6) / 1e6;
    }

    /** A text report: accuracy, per-class table and confusion matrix, for the terminal. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Accuracy %.2f%% (%d of %d), loss %.4f%n", 100 * accuracy(), correct, total, loss));
        sb.append(String.format(Locale.ROOT, "Calibration error %.2f%% (%d confidence bins: how far the probabilities it"
                + " gives are from how often it is right)%n%n", 100 * calibrationError(), CALIBRATION_BINS));
        int w = 6;
        for (String c : classes) w = Math.max(w, c.length() + 1);
        sb.append(String.format(Locale.ROOT, "%-" + w + "s %9s %9s %7s%n", "class", "precision", "recall", "images"));
        for (int c = 0; c < classes.size(); c++) {
            int n = 0;
            for (int v : confusion[c]) n += v;
            sb.append(String.format(Locale.ROOT, "%-" + w + "s %8.2f%% %8.2f%% %7d%n", classes.get(c), 100 * precision(c), 100 * recall(c), n));
        }
        sb.append(String.format("%nConfusion matrix (rows: true class, columns: predicted)%n"));
        int cw = 5;
        sb.append(String.format("%" + w + "s", ""));
        for (String c : classes) sb.append(String.format("%" + cw + "s", c.length() > cw - 1 ? c.substring(0, cw - 1) : c));
        sb.append('\n');
        for (int r = 0; r < classes.size(); r++) {
            sb.append(String.format("%-" + w + "s", classes.get(r)));
            for (int c = 0; c < classes.size(); c++) sb.append(String.format("%" + cw + "d", confusion[r][c]));
            sb.append('\n');
        }
        return sb.toString();
    }
}
