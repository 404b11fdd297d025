package dev.digits.android;

import dev.digits.core.client.ModelUpdater;

import java.io.File;

/**
 * How the app keeps its on-device model current: core's {@link ModelUpdater} for the cnn model in TFLite float32,
 * with one extra check before a download replaces the model in use: TFLite must load it and it must have the digit
 * contract (784 inputs, 10 outputs). Plain Java, so the JVM tests run exactly this against a real server.
 */
final class ModelUpdates {
    private ModelUpdates() {
    }

    /**
     * The updater for {@code serverUrl} (null: only to read what is installed, offline).
     *
     * @param directory where downloaded models live (the app's private files directory)
     * @throws IllegalArgumentException when the server URL is malformed, saying what one looks like
     */
    static ModelUpdater updater(File directory, String serverUrl) {
        return ModelUpdater.builder()
                .server(serverUrl)
                .directory(directory)
                .validator(ModelUpdates::checkLoads)
                .build();
    }

    /** Loads a candidate model in TFLite and closes it; throws with TFLite's or the contract's reason otherwise. */
    static void checkLoads(File candidate) throws java.io.IOException {
        Classifier probe = new Classifier(Classifier.map(candidate), "the downloaded model", 1,
                Classifier.Accelerator.CPU);
        probe.close();
    }
}
