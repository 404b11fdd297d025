package dev.digits.serve.registry;

import java.nio.file.Path;

/**
 * One downloadable file of a model version: its path relative to the version directory (with {@code /}), where it
 * lies on disk, its size and its SHA-256. Versions never change once written, so the digest is computed once and is
 * the file's strong HTTP entity tag.
 */
public final class ModelFile {
    private final String path;
    private final Path file;
    private final long size;
    private final String sha256;

    ModelFile(String path, Path file, long size, String sha256) {
        this.path = path;
        this.file = file;
        this.size = size;
        this.sha256 = sha256;
    }

    /** Path inside the version directory, {@code /}-separated, e.g. {@code export/cnn.onnx}. */
    public String path() {
        return path;
    }

    /** The file on disk. */
    public Path file() {
        return file;
    }

    public long size() {
        return size;
    }

    /** Lower-case hex SHA-256 of the content. */
    public String sha256() {
        return sha256;
    }

    /** The media type to serve it with, from its name. */
    public String contentType() {
        String n = path.toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".json")) return "application/json";
        if (n.endsWith(".csv")) return "text/csv; charset=utf-8";
        if (n.endsWith(".md")) return "text/markdown; charset=utf-8";
        if (n.endsWith(".txt")) return "text/plain; charset=utf-8";
        if (n.endsWith(".png")) return "image/png";
        return "application/octet-stream";
    }

    @Override
    public String toString() {
        return path + " (" + size + " bytes, sha256 " + sha256 + ")";
    }
}
