package dev.digits.convert;

import dev.digits.train.TrainedModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Writes a trained model in one format and loads such a file back in that format's real runtime. Every exporter
 * reads the same {@link dev.digits.core.model.ModelSpec} and weights; none keeps its own copy of a network.
 */
public interface Exporter {
    ExportFormat format();

    /** Whether this format can store the model with {@code quantization} (the pipeline skips the rest, saying why). */
    boolean supports(Quantization quantization);

    /**
     * Writes the model; the file appears atomically (never half-written).
     *
     * @param target the file to write (for TF.js: the {@code model.json}, with shards beside it)
     * @throws UnsupportedModelException when a layer cannot be expressed, naming it and the formats that can
     */
    void export(TrainedModel model, ExportOptions options, Path target) throws IOException;

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
