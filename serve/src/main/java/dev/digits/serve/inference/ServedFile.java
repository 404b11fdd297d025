package dev.digits.serve.inference;

import java.util.List;

/**
 * The file a loaded version is served from: its path inside the version directory ({@code export/cnn.onnx}, the
 * same path its download URL ends in), the SHA-256 of the bytes handed to the runtime (which is the download's ETag),
 * the runtime running it, and its input and output tensors as the file declares them (name and shape, {@code -1}
 * for the batch dimension) — what the Open Inference Protocol's model metadata lists.
 */
public record ServedFile(String path, String sha256, String runtime, String inputName, List<Long> inputShape,
                         String outputName, List<Long> outputShape) {
    public ServedFile {
        inputShape = List.copyOf(inputShape);
        outputShape = List.copyOf(outputShape);
    }
}
