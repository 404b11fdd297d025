package dev.digits.convert;

import dev.digits.core.artifact.ModelCard;
import dev.digits.train.TrainedModel;

/**
 * Test bridge from a model trained in these tests to what exporters and the pipeline read: the engine-free
 * {@link ExportSource}, and the trained network as the pipeline's reference.
 */
public final class Sources {
    private Sources() {
    }

    /** The model's spec, weights and labels, with a card holding nothing else. */
    public static ExportSource of(TrainedModel model) {
        return ExportSource.of(model.spec(), model.weights(), model.labels());
    }

    /** The model's spec and weights with {@code card}. */
    public static ExportSource of(TrainedModel model, ModelCard card) {
        return new ExportSource(model.spec(), model.weights(), card);
    }

    /** The trained network running in DJL/PyTorch, as the pipeline compares files with it (not closed by it). */
    public static LoadedModel reference(TrainedModel model) {
        return new LoadedModel() {
            @Override
            public float[][] predict(float[] pixels, int n) {
                return model.predictBatch(pixels, n);
            }

            @Override
            public void close() {
                // The caller owns the trained model.
            }
        };
    }
}
