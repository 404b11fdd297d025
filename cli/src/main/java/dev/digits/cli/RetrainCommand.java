package dev.digits.cli;

import dev.digits.train.Evaluation;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.train.TrainedModel;
import dev.digits.train.Trainer;
import dev.digits.train.data.Dataset;
import dev.digits.train.data.DatasetFormat;
import dev.digits.train.data.FolderDataset;
import dev.digits.train.data.IdxDatasets;
import dev.digits.core.data.ImageSet;
import dev.digits.train.data.StratifiedSampling;
import dev.digits.train.transfer.Retrainer;
import dev.digits.train.transfer.TransferPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code digits retrain}: transfer learning from a trained model onto one's own images. */
@Command(name = "retrain", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Retrain a trained model on your own images (transfer learning): keep its feature layers, freeze them,"
                + " train a new classification head for your classes, optionally fine-tune every layer afterwards.",
                "The data is a folder with one subfolder of images per class (the folder name is the label; PNG, JPEG, GIF, BMP,"
                        + " any size), or an IDX dataset directory such as Fashion-MNIST."},
        footer = {"", "Examples:", "  digits retrain --base models/cnn --data my-images/ --epochs 10",
                "  digits retrain --base models/cnn --data photos/ --preprocess resize --fine-tune-epochs 3",
                "  digits retrain --base models/cnn --data /usr/share/datasets/fashion-mnist --train-per-class 100 \\",
                "      --labels T-shirt,Trouser,Pullover,Dress,Coat,Sandal,Shirt,Sneaker,Bag,Boot --output models/fashion"})
final class RetrainCommand implements Callable<Integer> {
    @Option(names = "--base", required = true, paramLabel = "MODEL_DIR", description = "The trained model to start from, e.g. models/cnn.")
    Path base;

    @Option(names = "--data", required = true, paramLabel = "DIR",
            description = "Folder with one subfolder of images per class (my-images/<label>/*.png), or an IDX dataset directory.")
    Path data;

    @Option(names = "--format", paramLabel = "folder|idx", description = "How --data is laid out (default: detected).")
    String format;

    @Option(names = {"-e", "--epochs"}, defaultValue = "10", description = "Epochs of training the new head (default: ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--freeze", paramLabel = "N",
            description = "Layers with weights to freeze, counted from the input (default: all but the head; 0: none).")
    Integer freeze;

    @Option(names = "--fine-tune-epochs", paramLabel = "K", defaultValue = "0",
            description = "Afterwards, train every layer for K epochs at a lower learning rate (default: ${DEFAULT-VALUE}).")
    int fineTuneEpochs;

    @Option(names = "--learning-rate", defaultValue = "0.001", description = "Step size while training the head (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--fine-tune-learning-rate", paramLabel = "LR", description = "Step size while fine-tuning (default: learning rate / 10).")
    Double fineTuneLearningRate;

    @Option(names = {"-b", "--batch-size"}, defaultValue = "32", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--preprocess", paramLabel = "digit|resize",
            description = "Folder images: digit (handwriting: polarity, crop, centre, as MNIST) or resize (plain grayscale resize,"
                    + " for other images) (default: digit).")
    String preprocess;

    @Option(names = "--validation-split", paramLabel = "FRACTION",
            description = "Folder data: share of each class held out for validation (default: 0.2). IDX data validates on its test set.")
    Double validationSplit;

    @Option(names = "--skip-bad", description = "Folder data: leave out files that cannot be read (they are listed) instead of stopping.")
    boolean skipBad;

    @Option(names = "--labels", paramLabel = "A,B,C", split = ",", description = "IDX data: class names for label values 0, 1, 2, …")
    List<String> labels;

    @Option(names = "--labels-file", paramLabel = "FILE", description = "IDX data: class names, one per line.")
    Path labelsFile;

    @Option(names = "--train-per-class", paramLabel = "N", description = "Train on N randomly chosen (seeded) training images per class.")
    Integer trainPerClass;

