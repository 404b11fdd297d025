package dev.digits.cli;

import dev.digits.convert.importer.ModelImporter;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.InputContract.Polarity;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.data.ImageSet;
import dev.digits.train.Evaluation;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import dev.digits.train.robustness.DigitCheckFit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code digits import}: a model trained elsewhere becomes a Digits model directory. */
@Command(name = "import", mixinStandardHelpOptions = true,
        description = {"Import a digit model trained elsewhere (ONNX, TFLite, TF.js, Keras) as a Digits model directory that evaluate, export,",
                "serve and retrain use like any other. The input the model expects (pixel range, normalisation, polarity)",
                "is found by trying the plausible ones on MNIST test digits, or given with the options below; the imported",
                "network is checked against the original file in its own runtime (ONNX Runtime, LiteRT or the TFLite interpreter, TF.js)",
                "on all 10,000 test digits. A digit check is fitted for it, so that it can answer \"not a digit\"."},
        footer = {"", "Examples:", "  digits import mnist.onnx                       # -> models/mnist",
                "  digits import mnist.onnx --output models/torch-cnn",
                "  digits import mnist.tflite",
                "  digits import web-model/model.json --output models/web-cnn",
                "  digits import mnist.h5",
                "  digits import mnist.onnx --input-range 0,255 --polarity dark-on-light",
                "", "Exit codes: 3 for a file Digits cannot read or a layer it cannot express (nothing is written),",
                "4 when the imported network does not answer what the file answers."})
final class ImportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE", description = "The model file: .onnx (with any external data beside it), .tflite, Keras .h5 or .keras, or a TF.js model.json (or its directory).")
    Path file;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "The model directory to write. Default: models/<file name>.")
    Path output;

    @Option(names = "--force", description = "Replace the output directory if it exists.")
    boolean force;

    @Option(names = "--input-range", paramLabel = "LOW,HIGH",
            description = "The values the model expects for black and white pixels, e.g. 0,1 (x/255), 0,255 or -1,1.")
    String range;

    @Option(names = "--normalize", paramLabel = "MEAN,STD",
            description = "Subtracted and divided by after the range, e.g. 0.1307,0.3081 (PyTorch's MNIST example).")
    String normalize;

    @Option(names = "--polarity", paramLabel = "POLARITY",
            description = "light-on-dark (white ink on black, as MNIST) or dark-on-light (as paper).")
    String polarity;

    @Option(names = "--no-digit-check",
            description = "Do not fit a digit check. By default the import fits one as training does (the temperature by"
                    + " minimum NLL, the threshold rejecting 1%% of the last 5,000 MNIST training digits), so that the server,"
                    + " the browser and the Android app answer \"not a digit\" for the imported model as for Digits' own.")
    boolean noDigitCheck;

    @Mixin
    DataOptions data;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Path target = output != null ? output : Path.of("models", baseName(file));
        ModelImporter.checkTarget(target.toAbsolutePath(), force);
        Dataset mnist = data.loadMnist();
        ImageSet test = mnist.test();
        String name = target.toAbsolutePath().normalize().getFileName().toString();
        ModelImporter.Analysis a = ModelImporter.analyse(file, name, given(), test, System.out::println);
        Evaluation eval = Evaluation.of(test, a.probabilities());
        DigitCheckFit fit = noDigitCheck ? null : fitDigitCheck(a, mnist.train());
        ModelArtifact artifact = fit == null ? a.write(target, eval.toMetrics(), force)
                : a.write(target, eval.toMetrics(), fit.check(), fit.describe(), force);
        if (fit != null) {
            System.out.printf(Locale.ROOT, "Digit check: %s; it rejects %.2f%% of the MNIST test digits.%n", fit.describe(),
                    100 * fit.rejectedShareOf(a.probabilities()));
        }
        System.out.println("Imported as " + artifact.path() + "; next: digits evaluate " + target + ", digits export " + target
                + " --format all");
        return ExitCodes.OK;
    }

    /**
     * The digit check for the imported network, fitted on the last {@value TrainCommand#DEFAULT_HOLD_OUT} training
     * digits, those training holds out by default; never on the test set, which only reports. A model trained elsewhere has most likely seen those digits, so the check may reject
     * somewhat more than 1% of new ones; the test set's share is printed so that the user sees it.
     */
    private static DigitCheckFit fitDigitCheck(ModelImporter.Analysis a, ImageSet train) {
        ImageSet heldOut = train.subset(ImageSet.range(Math.max(0, train.size() - TrainCommand.DEFAULT_HOLD_OUT), train.size()));
        try (TrainedModel network = new TrainedModel(a.spec(), a.weights(), ImageSet.digitClasses())) {
            return DigitCheckFit.fit(network, heldOut, DigitCheckFit.DEFAULT_REJECTED,
                    "MNIST training digits, the last of the set (the original model may have been trained on them)");
        }
    }

    /** The contract the options give, or null when none is given (search). */
    private InputContract given() {
        if (range == null && normalize == null && polarity == null) return null;
        float low = 0f;
        float high = 1f;
        if (range != null) {
            float[] r = pair(range, "--input-range", "LOW,HIGH, e.g. 0,255");
            low = r[0];
            high = r[1];
        }
        float mean = 0f;
        float std = 1f;
        if (normalize != null) {
            float[] n = pair(normalize, "--normalize", "MEAN,STD, e.g. 0.1307,0.3081");
            mean = n[0];
            std = n[1];
        }
        Polarity p = Polarity.LIGHT_ON_DARK;
        if (polarity != null) {
            String v = polarity.trim().toLowerCase(Locale.ROOT);
            if (v.equals("dark-on-light")) p = Polarity.DARK_ON_LIGHT;
            else if (!v.equals("light-on-dark")) throw new UserInputException("--polarity must be light-on-dark or dark-on-light, got " + polarity);
        }
        try {
            return new InputContract(28, 28, 1, low, high, mean, std, p, InputContract.Preprocessing.DIGIT);
        } catch (RuntimeException e) {
            throw new UserInputException(e.getMessage());
        }
    }

    private static float[] pair(String text, String option, String form) {
        String[] parts = text.split(",");
        if (parts.length != 2) throw new UserInputException(option + " takes " + form + "; got " + text);
        try {
            return new float[] {Float.parseFloat(parts[0].trim()), Float.parseFloat(parts[1].trim())};
        } catch (NumberFormatException e) {
            throw new UserInputException(option + " takes " + form + "; got " + text);
        }
    }

    private static String baseName(Path f) {
        String n = f.toAbsolutePath().normalize().getFileName().toString();
        if (n.equals("model.json") && f.toAbsolutePath().getParent() != null) {
            n = f.toAbsolutePath().getParent().getFileName().toString();
        }
        int dot = n.lastIndexOf('.');
        String base = dot > 0 ? n.substring(0, dot) : n;
        base = base.replaceAll("[^A-Za-z0-9_.-]+", "-");
        return base.isEmpty() ? "imported" : base;
    }
}
