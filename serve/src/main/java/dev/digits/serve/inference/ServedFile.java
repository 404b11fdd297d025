package dev.digits.serve.inference;

/**
 * The file a loaded version is served from: its path inside the version directory ({@code export/cnn.onnx}, the
 * same path its download URL ends in), the SHA-256 of the bytes handed to the runtime (which is the download's ETag),
 * and the runtime running it.
 */
public record ServedFile(String path, String sha256, String runtime) {
}
