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

    private static TrainedModel model;
    private static Path directory;
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
