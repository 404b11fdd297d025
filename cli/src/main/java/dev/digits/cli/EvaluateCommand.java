package dev.digits.cli;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.data.ImageSet;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.core.recognition.Recognition;
import dev.digits.train.Evaluation;
import dev.digits.train.Plots;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code digits evaluate}: accuracy, per-class precision and recall and the confusion matrix on the MNIST test set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Evaluate a trained model: digit models on the full MNIST test set (10,000 images), others on the",
                "held-out images of the data they were trained on (--data DIR, split again as their card records)."},
        footer = {"", "Examples:", "  digits evaluate models/cnn", "  digits evaluate models/cnn --plots /tmp/eval",
                "  digits evaluate models/my-images --data my-images/"})
final class EvaluateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL_DIR", description = "A trained model directory.")
    Path dir;

    @Option(names = "--plots", paramLabel = "DIR", description = "Also write confusion-matrix.png and misclassified.png here.")
    Path plots;

    @Mixin
    DataOptions data;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        ModelArtifact artifact = ModelArtifact.open(dir);
        try (TrainedModel model = TrainedModel.load(artifact)) {
            Dataset mnist = ModelData.of(artifact, data.data);
            // One pass over the test set serves the evaluation and the digit check's report.
            float[][] probabilities = model.predictAll(mnist.test(), 500);
            Evaluation eval = Evaluation.of(mnist.test(), probabilities);
            System.out.println("Model " + dir + " (" + model.spec().name() + ") on " + (mnist.name().equals("mnist")
                    ? "the MNIST test set" : "the held-out images of " + mnist.name()));
            System.out.print(eval.report());
            DigitCheck check = artifact.card().digitCheck();
            if (check.rejects()) System.out.println(checkReport(probabilities, mnist.test(), check));
            if (plots != null) {
                Plots.confusionMatrix(eval, plots.resolve("confusion-matrix.png"), model.spec().name());
                Plots.misclassified(mnist.test(), eval, plots.resolve("misclassified.png"), 64);
                System.out.println("Pictures written to " + plots.toAbsolutePath());
            }
        }
        return ExitCodes.OK;
    }

    /** What the card's digit check does to these images: how many it calls not a digit, and the rest's accuracy. */
    static String checkReport(float[][] p, ImageSet images, DigitCheck check) {
        int rejected = 0;
        int right = 0;
        for (int i = 0; i < p.length; i++) {
            if (!check.isDigit(p[i])) rejected++;
            else if (Recognition.argmax(p[i]) == images.label(i)) right++;
        }
        int kept = p.length - rejected;
        return String.format(Locale.ROOT, "Digit check (%s): %,d of %,d images (%.2f%%) answered \"not a digit\";"
                + " accuracy on the rest %.2f%%", check, rejected, p.length, 100.0 * rejected / p.length,
                kept == 0 ? 0 : 100.0 * right / kept);
    }
}
