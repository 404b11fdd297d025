package dev.digits.serve.registry;

import dev.digits.core.artifact.ModelArtifact;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NotDirectoryException;
import java.nio.file.StandardOpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Unpacks an uploaded model version into a staging directory: a zip of a model directory, or single files each
 * named by its path inside the version. Every path is checked to stay inside the directory (no {@code ..}, no
 * absolute paths), and the total size and number of files are bounded, so a hostile archive can neither write
 * elsewhere nor fill the disk.
 */
public final class VersionUpload {
    private final Path target;
    private final long maxBytes;
    private final int maxFiles;
    private long written;
    private int files;

    /**
     * @param target   an empty staging directory ({@link ModelRegistry#newStagingDirectory})
     * @param maxBytes largest total of uncompressed bytes accepted
     * @param maxFiles largest number of files accepted
     */
    public VersionUpload(Path target, long maxBytes, int maxFiles) {
        this.target = target;
        this.maxBytes = maxBytes;
        this.maxFiles = maxFiles;
    }

    /** Unpacks a zip archive; directories inside it are created as needed. */
    public void unzip(InputStream zip) throws IOException {
        try (ZipInputStream in = new ZipInputStream(zip)) {
            int entries = 0;
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                entries++;
                if (!e.isDirectory()) add(e.getName(), in);
            }
            if (entries == 0) throw new InvalidUploadException("the upload is not a zip archive, or an empty one");
        } catch (ZipException e) {
            throw new InvalidUploadException("the upload is not a readable zip archive: " + e.getMessage());
        }
    }

    /**
     * Writes one file at {@code path} (relative, {@code /}-separated, e.g. {@code export/cnn.onnx}).
     *
     * @throws InvalidUploadException when the path leaves the directory or a limit is exceeded
     */
    /** Longest part of a file name (between slashes), in UTF-8 bytes: what Linux, macOS and Windows file systems store. */
    static final int MAX_NAME_BYTES = 255;
    /** Longest file name of an upload, in characters. */
    static final int MAX_PATH_CHARS = 1024;

    public void add(String path, InputStream content) throws IOException {
        Path file = resolve(path);
        if (++files > maxFiles) {
            throw new InvalidUploadException("the upload holds more than " + maxFiles + " files");
        }
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidUploadException("the upload holds '" + path + "' twice, or as a file and a directory");
        }
        byte[] buf = new byte[1 << 16];
        try {
            Files.createDirectories(file.getParent());
            try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW)) {
                for (int n; (n = content.read(buf)) > 0; ) {
                    written += n;
                    if (written > maxBytes) {
                        throw new InvalidUploadException("the upload unpacks to more than " + maxBytes + " bytes");
                    }
                    out.write(buf, 0, n);
                }
            }
        } catch (FileAlreadyExistsException | NotDirectoryException e) {
            // A name taken by a file of the upload is used as a directory, or the other way round.
            throw new InvalidUploadException("the upload holds '" + path + "' and also uses a part of that path as both "
                    + "a file and a directory");
        }
    }

    /**
     * Finishes the upload: an archive of a directory ({@code cnn/spec.json}, …) is flattened so that the model files
     * sit at the top, and the result must hold {@code spec.json} and {@code weights.safetensors}.
     *
     * @throws InvalidUploadException naming what is missing
     */
    public void finish() throws IOException {
        if (!Files.isRegularFile(target.resolve(ModelArtifact.SPEC_FILE))) {
            List<Path> children = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(target)) {
                s.forEach(children::add);
            }
            if (children.size() == 1 && Files.isDirectory(children.get(0))
                    && Files.isRegularFile(children.get(0).resolve(ModelArtifact.SPEC_FILE))) {
                Path inner = children.get(0);
                try (DirectoryStream<Path> s = Files.newDirectoryStream(inner)) {
                    for (Path p : s) Files.move(p, target.resolve(p.getFileName().toString()));
                }
                Files.delete(inner);
            }
        }
        for (String required : List.of(ModelArtifact.SPEC_FILE, ModelArtifact.WEIGHTS_FILE)) {
            if (!Files.isRegularFile(target.resolve(required))) {
                throw new InvalidUploadException("the upload has no " + required + "; send a model directory as "
                        + "`digits export` leaves it (spec.json, weights.safetensors, model-card.json, export/ with its "
                        + "manifest.json)");
            }
        }
    }

    private Path resolve(String path) {
        String p = path.replace('\\', '/');
        if (p.isEmpty() || p.startsWith("/") || p.contains(":")) {
            throw new InvalidUploadException("file name '" + path + "' must be a relative path inside the model directory");
        }
        if (p.length() > MAX_PATH_CHARS) {
            throw new InvalidUploadException("a file name of the upload is " + p.length() + " characters long; at most "
                    + MAX_PATH_CHARS + " are accepted");
        }
        for (String part : p.split("/")) {
            if (part.equals("..")) {
                throw new InvalidUploadException("file name '" + path + "' leaves the model directory");
            }
            if (part.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw new InvalidUploadException("file name '" + p.substring(0, Math.min(p.length(), 80)) + "…' has a "
                        + "part longer than " + MAX_NAME_BYTES + " bytes, which file systems do not store");
            }
        }
        Path file = target.resolve(p).normalize();
        if (!file.startsWith(target) || file.equals(target)) {
            throw new InvalidUploadException("file name '" + path + "' leaves the model directory");
        }
        return file;
    }
}
