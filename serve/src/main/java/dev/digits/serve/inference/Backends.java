package dev.digits.serve.inference;

import ai.onnxruntime.OrtException;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.convert.onnx.OnnxExporter;
import dev.digits.train.TrainedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads a model directory into the runtime that will serve it.
 *
 * <p>The weights are converted to a float32 ONNX model in memory and run by ONNX Runtime, which needs about a fifth
 * of PyTorch's CPU time per image for these small networks (measured on the verification digits, one thread each).
 * The model is built from {@code weights.safetensors} itself rather than taken from {@code export/}, so what runs is
 * exactly what the version's SHA-256 names. Before it is used, its answers on the verification digits are compared
 * with PyTorch's; when the architecture cannot be expressed in ONNX, or the two disagree by more than
 * {@value #TOLERANCE}, the version is served by PyTorch instead (and the log says why).
 */
final class Backends {
    /** Largest probability difference between ONNX Runtime and PyTorch accepted at load. */
    static final double TOLERANCE = 1e-4;

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

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
        TrainedModel trained = TrainedModel.load(modelDirectory);
        OnnxSessionModel onnx = null;
        try {
            onnx = OnnxSessionModel.open(toOnnx(trained));
            double difference = largestDifference(onnx, trained);
            if (difference <= TOLERANCE) {
                trained.close();
                return new Loaded(onnx, "onnxruntime");
            }
            LOG.warn("{}: ONNX Runtime differs from PyTorch by {} on the verification digits; serving with PyTorch",
                    modelDirectory, difference);
        } catch (UnsupportedModelException e) {
            LOG.warn("{}: the architecture cannot be expressed in ONNX ({}); serving with PyTorch", modelDirectory,
                    e.getMessage());
        } catch (IOException | OrtException | RuntimeException e) {
            // PyTorch answers correctly without ONNX Runtime, only slower: a failure here must not keep the model out.
            LOG.warn("{}: cannot run in ONNX Runtime ({}); serving with PyTorch", modelDirectory, e.toString());
        }
        if (onnx != null) onnx.close();
        return new Loaded(new TorchModel(trained), "pytorch");
    }

    private static byte[] toOnnx(TrainedModel trained) throws IOException {
        Path file = Files.createTempFile("digits-serve-", ".onnx");
        try {
            new OnnxExporter().export(trained, ExportOptions.builder().build(), file);
            return Files.readAllBytes(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static double largestDifference(LoadedModel onnx, TrainedModel trained) {
        float[] pixels = VersionVerifier.pixels();
        float[][] a = onnx.predict(pixels, VersionVerifier.IMAGES);
        float[][] b = trained.predictBatch(pixels, VersionVerifier.IMAGES);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            if (a[i].length != b[i].length) return Double.POSITIVE_INFINITY;
            for (int k = 0; k < a[i].length; k++) max = Math.max(max, Math.abs(a[i][k] - b[i][k]));
        }
        return max;
    }
}
