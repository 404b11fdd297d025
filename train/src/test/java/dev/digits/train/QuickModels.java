package dev.digits.train;

import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.data.Dataset;

import java.io.IOException;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;

/** Briefly trained models for tests of later steps (export, serve): real training, on a slice of MNIST. */
public final class QuickModels {
    private QuickModels() {
    }

    /**
     * Trains {@code architecture} for one epoch on the first {@code trainImages} MNIST training images, quietly.
     * The model directory is written to {@code dir}; validation uses the first 1,000 test images.
     */
    public static TrainedModel train(String architecture, int trainImages, Path dir) throws IOException {
        return train(Architectures.get(architecture), trainImages, dir);
    }

    /** As {@link #train(String, int, Path)} for any spec. */
    public static TrainedModel train(ModelSpec spec, int trainImages, Path dir) throws IOException {
        Dataset mnist = TestData.mnist();
        Dataset slice = new Dataset("mnist", mnist.train().head(trainImages), mnist.test().head(1000), mnist.checksums());
        Trainer trainer = Trainer.builder().architecture(spec).epochs(1).seed(1)
                .progress(false, new PrintStream(OutputStream.nullOutputStream())).build();
        return trainer.train(slice, dir);
    }
}
