package dev.digits.train.data;

import dev.digits.core.artifact.InputContract;
import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.Deskew;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A named dataset: a training split, a test split, optionally a validation split held out of the training images, the
 * SHA-256 of each source file (for the model card) and the preprocessing that made its images from pictures — which
 * a model trained on it declares, so that the server and the apps prepare users' pictures the same way.
 */
public final class Dataset {
    private final String name;
    private final ImageSet train;
    private final ImageSet test;
    /** Null when the test split also serves as the validation split. */
    private final ImageSet validation;
    private final Map<String, String> checksums;
    private final InputContract.Preprocessing preprocessing;

    /** A dataset of handwritten digits in MNIST form ({@link InputContract.Preprocessing#DIGIT}). */
    public Dataset(String name, ImageSet train, ImageSet test, Map<String, String> checksums) {
        this(name, train, test, checksums, InputContract.Preprocessing.DIGIT);
    }

    public Dataset(String name, ImageSet train, ImageSet test, Map<String, String> checksums, InputContract.Preprocessing preprocessing) {
        this(name, train, test, null, checksums, preprocessing);
    }

    private Dataset(String name, ImageSet train, ImageSet test, ImageSet validation, Map<String, String> checksums,
                    InputContract.Preprocessing preprocessing) {
        this.name = name;
        this.train = train;
        this.test = test;
        this.validation = validation;
        this.checksums = Collections.unmodifiableMap(new LinkedHashMap<>(checksums));
        this.preprocessing = preprocessing;
    }

    /** How pictures become this dataset's images, and so a model trained on it expects its input. */
    public InputContract.Preprocessing preprocessing() {
        return preprocessing;
    }

    /** This dataset with other training images (a sample of them), the rest unchanged. */
    public Dataset withTrain(ImageSet images) {
        return new Dataset(name, images, test, validation, checksums, preprocessing);
    }

    /**
     * This dataset with a validation split of its own: images kept out of {@link #train()} (the caller takes them
     * out), on which training measures each epoch, so that choices made by watching it are not made on the test set.
     */
    public Dataset withValidation(ImageSet images) {
        return new Dataset(name, train, test, images, checksums, preprocessing);
    }

    /**
     * This dataset's images as a model declaring {@code p} takes them: digits in MNIST form are deskewed for
     * {@code digit-deskewed} ({@link Deskew#images}); any other pairing is this dataset unchanged, or refused when
     * its images cannot become that input.
     */
    public Dataset asInputFor(InputContract.Preprocessing p) {
        if (p == preprocessing) return this;
        if (p == InputContract.Preprocessing.DIGIT_DESKEWED && preprocessing == InputContract.Preprocessing.DIGIT) {
            return new Dataset(name, Deskew.images(train), Deskew.images(test),
                    validation == null ? null : Deskew.images(validation), checksums, p);
        }
        throw new DatasetException(name + "'s images are prepared by the " + preprocessing.id() + " preprocessing, not "
                + p.id() + "; give the data the model was trained on");
    }

    public String name() {
        return name;
    }

    public ImageSet train() {
        return train;
    }

    public ImageSet test() {
        return test;
    }

    /** The images each epoch is measured on: the validation split, or the test split when there is none. */
    public ImageSet validation() {
        return validation != null ? validation : test;
    }

    /** Whether {@link #validation} is a split of its own rather than the test split. */
    public boolean hasOwnValidation() {
        return validation != null;
    }

    /** File name → SHA-256 of its decompressed content. */
    public Map<String, String> checksums() {
        return checksums;
    }
}
