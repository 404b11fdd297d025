package dev.digits.serve.registry;

import java.util.List;
import java.util.Map;

/**
 * One format a model version can be downloaded in: an exported file (TFLite, ONNX), a TF.js model (its
 * {@code model.json} plus weight shards), or Digits' own weights. What the export report says about the file
 * (accuracy, agreement with the trained model, latency) travels with it.
 */
public final class ModelFormat {
    private final String format;
    private final String quantization;
    private final ModelFile main;
    private final List<ModelFile> files;
    private final Map<String, Object> report;

    ModelFormat(String format, String quantization, ModelFile main, List<ModelFile> files, Map<String, Object> report) {
        this.format = format;
        this.quantization = quantization;
        this.main = main;
        this.files = List.copyOf(files);
        this.report = report;
    }

    /** {@code tflite}, {@code onnx}, {@code tfjs} or {@code safetensors} (Digits' own model directory). */
    public String format() {
        return format;
    }

    /** {@code float32}, {@code float16}, {@code int8-dynamic} or {@code int8}. */
    public String quantization() {
        return quantization;
    }

    /** The file a client loads: the model file itself, or TF.js's {@code model.json}. */
    public ModelFile main() {
        return main;
    }

    /** Every file the format needs, the main one first (TF.js: model.json and its shards). */
    public List<ModelFile> files() {
        return files;
    }

    /** Bytes a client downloads for this format. */
    public long totalSize() {
        long s = 0;
        for (ModelFile f : files) s += f.size();
        return s;
    }

    /** The export report's entry for this file (empty when the version has no report). */
    public Map<String, Object> report() {
        return report;
    }
}
