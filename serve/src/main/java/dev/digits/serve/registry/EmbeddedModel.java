package dev.digits.serve.registry;

import dev.digits.core.artifact.ModelArtifact;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The model packaged in the jar, so that a server works on a fresh machine without data, training or network. It
 * is a model directory stored as class-path resources under {@value #RESOURCE_DIR} (spec.json,
 * weights.safetensors, model-card.json, history.csv, export/…), served as model {@value #NAME}. Any file placed
 * there is picked up: the directory is listed from the jar (or the class-path folder) rather than from an index.
 */
public final class EmbeddedModel {
    /** Class-path directory holding the embedded model directory. */
    public static final String RESOURCE_DIR = "/dev/digits/serve/default-model";
    /** The name the embedded model is served under. */
    public static final String NAME = "cnn";

    private EmbeddedModel() {
    }

    /** Whether this build carries an embedded model. */
    public static boolean available() {
        return EmbeddedModel.class.getResource(RESOURCE_DIR + "/" + ModelArtifact.SPEC_FILE) != null;
    }

    /**
     * Copies the embedded model directory into {@code target} (which must exist).
     *
     * @throws ModelRegistryException when this build has no embedded model
     */
    public static void copyTo(Path target) throws IOException {
        URL spec = EmbeddedModel.class.getResource(RESOURCE_DIR + "/" + ModelArtifact.SPEC_FILE);
        if (spec == null) {
            throw new ModelRegistryException("this build carries no embedded model (class-path " + RESOURCE_DIR
                    + "); serve your own with --models DIR");
        }
        copyDirectoryOf(spec, target);
    }

    /**
     * Copies the directory holding the resource {@code spec} — in a jar ({@code jar:} URL) or a class-path folder
     * ({@code file:} URL) — into {@code target}.
     */
    static void copyDirectoryOf(URL spec, Path target) throws IOException {
        URI uri;
        try {
            uri = spec.toURI();
        } catch (URISyntaxException e) {
            throw new IOException("cannot locate the embedded model at " + spec, e);
        }
        if ("jar".equals(uri.getScheme())) {
            FileSystem fs;
            boolean opened = false;
            try {
                fs = FileSystems.newFileSystem(uri, Map.of());
                opened = true;
            } catch (FileSystemAlreadyExistsException e) {
                fs = FileSystems.getFileSystem(uri);
            }
            try {
                String entry = uri.getSchemeSpecificPart();
                String inJar = entry.substring(entry.indexOf("!/") + 1);
                copyTree(fs.getPath(inJar).getParent(), target);
            } finally {
                if (opened) fs.close();
            }
        } else {
            copyTree(Path.of(uri).getParent(), target);
        }
    }

    /** Copies the files under {@code source} (any file system) into {@code target}. */
    static void copyTree(Path source, Path target) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(source)) {
            files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
        }
        for (Path f : files) {
            // Resolve by string: the source may live in a jar's file system, the target on the default one.
            Path out = target.resolve(source.relativize(f).toString());
            Files.createDirectories(out.getParent());
            try (InputStream in = Files.newInputStream(f)) {
                Files.copy(in, out);
            }
        }
    }
}
