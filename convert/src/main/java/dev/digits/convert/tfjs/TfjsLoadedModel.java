package dev.digits.convert.tfjs;

import dev.digits.convert.LoadedModel;
import dev.digits.convert.node.NodeModelProcess;
import dev.digits.convert.node.NodePackage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A TF.js LayersModel loaded by {@code tf.loadLayersModel} in one long-lived node process ({@code run.mjs}), fed
 * binary batches over its stdin and answering on its stdout ({@link NodeModelProcess}).
 */
public final class TfjsLoadedModel implements LoadedModel {
    private final NodeModelProcess process;
    private final int[] inputShape;
    private final int inputSize;
    private final boolean integerInput;
    private final int classes;
    private final String tfjsVersion;
    private final String backend;
    private final Map<String, Object> metadata;

    private TfjsLoadedModel(NodeModelProcess process) {
        this.process = process;
        Map<String, Object> info = process.ready();
        List<?> shape = (List<?>) info.get("inputShape");
        this.inputShape = new int[shape.size() - 1];
        int size = 1;
        for (int i = 1; i < shape.size(); i++) {
            inputShape[i - 1] = ((Number) shape.get(i)).intValue();
            size *= inputShape[i - 1];
        }
        this.inputSize = size;
        this.integerInput = "int32".equals(info.get("inputDtype"));
        this.classes = ((Number) ((List<?>) info.get("outputShape")).get(1)).intValue();
        this.tfjsVersion = String.valueOf(info.get("tfjsVersion"));
        this.backend = String.valueOf(info.get("backend"));
        Object m = info.get("userDefinedMetadata");
        this.metadata = m instanceof Map ? Collections.unmodifiableMap(castMap(m)) : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object m) {
        return (Map<String, Object>) m;
    }

    static TfjsLoadedModel start(NodePackage runtime, TfjsRuntime.Backend backend, Path modelJson) throws IOException {
        Path file = modelJson.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) throw new IOException("TF.js model " + file + " does not exist");
        NodeModelProcess process = runtime.start("TF.js", file.toString(), backend.id());
        try {
            return new TfjsLoadedModel(process);
        } catch (RuntimeException e) {
            process.close();
            throw e;
        }
    }

    @Override
    public float[][] predict(float[] pixels, int n) {
        return run(pixels, n, true);
    }

    /**
     * The model's outputs for {@code n} inputs given in the model's own input units (not Digits' [0,1] pixels): a
     * model taking int32 gets each value rounded to the nearest integer.
     */
    public float[][] predictValues(float[] values, int n) {
        return run(values, n, false);
    }

    private synchronized float[][] run(float[] pixels, int n, boolean unitPixels) {
        if (pixels.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + pixels.length);
        }
        float[] values = pixels;
        if (integerInput) {
            // The file takes 0–255 integers (as tf.browser.fromPixels gives); predict's callers give [0,1].
            float scale = unitPixels ? 255f : 1f;
            values = new float[pixels.length];
            for (int i = 0; i < pixels.length; i++) values[i] = Math.round(pixels[i] * scale);
        }
        try {
            return process.run(values, n, inputSize, classes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The input shape without the batch dimension, as TF.js reports it after loading. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** The TF.js version that loaded the model. */
    public String tfjsVersion() {
        return tfjsVersion;
    }

    /** The TF.js backend running it ("wasm" or "cpu"). */
    public String backend() {
        return backend;
    }

    /** The file's {@code userDefinedMetadata} as TF.js returns it from {@code model.getUserDefinedMetadata()}. */
    public Map<String, Object> userDefinedMetadata() {
        return metadata;
    }

    /** Number of classes the model outputs. */
    public int classes() {
        return classes;
    }

    /** Ends the node process (asking first, then forcing after a few seconds). */
    @Override
    public synchronized void close() {
        process.close();
    }
}
