package dev.digits.train.robustness;

import dev.digits.core.recognition.Recognition;

import dev.digits.core.recognition.DigitCheck;

import java.util.List;

/**
 * What the preprocessing and a model made of one category's images: for each image its label and the model's
 * probabilities, or none when the preprocessing found no digit ("empty"). Decisions under a {@link DigitCheck} are
 * made afterwards, so one run serves every check and every rejection method.
 */
public final class CategoryResult {
    private final RobustnessCategory category;
    private final int[] labels;
    private final float[][] probabilities;
    private final List<RobustnessImage> examples;
    private final double seconds;

    CategoryResult(RobustnessCategory category, int[] labels, float[][] probabilities, List<RobustnessImage> examples, double seconds) {
        this.category = category;
        this.labels = labels;
        this.probabilities = probabilities;
        this.examples = List.copyOf(examples);
        this.seconds = seconds;
    }

    public RobustnessCategory category() {
        return category;
    }

    public int images() {
        return labels.length;
    }

    /** The label of image {@code i} (a digit or {@link RobustnessImage#NOT_A_DIGIT}). */
    public int label(int i) {
        return labels[i];
    }

    /** The model's probabilities for image {@code i}, or null when the preprocessing found no digit in it. */
    public float[] probabilities(int i) {
        return probabilities[i] == null ? null : probabilities[i].clone();
    }

    /** The first images of the category, for pictures. */
    public List<RobustnessImage> examples() {
        return examples;
    }

    /** Time spent generating, decoding, preprocessing and classifying the category. */
    public double seconds() {
        return seconds;
    }

    /** How image {@code i} is answered under {@code check}. */
    public Answer answer(int i, DigitCheck check) {
        float[] p = probabilities[i];
        if (p == null) return Answer.EMPTY;
        if (!check.isDigit(p)) return Answer.NOT_A_DIGIT;
        return Recognition.argmax(p) == labels[i] ? Answer.RIGHT_DIGIT : Answer.WRONG_DIGIT;
    }

    /** The digit the model answers for image {@code i}, or -1 when the preprocessing found none. */
    public int predicted(int i) {
        return probabilities[i] == null ? -1 : Recognition.argmax(probabilities[i]);
    }

    /** The outcome of one image. */
    public enum Answer {
        /** The preprocessing found nothing (reason "empty"). */
        EMPTY,
        /** The check rejected the model's answer (reason "not-a-digit"). */
        NOT_A_DIGIT,
        /** A digit, the right one. */
        RIGHT_DIGIT,
        /** A digit, not the one shown (or any digit for a picture holding none). */
        WRONG_DIGIT;

        public boolean rejected() {
            return this == EMPTY || this == NOT_A_DIGIT;
        }
    }
}
