package dev.digits.android;

import dev.digits.convert.ExportOptions;
import dev.digits.convert.Quantization;
import dev.digits.convert.tflite.TfliteExporter;
import dev.digits.convert.tflite.TfliteRuntime;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;

/**
 * A cnn trained briefly on real MNIST and exported to TFLite by Digits' exporter in every quantization, once per test
 * JVM: the files `digits export` would put into the app's assets.
 */
final class ExportedModels {
    /** Enough images for one epoch to give a model that reads drawn digits, in a few seconds. */
    static final int TRAIN_IMAGES = 10_000;

    /** Images for the second, smaller model: different weights, so a server can offer it as another version. */
    static final int SMALL_TRAIN_IMAGES = 3_000;

    private static TrainedModel model;
    private static Path directory;
    private static Path smallModelDirectory;
    private static final Map<Quantization, Path> FILES = new EnumMap<>(Quantization.class);

    private ExportedModels() {
    }

    /** The trained reference model (probabilities the exports must reproduce). */
    static synchronized TrainedModel trained() {
        if (model == null) {
            try {
                TfliteRuntime.load();
                directory = Files.createTempDirectory("digits-android-check");
                model = QuickModels.train("cnn", TRAIN_IMAGES, directory.resolve("cnn"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    /** The directory {@code digits train} wrote for {@link #trained()} (spec, weights, card, export/). */
    static Path trainedDirectory() {
        trained();
        return directory.resolve("cnn");
    }

    /**
     * A second cnn, trained on fewer images, as a model directory with its float32 export in
     * {@code export/cnn.tflite}: what {@code digits train} and {@code digits export} leave for a server to serve.
     */
    static synchronized Path smallModelDirectory() {
        trained();
        if (smallModelDirectory == null) {
            try {
                Path dir = directory.resolve("cnn-small");
                TrainedModel small = QuickModels.train("cnn", SMALL_TRAIN_IMAGES, dir);
                new TfliteExporter().export(small, ExportOptions.builder().build(), dir.resolve("export/cnn.tflite"));
                small.close();
                smallModelDirectory = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return smallModelDirectory;
    }

    /** The model exported with {@code quantization}, NHWC float32 input as the app's contract says. */
    static synchronized Path tflite(Quantization quantization) {
        TrainedModel m = trained();
        return FILES.computeIfAbsent(quantization, q -> {
            try {
                ExportOptions.Builder options = ExportOptions.builder().quantization(q);
                if (q == Quantization.FULL_INT8) options.representative(TestData.mnist().train().head(500));
                Path file = directory.resolve("cnn").resolve("export").resolve("cnn-" + q.id() + ".tflite");
                new TfliteExporter().export(m, options.build(), file);
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
