package dev.digits.cli;

import dev.digits.train.Evaluation;
import dev.digits.train.Plots;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code digits evaluate}: accuracy, per-class precision and recall and the confusion matrix on the MNIST test set. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = "Evaluate a trained model on the full MNIST test set (10,000 images).",
        footer = {"", "Examples:", "  digits evaluate models/cnn", "  digits evaluate models/cnn --plots /tmp/eval"})
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
        try (TrainedModel model = TrainedModel.load(dir)) {
            Dataset mnist = data.loadMnist();
            if (!mnist.test().classNames().equals(model.labels())) {
                throw new UserInputException(dir + " classifies " + model.labels() + ", not MNIST's digits; evaluate it on its own data");
            }
            Evaluation eval = model.evaluate(mnist.test());
            System.out.println("Model " + dir + " (" + model.spec().name() + ") on the MNIST test set");
            System.out.print(eval.report());
            if (plots != null) {
                Plots.confusionMatrix(eval, plots.resolve("confusion-matrix.png"), model.spec().name());
                Plots.misclassified(mnist.test(), eval, plots.resolve("misclassified.png"), 64);
                System.out.println("Pictures written to " + plots.toAbsolutePath());
            }
        }
        return ExitCodes.OK;
    }
}
