package dev.digits.cli;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.Recognition;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.ImageFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code digits predict}: classify image files with a trained model, through the same preprocessing as every app. */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {"Classify images (PNG, JPEG, GIF, BMP): a drawing or a photo of a digit, either polarity.",
                "Each image goes through the same preprocessing as the server, the browser and the Android app."},
        footer = {"", "Examples:", "  digits predict models/cnn digit.png", "  digits predict models/cnn a.png b.jpg --top 3"})
final class PredictCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "A trained model directory.")
    Path dir;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "IMAGE", description = "Image files.")
    List<Path> images;

    @Option(names = "--top", defaultValue = "1", description = "Show the K most likely classes (default: ${DEFAULT-VALUE}).")
    int top;

    @Option(names = "--show", description = "Print the 28×28 preprocessed digit as text.")
    boolean show;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        ModelArtifact artifact = ModelArtifact.open(dir);
        // The preprocessing the model's card declares: handwriting found and centred, or the picture resized.
        InputPreprocessor preprocessor = InputPreprocessor.of(artifact.input());
        try (TrainedModel model = TrainedModel.load(artifact)) {
            if (model.inputSize() != PreprocessedDigit.PIXELS) {
                throw new UserInputException(dir + " takes " + model.inputSize() + " inputs, not a 28×28 digit");
            }
            model.predict(new float[PreprocessedDigit.PIXELS]); // warm-up: the first call pays for native initialisation
            for (Path file : images) {
                ImageFiles.ArgbImage img = ImageFiles.read(file);
                long t0 = System.nanoTime();
                PreprocessedDigit digit = preprocessor.process(img.argb, img.width, img.height);
                double prepMs = (System.nanoTime() - t0) / 1e6;
                if (!digit.found()) {
                    System.out.println(file + ": no digit found");
                    continue;
                }
                long t1 = System.nanoTime();
                float[] p = model.predict(digit.pixels());
                double inferMs = (System.nanoTime() - t1) / 1e6;
                Recognition r = new Recognition(p, model.labels(), prepMs, inferMs);
                System.out.printf(Locale.ROOT, "%s: %s (%.1f%%) in %.2f ms (preprocessing %.2f ms)%n", file, r.label(),
                        100 * r.probability(), inferMs, prepMs);
                if (top > 1) {
                    for (int i : r.top(top)) System.out.printf(Locale.ROOT, "    %-8s %6.2f%%%n", model.labels().get(i), 100 * p[i]);
                }
                if (show) System.out.println(digit.toAsciiArt());
            }
        }
        return ExitCodes.OK;
    }
}