    @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Model directory to write (default: models/<data folder name>).")
    Path output;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed of the split, sampling, head initialisation and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--from-scratch",
            description = "Baseline for comparison: train the same architecture (the base's layers with the new head) from random"
                    + " weights on the same data, nothing frozen.")
    boolean fromScratch;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Retrainer.Builder settings = Retrainer.builder().base(base).epochs(epochs).fineTune(fineTuneEpochs).learningRate(learningRate)
                .batchSize(batchSize).seed(seed);
        if (freeze != null) settings.freeze(freeze);
        if (fineTuneLearningRate != null) settings.fineTuneLearningRate(fineTuneLearningRate);
        ModelArtifact baseModel = ModelArtifact.open(base);

        Map<String, Object> card = new LinkedHashMap<>();
        DatasetFormat layout = format != null ? DatasetFormat.parse(format) : DatasetFormat.detect(data);
        Dataset dataset = layout == DatasetFormat.IDX ? loadIdx(card) : loadFolder(baseModel, card);
        if (trainPerClass != null) {
            ImageSet sample = StratifiedSampling.perClass(dataset.train(), trainPerClass, seed);
            dataset = dataset.withTrain(sample);
            card.put("trainPerClass", trainPerClass);
            System.out.printf(Locale.ROOT, "Training on %d images per class (%,d in all)%n", trainPerClass, sample.size());
        }
        Retrainer retrainer = settings.cardEntries(card).build();
        TransferPlan plan = retrainer.plan(dataset.train().classNames().size());
        Path out = output != null ? output : Path.of("models", dirName(data));
        if (fromScratch) return trainFromScratch(plan, baseModel, dataset, card, out);
        System.out.printf(Locale.ROOT, "Base %s (%s): training %s on %,d images, validating on %,d; %d epochs%s%n", baseModel.name(),
                baseModel.spec().name(), String.join(", ", plan.trainedLayers()), dataset.train().size(), dataset.test().size(), epochs,
                fineTuneEpochs > 0 ? ", then fine-tuning every layer for " + fineTuneEpochs + " epochs" : "");
        return report(retrainer.retrain(dataset, out), dataset, out);
    }

    private int trainFromScratch(TransferPlan plan, ModelArtifact baseModel, Dataset dataset, Map<String, Object> card, Path out)
            throws IOException {
        if (freeze != null || fineTuneEpochs > 0 || fineTuneLearningRate != null) {
            throw new UserInputException("--from-scratch trains every layer from random weights: --freeze and the fine-tune options do not apply");
        }
        card.put("baseline", "trained from scratch: the layers of " + baseModel.name() + " (" + baseModel.spec().name()
                + ") with a new head, random weights, nothing frozen");
        Trainer trainer = Trainer.builder().architecture(plan.spec().withName(baseModel.spec().name() + "-scratch")).epochs(epochs)
                .learningRate(learningRate).batchSize(batchSize).seed(seed).cardEntries(card).build();
        System.out.printf(Locale.ROOT, "Training %s's architecture from scratch on %,d images, validating on %,d; %d epochs%n",
                baseModel.name(), dataset.train().size(), dataset.test().size(), epochs);
        return report(trainer.train(dataset, out), dataset, out);
    }

    private static int report(TrainedModel model, Dataset dataset, Path out) {
        try (TrainedModel trained = model) {
            Evaluation validation = trained.evaluate(dataset.test());
            System.out.printf(Locale.ROOT, "Validation accuracy %.2f%% on %,d images over %d classes. Model written to %s%n",
                    100 * validation.accuracy(), validation.total(), trained.labels().size(), out.toAbsolutePath());
            System.out.println("Next: digits export " + out);
        }
        return ExitCodes.OK;
    }

    private Dataset loadFolder(ModelArtifact baseModel, Map<String, Object> card) throws IOException {
        if (labels != null || labelsFile != null) {
            throw new UserInputException("--labels and --labels-file name the classes of IDX data; in a folder dataset the class names"
                    + " are the folder names — rename the folders instead");
        }
        FolderDataset.Preprocessing how = FolderDataset.Preprocessing.parse(preprocess == null ? "digit" : preprocess);
        var input = baseModel.spec().inputShape();
        int side = (int) Math.round(Math.sqrt(input.size()));
        int height = input.isFlat() ? side : input.height();
        int width = input.isFlat() ? side : input.width();
        FolderDataset folder = FolderDataset.builder(data).preprocessing(how).imageSize(height, width)
                .validationFraction(validationSplit == null ? FolderDataset.DEFAULT_VALIDATION_FRACTION : validationSplit)
                .seed(seed).skipUnreadable(skipBad).load();
        System.out.print(folder.summary());
        card.putAll(folder.cardEntries());
        return folder.dataset();
    }

    private Dataset loadIdx(Map<String, Object> card) throws IOException {
        if (preprocess != null || validationSplit != null || skipBad) {
            throw new UserInputException("--preprocess, --validation-split and --skip-bad apply to folder datasets; an IDX dataset's images"
                    + " are used as stored and its test set validates");
        }
        if (labels != null && labelsFile != null) throw new UserInputException("give the class names once: --labels or --labels-file, not both");
        List<String> names = labels;
        if (labelsFile != null) {
            names = new ArrayList<>();
            for (String line : Files.readAllLines(labelsFile)) if (!line.isBlank()) names.add(line.strip());
        }
        Dataset idx = IdxDatasets.load(dirName(data), data, names);
        if (names != null) {
            int[] counts = idx.train().classCounts();
            int used = counts.length;
            while (used > 0 && counts[used - 1] == 0) used--;
            if (used < names.size()) {
                throw new UserInputException("the labels name " + names.size() + " classes but " + data + " has " + used
                        + " (label values 0.." + (used - 1) + "); give one name per class");
            }
        }
        card.put("dataFormat", "idx");
        card.put("preprocessing", "none (IDX images as stored)");
        System.out.printf(Locale.ROOT, "IDX dataset %s: %,d training and %,d test images, classes %s%n", data, idx.train().size(),
                idx.test().size(), idx.train().classNames());
        return idx;
    }

    private static String dirName(Path dir) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? "retrained" : name.toString();
    }
}
