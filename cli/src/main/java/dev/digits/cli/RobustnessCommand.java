package dev.digits.cli;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.data.ImageSet;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.serve.registry.EmbeddedModel;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import dev.digits.train.robustness.InstalledFonts;
import dev.digits.train.robustness.RejectionComparison;
import dev.digits.train.robustness.RobustnessBenchmark;
import dev.digits.train.robustness.RobustnessCategory;
import dev.digits.train.robustness.RobustnessResults;
import dev.digits.train.robustness.RobustnessSuite;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/** {@code digits robustness}: the project's own robustness images through the server's preprocessing and a model. */
@Command(name = "robustness", mixinStandardHelpOptions = true,
        description = {"Measure a model on generated images as users send them: MNIST test digits redrawn on pads, paper and",
                "JPEG; digits in the installed fonts; letters, scribbles, shapes, textures and empty images. Reports accuracy,",
                "\"no digit\" answers and false rejections per category; writes robustness.md and examples.png."},
        footer = {"", "Examples:", "  digits robustness", "  digits robustness models/cnn --images 500 --output /tmp/robustness",
                "  digits robustness --compare-methods", "  digits robustness --temperature 1.5 --threshold 0.7",
                "  digits robustness --thresholds 0.4,0.5,0.6"})
final class RobustnessCommand implements Callable<Integer> {
    /** Share of held-out digits each method's threshold rejects in --compare-methods. */
    private static final double HELD_OUT_REJECTION = 0.01;
    /** The last images of MNIST's training set, held out for every choice the comparison makes. */
    private static final int HELD_OUT = 5000;

    @Parameters(index = "0", arity = "0..1", paramLabel = "MODEL_DIR", description = "A trained digit model (default: the embedded model).")
    Path dir;

    @Option(names = "--images", defaultValue = "200", paramLabel = "N", description = "Images per category (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of the generated images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--output", defaultValue = "robustness", paramLabel = "DIR", description = "Where robustness.md and examples.png go (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--temperature", paramLabel = "T", description = "Temperature of the \"not a digit\" check (default: the model card's, else 1).")
    Double temperature;

    @Option(names = "--threshold", paramLabel = "X", description = "Scores below X are \"not a digit\" (default: the model card's, else 0: no check).")
    Double threshold;

    @Option(names = "--compare-methods", description = {"Also compare max probability, temperature scaling, entropy and margin, each with",
            "the threshold rejecting 1%% of the last 5,000 MNIST training digits (T fitted on them)."})
    boolean compareMethods;

    @Option(names = "--thresholds", split = ",", paramLabel = "X", description = {"Also tabulate the check (its temperature) at these thresholds:",
            "MNIST test digits rejected, digits read right and rejected, pictures without a digit answered \"no digit\"."})
    double[] thresholds;

    @Option(names = "--fonts", paramLabel = "DIR", description = "Fonts for the digits in other styles and the letters (default: /usr/share/fonts).")
    Path fonts = InstalledFonts.SYSTEM_FONTS;

    @Mixin
    DataOptions data;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        if (images < 1) throw new UserInputException("--images must be at least 1, got " + images);
        if (dir != null) return measure(ModelArtifact.open(dir), dir.toString());
        Path copy = Files.createTempDirectory("digits-embedded-");
        try {
            EmbeddedModel.copyTo(copy);
            return measure(ModelArtifact.open(copy), "embedded " + EmbeddedModel.NAME);
        } finally {
            try (Stream<Path> files = Files.walk(copy)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }

    private int measure(ModelArtifact artifact, String modelName) throws IOException {
        DigitCheck check = check(artifact.card().digitCheck());
        if (thresholds != null) {
            // Refused before the images are drawn, as --threshold is.
            for (double x : thresholds) {
                try {
                    new DigitCheck(check.temperature(), x);
                } catch (IllegalArgumentException e) {
                    throw new UserInputException("--thresholds: " + e.getMessage());
                }
            }
        }
        Dataset mnist = data.loadMnist();
        List<RobustnessCategory> categories = RobustnessSuite.categories(mnist.test(), InstalledFonts.under(fonts));
        try (TrainedModel model = TrainedModel.load(artifact)) {
            RobustnessResults results = new RobustnessBenchmark(model, InputPreprocessor.of(artifact.input()))
                    .run(categories, images, seed, System.err);
            String table = results.table(check);
            StringBuilder report = new StringBuilder(String.format(Locale.ROOT, "Model %s, %d images per category, seed %d, check: %s%n%n",
                    modelName, images, seed, check.rejects() ? check : "none"));
            report.append(table);
            // MNIST as this model's preprocessing gives it, for the tables that need its probabilities.
            boolean operatingPoints = thresholds != null && thresholds.length > 0;
            Dataset prepared = operatingPoints || compareMethods ? mnist.asInputFor(artifact.input().preprocessing()) : null;
            float[][] test = prepared == null ? null : model.predictAll(prepared.test(), 500);
            if (operatingPoints) {
                report.append(String.format(Locale.ROOT, "%nThe check at other thresholds (T = %.4f):%n%n", check.temperature()));
                report.append(results.operatingPoints(check.temperature(), thresholds, test));
            }
            if (compareMethods) {
                report.append("\n").append(compare(model, prepared, test, results).markdown());
            }
            Files.createDirectories(output);
            AtomicFiles.writeString(output.resolve("robustness.md"), report.toString());
            results.writeExampleGrid(output.resolve("examples.png"), check);
            System.out.print(report);
            System.out.println("\nWritten: " + output.resolve("robustness.md") + ", " + output.resolve("examples.png"));
        }
        return ExitCodes.OK;
    }

    /** The check to measure: the card's, with whatever the command line overrides. */
    private DigitCheck check(DigitCheck card) {
        double t = temperature != null ? temperature : card.temperature();
        double x = threshold != null ? threshold : card.threshold();
        try {
            return new DigitCheck(t, x);
        } catch (IllegalArgumentException e) {
            throw new UserInputException("--temperature/--threshold: " + e.getMessage());
        }
    }

    /** The comparison of rejection methods; {@code test}: the model's probabilities for MNIST's test set. */
    private static RejectionComparison compare(TrainedModel model, Dataset mnist, float[][] test, RobustnessResults results) {
        ImageSet train = mnist.train();
        if (train.size() <= HELD_OUT) throw new UserInputException("--compare-methods needs more than " + HELD_OUT + " MNIST training images");
        ImageSet heldOut = train.subset(ImageSet.range(train.size() - HELD_OUT, train.size()));
        int[] labels = new int[heldOut.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = heldOut.label(i);
        return RejectionComparison.measure(model.predictAll(heldOut, 500), labels, test, results, HELD_OUT_REJECTION);
    }
}
