package dev.digits.convert;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Writes a model in one format and loads such a file back in that format's real runtime. Every exporter reads the
 * same engine-free {@link ExportSource} (spec, weights, card); none keeps its own copy of a network. Exporters are
 * found with {@link java.util.ServiceLoader} ({@code META-INF/services/dev.digits.convert.Exporter}).
 */
public interface Exporter {
    ExportFormat format();

    /** The runtime {@link #load} runs files in, with its version (recorded with every verification). */
    String runtime();

    /** The runtime {@link #load} runs this file in (by default {@link #runtime()}; recorded with its verification). */
    default String runtime(Path file, ExportOptions options) throws IOException {
        return runtime();
    }

    /** The input layout of this format's files when none is asked for (NHWC for TFLite and TF.js, NCHW for ONNX). */
    ExportOptions.InputLayout defaultLayout(dev.digits.core.model.ModelSpec spec);

    /** Whether this format can store the model with {@code quantization} (the pipeline skips the rest, saying why). */
    boolean supports(Quantization quantization);

    /**
     * Writes the model; the file appears atomically (never half-written).
     *
     * @param target the file to write (for TF.js: the {@code model.json}, with shards beside it)
     * @throws UnsupportedModelException when a layer cannot be expressed, naming it and the formats that can
     */
    void export(ExportSource model, ExportOptions options, Path target) throws IOException;

    /** Loads a file written by {@link #export} in the real runtime. */
    LoadedModel load(Path file, ExportOptions options) throws IOException;

    /**
     * Loads the file so that the runtime runs each of its operators as written, where {@link #load} may let the
     * runtime replace some of them by kernels whose results depend on the CPU (fused integer kernels). Verification
     * compares the two, so a file whose integer arithmetic this CPU gets wrong fails here rather than on a user's
     * server. Empty when the file has no such kernels.
     */
    default Optional<LoadedModel> loadAsWritten(Path file, ExportOptions options) throws IOException {
        return Optional.empty();
    }
}
