package dev.digits.cli;

import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.Augmentation;
import dev.digits.train.Evaluation;
import dev.digits.train.TrainedModel;
import dev.digits.train.Trainer;
import dev.digits.train.robustness.InstalledFonts;
import dev.digits.train.robustness.NotDigitTrainingImages;
import dev.digits.train.robustness.UserDigitTrainingImages;
import dev.digits.train.robustness.DigitCheckFit;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.Deskew;
import dev.digits.train.data.Dataset;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code digits train}: trains an architecture on MNIST and writes a model directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a classifier on MNIST and write a model directory (weights, architecture, model card, history, plots).",
                "Architectures: mlp, mlp512, cnn, convnet, resnet, resnet14, resnet20, or your own spec file (--model my-net.json)."},
        footer = {"", "Examples:", "  digits train --model cnn --epochs 5", "  digits train --model cnn --seed 1 --output /tmp/run1",
                "  digits train --model my-net.json --augment", "  digits train --model cnn --epochs 10 --resume"})
final class TrainCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, defaultValue = "cnn", paramLabel = "NAME|FILE",
            description = "Architecture name or spec file (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = {"-e", "--epochs"}, defaultValue = "5", description = "Passes over the training data (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--learning-rate", defaultValue = "0.001", description = "Step size (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--lr-schedule", defaultValue = "cosine", paramLabel = "SCHEDULE",
            description = "cosine (decays the learning rate to zero over the run) or constant (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--optimizer", defaultValue = "adam", description = "adam, sgd, rmsprop or adagrad (default: ${DEFAULT-VALUE}).")
    String optimizer;

    @Option(names = "--loss", defaultValue = "softmax-cross-entropy", description = "Loss function (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed: the same seed, data and settings give the same model (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--augment", arity = "0..1", fallbackValue = "affine", paramLabel = "KIND",
            description = "Randomly distort training images for robustness to hand-drawn input: affine (the default "
                    + "when no KIND is given) shifts (±2 px), rotates (±10°) and scales (±10%%) them; handwriting also "
                    + "slants them (±15°), bends half of them elastically and makes the pen thicker or thinner on 40%%.")
    String augment;

    @Option(names = "--deskew", description = "Straighten every digit's slant (a shear from its moments) after the usual "
            + "crop and centring, in training and, as the model card then declares (preprocessing digit-deskewed), on every "
            + "target that runs the model.")
    boolean deskew;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Model directory to write (default: models/<architecture>).")
    Path output;

    @Option(names = "--resume", description = "Continue from the last complete checkpoint in the output directory.")
    boolean resume;

    @Option(names = "--limit", paramLabel = "N", description = "Train on the first N training images only (quick experiments).")
    Integer limit;

    @Option(names = "--not-digits", paramLabel = "N", description = "Also train on N generated pictures that are not "
            + "digits (letters and scribbles on a drawing pad), toward equal probabilities for every class, so that a digit "
            + "check can reject such pictures (a quarter of each batch, weight 0.5). The --hold-out training images "
            + "then also fit the model's digit check, written into its card (with --user-digits, as many digits drawn "
            + "from them as users send digits join them).")
    Integer notDigits;

    @Option(names = "--user-digits", paramLabel = "N", description = "Also train on N generated digits drawn as users "
            + "send them: MNIST training digits redrawn off-centre, filling the pad, with thick and thin pens, and digits in "
            + "the installed fonts, each preprocessed as the server does and labelled.")
    Integer userDigits;

    @Option(names = "--hold-out", paramLabel = "N", description = "Training images (the last N) kept out of training: "
            + "each epoch's validation is measured on them, never on the test set, and with --not-digits the digit check "
            + "is fitted on them (default: " + DEFAULT_HOLD_OUT + ", or a twelfth of a smaller training set; 0 measures each "
            + "epoch on the test set and trains on every image).")
    Integer holdOut;

    /** Held-out training images by default: MNIST's 60,000 less these leave 55,000 to train on, as Keras' examples do. */
    static final int DEFAULT_HOLD_OUT = 5000;

    @Mixin
    DataOptions data;

    @Mixin
    CommonOptions common;

    private Augmentation augmentation() {
        if (augment == null) return null;
        return switch (augment) {
            case "affine" -> Augmentation.standard();
            case "handwriting" -> Augmentation.handwriting();
            default -> throw new UserInputException("--augment takes affine or handwriting, got '" + augment + "'");
        };
    }

    @Override
    public Integer call() throws Exception {
        ModelSpec spec = Architectures.get(model);
        Augmentation distortions = augmentation();
        // Every option is checked before minutes go into drawing pictures or loading data.
        if (notDigits != null && notDigits < 1) throw new UserInputException("--not-digits must be at least 1, got " + notDigits);
        if (userDigits != null && userDigits < 1) throw new UserInputException("--user-digits must be at least 1, got " + userDigits);
        Trainer.NotDigits negatives = null;
        // Every font file is loaded once, for every kind of picture drawn below.
        InstalledFonts fonts = notDigits != null || userDigits != null ? InstalledFonts.under(InstalledFonts.SYSTEM_FONTS) : null;
        if (notDigits != null) {
            System.out.printf(Locale.ROOT, "Drawing %,d pictures that are not digits…%n", notDigits);
            ImageSet images = NotDigitTrainingImages.generate(fonts, notDigits, seed, null);
            // What the model is shown must be what the preprocessing gives it: deskewed, when it deskews.
            if (deskew) images = Deskew.images(images);
            negatives = new Trainer.NotDigits(images, 0.25, 0.5, NotDigitTrainingImages.describe(notDigits, seed));
        }
        Trainer trainer = Trainer.builder().architecture(spec).epochs(epochs).batchSize(batchSize).learningRate(learningRate)
                .schedule(schedule).optimizer(optimizer).loss(loss).seed(seed).augmentation(distortions)
                .notDigits(negatives).build();
        Path out = output != null ? output : Path.of("models", spec.name());
        Dataset mnist = data.loadMnist();
        ImageSet all = mnist.train();
        // By default a twelfth of a smaller set, and none of a set too small to spare 100.
        int twelfth = all.size() / 12;
        int held = holdOut != null ? holdOut : twelfth < 100 ? 0 : Math.min(DEFAULT_HOLD_OUT, twelfth);
        if (held != 0 && (held < 100 || held >= all.size())) {
            throw new UserInputException("--hold-out must be 0 or from 100 to " + (all.size() - 1) + ", got " + held);
        }
        if (held == 0 && negatives != null) {
            throw new UserInputException("--not-digits fits the digit check on held-out training images: give --hold-out "
                    + "from 100 to " + (all.size() - 1) + (holdOut == null ? " (this data has too few for the default)" : ""));
        }
        if (held > 0) {
            ImageSet validation = all.subset(ImageSet.range(all.size() - held, all.size()));
            mnist = mnist.withTrain(all.head(all.size() - held)).withValidation(validation);
        }
        // Held-out digits fit the digit check only when the model learnt to tell digits from other pictures.
        ImageSet heldOut = negatives != null ? mnist.validation() : null;
        if (limit != null) {
            if (limit < 1) throw new UserInputException("--limit must be at least 1, got " + limit);
            mnist = mnist.withTrain(mnist.train().head(Math.min(limit, mnist.train().size())));
        }
        ImageSet heldOutDrawn = null;
        if (userDigits != null) {
            System.out.printf(Locale.ROOT, "Drawing %,d digits as users send them…%n", userDigits);
            ImageSet drawn = UserDigitTrainingImages.generate(mnist.train(), fonts, userDigits, seed, null);
            mnist = mnist.withTrain(mnist.train().append(drawn));
            if (heldOut != null) {
                // The check must pass digits as users send them, not only MNIST's: it is fitted on both kinds, the
                // drawn ones redrawn from the held-out digits with seeds training never uses.
                System.out.printf(Locale.ROOT, "Drawing %,d held-out digits as users send them, for the digit check…%n", heldOut.size());
                heldOutDrawn = UserDigitTrainingImages.generateHeldOut(heldOut, fonts, heldOut.size(), seed);
            }
        }
        if (deskew) {
            mnist = mnist.asInputFor(InputContract.Preprocessing.DIGIT_DESKEWED);
            if (heldOut != null) heldOut = Deskew.images(heldOut);
            if (heldOutDrawn != null) heldOutDrawn = Deskew.images(heldOutDrawn);
        }
        String heldOutKind = heldOutDrawn == null ? "held-out training digits" : String.format(Locale.ROOT,
                "held-out digits (%,d of MNIST's training set, %,d drawn from them as users send digits)",
                heldOut.size(), heldOutDrawn.size());
        if (heldOutDrawn != null) heldOut = heldOut.append(heldOutDrawn);
        System.out.printf(Locale.ROOT, "Training %s (%,d parameters) on %,d images for %d epochs, batch %d, %s lr %s (%s), seed %d%s%n",
                spec.name(), spec.parameterCount(), mnist.train().size(), epochs, batchSize, optimizer, learningRate, schedule, seed,
                (deskew ? ", deskewed" : "") + (augment != null ? ", augmented (" + augment + ")" : "") + (userDigits != null ? ", " + userDigits + " of them drawn as users send digits" : "")
                + (negatives != null ? ", with " + notDigits + " pictures that are not digits" : ""));
        System.out.println(held > 0
                ? String.format(Locale.ROOT, "Each epoch is validated on the last %,d training images, kept out of training;"
                        + " the test set is used once, at the end.", held)
                : "Each epoch is validated on the test set (--hold-out 0).");
        try (TrainedModel trained = trainer.train(mnist, out, resume)) {
            // The test set is run once: for the accuracy and for what the digit check rejects.
            float[][] testProbabilities = trained.predictAll(mnist.test(), 500);
            if (userDigits != null) recordUserDigits(out, spec, UserDigitTrainingImages.describe(userDigits, seed));
            if (heldOut != null) writeDigitCheck(trained, heldOut, heldOutKind, testProbabilities, out, spec);
            Evaluation test = Evaluation.of(mnist.test(), testProbabilities);
            System.out.printf(Locale.ROOT, "Test accuracy %.2f%% on %,d images. Model written to %s%n", 100 * test.accuracy(),
                    test.total(), out.toAbsolutePath());
            System.out.println("Pictures: training-curves.png, confusion-matrix.png, misclassified.png. Next: digits export " + out);
        }
        return ExitCodes.OK;
    }

    /** Records in the card the trainer wrote which drawn digits joined the training images. */
    private static void recordUserDigits(Path out, ModelSpec spec, String source) throws java.io.IOException {
        Path cardFile = out.resolve(ModelArtifact.CARD_FILE);
        ModelCard card = ModelCard.read(cardFile, spec);
        java.util.Map<String, Object> training = new java.util.LinkedHashMap<>(card.training());
        training.put("userDigits", source);
        card.toBuilder().training(training).build().write(cardFile);
    }

    /** Fits the digit check on the held-out digits and records it in the card the trainer wrote. */
    private static void writeDigitCheck(TrainedModel trained, ImageSet heldOut, String heldOutKind, float[][] testProbabilities,
                                        Path out, ModelSpec spec) throws java.io.IOException {
        DigitCheckFit fit = DigitCheckFit.fit(trained, heldOut, DigitCheckFit.DEFAULT_REJECTED, heldOutKind);
        Path cardFile = out.resolve(ModelArtifact.CARD_FILE);
        ModelCard card = ModelCard.read(cardFile, spec);
        java.util.Map<String, Object> training = new java.util.LinkedHashMap<>(card.training());
        training.put("digitCheckFit", fit.describe());
        card.toBuilder().digitCheck(fit.check()).training(training).build().write(cardFile);
        System.out.printf(Locale.ROOT, "Digit check: %s; it rejects %.2f%% of the MNIST test digits.%n", fit.describe(),
                100 * fit.rejectedShareOf(testProbabilities));
    }
}
