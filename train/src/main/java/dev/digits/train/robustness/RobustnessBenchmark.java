package dev.digits.train.robustness;

import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.ImageFiles;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Runs generated images through what the server does with an upload — decoding with javax.imageio into ARGB, core's
 * the model's preprocessing ({@link DigitPreprocessor#defaults()} unless it declares another), the model — and keeps
 * every answer.
 */
public final class RobustnessBenchmark {
    /** Images kept per category for the example grid. */
    public static final int EXAMPLES = 8;
    /** Images generated and preprocessed together (in parallel) before the model classifies them as one batch. */
    private static final int CHUNK = 50;

    private final TrainedModel model;
    private final InputPreprocessor preprocessor;

    /** @param model a digit classifier taking 28×28 inputs, prepared by {@link DigitPreprocessor#defaults()} */
    public RobustnessBenchmark(TrainedModel model) {
        this(model, DigitPreprocessor.defaults());
    }

    /**
     * @param model        a digit classifier taking 28×28 inputs
     * @param preprocessor the preprocessing its contract declares ({@link InputPreprocessor#of})
     */
    public RobustnessBenchmark(TrainedModel model, InputPreprocessor preprocessor) {
        if (model.inputSize() != PreprocessedDigit.PIXELS || model.labels().size() != 10) {
            throw new IllegalArgumentException("the robustness benchmark needs a digit classifier taking 28×28 images");
        }
        this.model = model;
        this.preprocessor = preprocessor;
    }

    /**
     * {@code images} images of every category for {@code seed}.
     *
     * @param progress where a progress bar goes, or null for none
     */
    public RobustnessResults run(List<RobustnessCategory> categories, int images, long seed, PrintStream progress) {
        if (images < 1) throw new IllegalArgumentException("images must be at least 1, got " + images);
        List<CategoryResult> results = new ArrayList<>();
        ProgressBar bar = progress == null ? null : new ProgressBarBuilder().setTaskName("Robustness").setInitialMax((long) images * categories.size())
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(progress))
                .showSpeed().setUnit(" img", 1).build();
        try {
            for (RobustnessCategory category : categories) {
                if (bar != null) bar.setExtraMessage(category.name());
                results.add(runCategory(category, images, seed, bar));
            }
        } finally {
            if (bar != null) bar.close();
        }
        return new RobustnessResults(results, images, seed);
    }

    private CategoryResult runCategory(RobustnessCategory category, int images, long seed, ProgressBar bar) {
        long t0 = System.nanoTime();
        int[] labels = new int[images];
        float[][] probabilities = new float[images][];
        List<RobustnessImage> examples = new ArrayList<>();
        for (int start = 0; start < images; start += CHUNK) {
            int n = Math.min(CHUNK, images - start);
            int from = start;
            Prepared[] prepared = IntStream.range(0, n).parallel()
                    .mapToObj(k -> prepare(category, seed, from + k)).toArray(Prepared[]::new);
            List<Integer> found = new ArrayList<>();
            for (int k = 0; k < n; k++) {
                labels[from + k] = prepared[k].image.label();
                if (examples.size() < EXAMPLES) examples.add(prepared[k].image);
                if (prepared[k].digit.found()) found.add(k);
            }
            if (!found.isEmpty()) {
                float[] batch = new float[found.size() * PreprocessedDigit.PIXELS];
                for (int j = 0; j < found.size(); j++) prepared[found.get(j)].digit.copyPixelsTo(batch, j * PreprocessedDigit.PIXELS);
                float[][] p = model.predictBatch(batch, found.size());
                for (int j = 0; j < found.size(); j++) probabilities[from + found.get(j)] = p[j];
            }
            if (bar != null) bar.stepBy(n);
        }
        return new CategoryResult(category, labels, probabilities, examples, (System.nanoTime() - t0) / 1e9);
    }

    private Prepared prepare(RobustnessCategory category, long seed, int index) {
        RobustnessImage image = category.image(seed, index);
        try {
            ImageFiles.ArgbImage argb = ImageFiles.decode(image.bytes(), category.name() + " #" + index, ImageFiles.MAX_SIDE);
            return new Prepared(image, preprocessor.process(argb.argb, argb.width, argb.height));
        } catch (IOException e) {
            // Every generated image is a valid PNG or JPEG; one that does not decode is a generator's bug.
            throw new UncheckedIOException(e);
        }
    }

    private record Prepared(RobustnessImage image, PreprocessedDigit digit) {
    }
}
