package dev.digits.convert.tflite;

import dev.digits.train.QuickModels;
import dev.digits.train.TrainedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/** Zoo architectures trained briefly on real MNIST, once per test JVM and shared by the test classes. */
final class TrainedZoo {
    /**
     * Training images per model: one epoch on them takes seconds. The cnn, whose quantized accuracy is measured,
     * gets more to be a usable classifier; for the others working batch-norm statistics and non-trivial weights
     * are what matter.
     */
    static int trainImages(String architecture) {
        return architecture.equals("cnn") ? 3000 : 600;
    }

    private static final Map<String, TrainedModel> MODELS = new HashMap<>();

    private TrainedZoo() {
    }

    static synchronized TrainedModel get(String architecture) {
        return MODELS.computeIfAbsent(architecture, a -> {
            try {
                Path dir = Files.createTempDirectory("digits-tflite-" + a);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(dir)));
                return QuickModels.train(a, trainImages(a), dir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Leaving a temporary directory behind is harmless.
        }
    }
}
