package dev.digits.cli;

import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.error.InvalidInputException;
import dev.digits.train.data.Dataset;
import dev.digits.train.data.FolderDataset;
import dev.digits.train.data.IdxDatasets;
import dev.digits.train.data.Mnist;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The labelled images a model is evaluated and verified on: MNIST for digit models, else the data it was trained on,
 * split again exactly as its card records (folder datasets: the same preprocessing, validation share and seed, so
 * the held-out images are the ones training never saw; IDX datasets: their test files).
 */
final class ModelData {
    private ModelData() {
    }

    /**
     * @param data {@code --data}: MNIST's directory for digit models, the model's own dataset otherwise
     * @throws InvalidInputException when a non-MNIST model is given no data, or data other than it was trained on
     */
    static Dataset of(ModelArtifact model, Path data) throws IOException {
        Map<String, Object> training = model.card().training();
        Object format = training.get("dataFormat");
        if (format == null) {
            Dataset mnist = Mnist.load(data);
            if (!mnist.test().classNames().equals(model.labels())) {
                throw new InvalidInputException(model.path() + " classifies " + model.labels() + ", not MNIST's digits, and its card"
                        + " names no dataset of its own; give its images with --data DIR");
            }
            return mnist.asInputFor(model.input().preprocessing());
        }
        if (data == null) {
            throw new InvalidInputException(model.path() + " was trained on " + model.card().dataset() + " (" + format + " data); give"
                    + " that data with --data DIR so that its held-out images check the model");
        }
        Dataset own;
        if ("folder".equals(format)) {
            double split = ((Number) training.getOrDefault("validationSplit", FolderDataset.DEFAULT_VALIDATION_FRACTION)).doubleValue();
            long seed = ((Number) training.getOrDefault("splitSeed", 42L)).longValue();
            InputContract.Preprocessing how = model.input().preprocessing();
            own = FolderDataset.builder(data).preprocessing(FolderDataset.Preprocessing.parse(how.id()))
                    .imageSize(model.input().height(), model.input().width()).validationFraction(split).seed(seed)
                    .skipUnreadable(true).load().dataset();
        } else {
            own = IdxDatasets.load(model.card().dataset(), data, model.labels());
        }
        if (!own.test().classNames().equals(model.labels())) {
            throw new InvalidInputException(data + " holds the classes " + own.test().classNames() + " but " + model.path()
                    + " classifies " + model.labels() + "; give the data it was trained on");
        }
        Object recorded = training.get("checksums");
        if (recorded instanceof Map && !recorded.equals(own.checksums())) {
            throw new InvalidInputException(data + " is not the data " + model.path() + " was trained on (its files' checksums differ"
                    + " from the card's); its held-out images would not be held out");
        }
        return own;
    }
}
