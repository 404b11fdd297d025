package dev.digits.android;

import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.Recognition;

/**
 * Times a classifier on this device: a few untimed warm-up runs (the first calls allocate and, with XNNPACK, pack
 * weights), then {@code runs} timed classifications of the same input. The time is what {@link Classifier} reports,
 * the interpreter call alone, so variants (float32, float16, int8) compare on the model and not on the app around it.
 */
public final class ModelBenchmark {
    private final int warmupRuns;
    private final int runs;

    /**
     * @throws IllegalArgumentException when {@code runs} is not positive or {@code warmupRuns} is negative
     */
    public ModelBenchmark(int warmupRuns, int runs) {
        if (runs < 1) throw new IllegalArgumentException("runs must be at least 1, was " + runs);
        if (warmupRuns < 0) throw new IllegalArgumentException("warm-up runs must not be negative, was " + warmupRuns);
        this.warmupRuns = warmupRuns;
        this.runs = runs;
    }

    /** One variant's result: its timings and the answer it gave for the input (to spot a broken variant). */
    public static final class Result {
        private final String model;
        private final LatencyStats stats;
        private final Recognition answer;

        Result(String model, LatencyStats stats, Recognition answer) {
            this.model = model;
            this.stats = stats;
            this.answer = answer;
        }

        public String model() {
            return model;
        }

        public LatencyStats stats() {
            return stats;
        }

        /** The classification of the benchmark input. */
        public Recognition answer() {
            return answer;
        }

        @Override
        public String toString() {
            return model + ": " + stats + ", answer " + answer.label();
        }
    }

    /**
     * A plain upright stroke in MNIST form, what a "1" looks like after preprocessing: the input when the user has
     * not classified a digit yet. Any input costs a CNN the same time; a real digit just makes the answer checkable.
     */
    public static float[] standInDigit() {
        float[] pixels = new float[PreprocessedDigit.PIXELS];
        for (int y = 4; y < 24; y++) {
            for (int x = 13; x <= 15; x++) pixels[y * PreprocessedDigit.SIZE + x] = x == 14 ? 1f : 0.5f;
        }
        return pixels;
    }

    /** Runs the benchmark on {@code pixels} (784 values in [0, 1]). */
    public Result run(Classifier classifier, float[] pixels) {
        Recognition last = null;
        for (int i = 0; i < warmupRuns; i++) last = classifier.classify(pixels, 0);
        double[] millis = new double[runs];
        for (int i = 0; i < runs; i++) {
            last = classifier.classify(pixels, 0);
            millis[i] = last.inferenceMillis();
        }
        return new Result(classifier.description(), LatencyStats.of(millis), last);
    }
}
