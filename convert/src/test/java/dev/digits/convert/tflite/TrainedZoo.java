package dev.digits.convert.tflite;

import dev.digits.train.QuickModels;
import dev.digits.train.TrainedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Zoo architectures trained briefly on real MNIST, once per test JVM and shared by the test classes. */
final class TrainedZoo {
    /** Training images per model: one epoch on them takes seconds and gives a working classifier. */
    static final int TRAIN_IMAGES = 3000;
    private static final Map<String, TrainedModel> MODELS = new HashMap<>();

    private TrainedZoo() {
    }

    static synchronized TrainedModel get(String architecture) {
        return MODELS.computeIfAbsent(architecture, a -> {
            try {
                Path dir = Files.createTempDirectory("digits-tflite-" + a);
                return QuickModels.train(a, TRAIN_IMAGES, dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
