package dev.digits.serve.inference;

import dev.digits.convert.LoadedModel;
import dev.digits.train.TrainedModel;

/**
 * A trained model run by PyTorch through DJL, behind the same interface as the exported files' runtimes. The
 * reference backend: it needs nothing but the model directory.
 */
final class TorchModel implements LoadedModel {
    private final TrainedModel model;

    TorchModel(TrainedModel model) {
        this.model = model;
    }

    @Override
    public float[][] predict(float[] pixels, int n) {
        return model.predictBatch(pixels, n);
    }

    @Override
    public void close() {
        model.close();
    }
}
