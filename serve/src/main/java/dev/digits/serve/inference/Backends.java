package dev.digits.serve.inference;

import dev.digits.convert.LoadedModel;
import dev.digits.train.TrainedModel;

import java.io.IOException;
import java.nio.file.Path;

/** Loads a model directory into the runtime that will serve it. */
final class Backends {
    private Backends() {
    }

    /** A loaded model and the name of the runtime running it. */
    static final class Loaded {
        final LoadedModel model;
        final String backend;

        Loaded(LoadedModel model, String backend) {
            this.model = model;
            this.backend = backend;
        }
    }

    static Loaded load(Path modelDirectory) throws IOException {
        return new Loaded(new TorchModel(TrainedModel.load(modelDirectory)), "pytorch");
    }
}
