package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.train.TrainedModel;

import java.util.Locale;

/**
 * Fits a model's {@link DigitCheck} on digits it was not trained on: the temperature by minimum negative
 * log-likelihood, then the threshold that rejects a chosen share of those digits. Fitting on training images would
 * set the threshold too high, because a model is more confident on what it has seen.
 */
public final class DigitCheckFit {
    /** The share of held-out digits a fitted check rejects by default. */
    public static final double DEFAULT_REJECTED = 0.01;

    private final DigitCheck check;
    private final int heldOut;
    private final double rejectedShare;
    private final String heldOutKind;

    private DigitCheckFit(DigitCheck check, int heldOut, double rejectedShare, String heldOutKind) {
        this.check = check;
        this.heldOut = heldOut;
        this.rejectedShare = rejectedShare;
        this.heldOutKind = heldOutKind;
    }

    /**
     * @param heldOut  MNIST-form digits the model never trained on, with their labels
     * @param rejected the share of them the check may reject, in (0, 0.5)
     */
    public static DigitCheckFit fit(TrainedModel model, ImageSet heldOut, double rejected) {
        return fit(model, heldOut, rejected, "held-out training digits");
    }

    /**
     * As {@link #fit(TrainedModel, ImageSet, double)}, the held-out digits described as {@code heldOutKind} in
     * {@link #describe()} (e.g. "held-out digits: 5,000 from MNIST's training set, 5,000 drawn as users send them").
     */
    public static DigitCheckFit fit(TrainedModel model, ImageSet heldOut, double rejected, String heldOutKind) {
        if (!(rejected > 0 && rejected < 0.5)) {
            throw new IllegalArgumentException("the share of digits to reject must be in (0, 0.5), got " + rejected);
        }
        if (heldOut.size() < 100) {
            throw new IllegalArgumentException("fitting a digit check needs at least 100 held-out digits, got "
                    + heldOut.size());
        }
        float[][] p = model.predictAll(heldOut, 500);
        int[] labels = new int[heldOut.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = heldOut.label(i);
        double temperature = RejectionComparison.fitTemperature(p, labels);
        DigitCheck unit = new DigitCheck(temperature, 0);
        double[] scores = new double[p.length];
        for (int i = 0; i < p.length; i++) scores[i] = unit.score(p[i]);
        double threshold = RejectionComparison.thresholdRejecting(scores, rejected);
        return new DigitCheckFit(new DigitCheck(temperature, threshold), heldOut.size(), rejected, heldOutKind);
    }

    public DigitCheck check() {
        return check;
    }

    /** The share of {@code images} (digits) the fitted check rejects. */
    public double rejectedShareOf(TrainedModel model, ImageSet images) {
        return rejectedShareOf(model.predictAll(images, 500));
    }

    /** The share of answers with these probabilities (one row per image) that the fitted check rejects. */
    public double rejectedShareOf(float[][] probabilities) {
        int rejected = 0;
        for (float[] row : probabilities) if (!check.isDigit(row)) rejected++;
        return rejected / (double) probabilities.length;
    }

    /** What a card or a log says about how the check was fitted. */
    public String describe() {
        return String.format(Locale.ROOT, "T = %.3f by minimum NLL, threshold %.4f rejecting %.1f%% of %,d %s",
                check.temperature(), check.threshold(), 100 * rejectedShare, heldOut, heldOutKind);
    }
}
