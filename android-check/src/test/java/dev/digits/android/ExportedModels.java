package dev.digits.android;

import dev.digits.convert.ExportFormat;
import dev.digits.convert.ExportPipeline;
import dev.digits.convert.ExportSource;
import dev.digits.convert.LoadedModel;
import dev.digits.core.artifact.ModelArtifact;
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
import java.util.List;
import java.util.Map;

/**
 * A cnn trained briefly on real MNIST and exported to TFLite by Digits' exporter in every quantization, once per test
 * JVM: the files `digits export` would put into the app's assets. Public, because the screen tests publish one from
 * inside Robolectric's sandbox while training runs outside it (see {@link ScreenTestRunner}).
 */
public final class ExportedModels {
    /** Enough images for one epoch to give a model that reads drawn digits, in a few seconds. */
    static final int TRAIN_IMAGES = 10_000;

    /** Images for the second, smaller model: different weights, so a server can offer it as another version. */
    static final int SMALL_TRAIN_IMAGES = 3_000;

    private static TrainedModel model;
    private static Path directory;
    private static Path smallModelDirectory;
    private static Path exportedDirectory;
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
     * A second cnn, trained on fewer images, as {@code digits train} and {@code digits export --format tflite,onnx}
     * leave it for a server: spec, weights, card and an {@code export/} with {@code cnn.tflite}, {@code cnn.onnx} (which
     * the server runs) and the manifest listing both.
     */
    static synchronized Path smallModelDirectory() {
        trained();
        if (smallModelDirectory == null) {
            try {
                Path dir = directory.resolve("cnn-small").resolve("cnn");
                try (TrainedModel small = QuickModels.train("cnn", SMALL_TRAIN_IMAGES, dir)) {
                    export(dir, small);
                }
                smallModelDirectory = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return smallModelDirectory;
    }

    /** {@link #trained()}'s directory copied and exported as {@link #smallModelDirectory()} is: another version to publish. */
    public static synchronized Path trainedExportedDirectory() {
        TrainedModel m = trained();
        if (exportedDirectory == null) {
            try {
                Path dir = directory.resolve("cnn-exported").resolve("cnn");
                Files.createDirectories(dir);
                for (String f : new String[] {ModelArtifact.SPEC_FILE, ModelArtifact.WEIGHTS_FILE, ModelArtifact.CARD_FILE}) {
                    Files.copy(trainedDirectory().resolve(f), dir.resolve(f));
                }
                export(dir, m);
                exportedDirectory = dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return exportedDirectory;
    }

    /** TFLite and ONNX float32, verified on 1,000 test images against {@code model} in PyTorch. */
    private static void export(Path dir, TrainedModel model) throws IOException {
        LoadedModel reference = new LoadedModel() {
            @Override
            public float[][] predict(float[] pixels, int n) {
                return model.predictBatch(pixels, n);
            }

            @Override
            public void close() {
            }
        };
        ExportPipeline.withAllFormats().withLatencyImages(10).run(ExportPipeline.Request.builder().modelDirectory(dir)
                .reference(reference, "DJL/PyTorch").formats(List.of(ExportFormat.TFLITE, ExportFormat.ONNX))
                .testImages(TestData.mnist().test().head(1000)).build());
    }

    /** The model exported with {@code quantization}, NHWC float32 input as the app's contract says. */
    static synchronized Path tflite(Quantization quantization) {
        TrainedModel m = trained();
        return FILES.computeIfAbsent(quantization, q -> {
            try {
                ExportOptions.Builder options = ExportOptions.builder().quantization(q);
                if (q == Quantization.FULL_INT8) options.representative(TestData.mnist().train().head(500));
                Path file = directory.resolve("cnn").resolve("export").resolve("cnn-" + q.id() + ".tflite");
                new TfliteExporter().export(ExportSource.of(m.spec(), m.weights(), m.labels()), options.build(), file);
                return file;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
