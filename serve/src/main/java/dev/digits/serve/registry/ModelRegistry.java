package dev.digits.serve.registry;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.error.DigitsException;
import dev.digits.core.io.AtomicFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The models a server offers, kept in a directory:
 * <pre>
 *   &lt;root&gt;/
 *     &lt;name&gt;/                 one model; the name is letters, digits, '.', '_' or '-' (it appears in URLs)
 *       versions/
 *         1/                   a model directory as {@code digits train} writes it: spec.json,
 *         2/                   weights.safetensors, model-card.json, history.csv, …, and export/ with the
 *         …                    files of {@code digits export} (TFLite, ONNX, TF.js model.json + shards, report.json)
 *                              and its manifest.json; a version is served from the float32 ONNX file it lists
 *       latest                 the number of the version served by default, as text; replaced atomically
 * </pre>
 * A model directory written straight to {@code <root>/<name>/} (spec.json at that level, as
 * {@code digits train --output models/cnn} leaves it) is version 1 of {@code <name>}; uploaded versions are then
 * added as {@code versions/2}, {@code versions/3}, … beside it. Without a {@code latest} file the highest version
 * is the latest.
 *
 * <p>Versions are immutable once added: an upload is unpacked into a hidden staging directory beside
 * {@code versions/} and moved into place in one rename, so a reader sees a version completely or not at all. The
 * registry is read when it is opened; afterwards it changes only through {@link #commit} and {@link #activate}
 * (the server's administration API). Reads are lock-free on an immutable snapshot; changes are serialized.
 */
public final class ModelRegistry implements RegistryWriter {
    /** Sub-directory holding the numbered versions of a model. */
    public static final String VERSIONS_DIR = "versions";
    /** File naming the latest version of a model. */
    public static final String LATEST_FILE = "latest";

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    private static final Pattern NUMBER = Pattern.compile("[1-9][0-9]{0,8}");
    private static final String STAGING_PREFIX = ".upload-";
    /** Age after which a staging directory left behind is an abandoned upload (uploads take seconds). */
    static final java.time.Duration ABANDONED_AFTER = java.time.Duration.ofMinutes(10);

    private final Path root;
    private volatile Map<String, StoredModel> models;

    private ModelRegistry(Path root, Map<String, StoredModel> models) {
        this.root = root;
        this.models = models;
    }

    /**
     * Opens (creating it when missing) the registry in {@code root} and reads every model in it. A sub-directory that
     * holds no model, or a version that is not a readable model directory, is skipped with a warning.
     *
     * @throws ModelRegistryException when {@code root} is not a usable directory or a version is defined twice
     */
    public static ModelRegistry open(Path root) throws IOException {
        Path dir = root.toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new ModelRegistryException(root + " is a file; --models needs a directory of models (e.g. models/, "
                    + "holding models/cnn/ from `digits train --output models/cnn`)");
        }
        if (Files.isRegularFile(dir.resolve(ModelArtifact.SPEC_FILE))) {
            throw new ModelRegistryException(root + " is a single model directory; pass the directory that holds it"
                    + " (--models " + (dir.getParent() == null ? "." : dir.getParent()) + ") so that it is served as '"
                    + dir.getFileName() + "'");
        }
        Files.createDirectories(dir);
        Map<String, StoredModel> found = new TreeMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!Files.isDirectory(entry) || name.startsWith(".")) continue;
                if (!NAME.matcher(name).matches()) {
                    LOG.warn("skipping {}: a model name may only hold letters, digits, '.', '_' and '-'", entry);
                    continue;
                }
                removeAbandonedUploads(entry);
                StoredModel m = readModel(name, entry);
                if (m != null) found.put(name, m);
            }
        }
        return new ModelRegistry(dir, Collections.unmodifiableMap(found));
    }

    /**
     * Deletes the staging directories of uploads that a crash or kill left under {@code modelDir}. Only those older
     * than {@link #ABANDONED_AFTER}: another server sharing the directory may be unpacking an upload right now.
     */
    private static void removeAbandonedUploads(Path modelDir) throws IOException {
        java.time.Instant before = java.time.Instant.now().minus(ABANDONED_AFTER);
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(modelDir, STAGING_PREFIX + "*")) {
            for (Path staging : entries) {
                if (!Files.isDirectory(staging, java.nio.file.LinkOption.NOFOLLOW_LINKS)) continue;
                if (Files.getLastModifiedTime(staging).toInstant().isAfter(before)) continue;
                LOG.info("removing {}, the staging directory of an upload that never finished", staging);
                deleteTree(staging);
            }
        }
    }

    /** The registry's directory. */
    public Path root() {
        return root;
    }

    /** Every model, by name in alphabetical order. */
    public List<StoredModel> models() {
        return List.copyOf(models.values());
    }

    public boolean isEmpty() {
        return models.isEmpty();
    }

    /**
     * A model by name.
     *
     * @throws UnknownModelException listing the models there are
     */
    public StoredModel model(String name) {
        StoredModel m = models.get(name);
        if (m == null) {
            throw new UnknownModelException("no model named '" + name + "'; "
                    + (models.isEmpty() ? "the registry is empty" : "the models are " + String.join(", ", models.keySet())));
        }
        return m;
    }

    /** Whether a model of that name exists. */
    public boolean contains(String name) {
        return models.containsKey(name);
    }

    /** Whether {@code name} can name a model: 1 to 64 letters, digits, '.', '_' or '-', not starting with a symbol. */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    private static void checkName(String name) {
        if (!isValidName(name)) {
            throw new IllegalArgumentException("'" + name + "' cannot name a model: use 1 to 64 letters, digits, '.',"
                    + " '_' or '-', starting with a letter or digit");
        }
    }

    /**
     * A new, empty, hidden directory on the registry's file system in which to unpack a version of {@code name}
     * before {@link #commit} moves it into place (or {@link #discard} removes it).
     */
    public Path newStagingDirectory(String name) throws IOException {
        checkName(name);
        Path dir = root.resolve(name).resolve(STAGING_PREFIX + UUID.randomUUID());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RegistryWriteException("creating a staging directory for an upload", e);
        }
        return dir;
    }

    /**
     * Adds the model directory {@code staging} as the next version of {@code name} (creating the model when it is
     * new), moving it into {@code versions/<n>} in one rename. The latest version does not change unless the model is
     * new; see {@link #activate}.
     *
     * @throws DigitsException when {@code staging} is not a model directory
     */
    @Override
    public synchronized StoredVersion commit(String name, Path staging) throws IOException {
        checkName(name);
        StoredModel current = models.get(name);
        int next = current == null ? 1 : current.highest() + 1;
        Path versions = root.resolve(name).resolve(VERSIONS_DIR);
        // A directory left over from an interrupted commit (or made by hand) must not be overwritten.
        while (Files.exists(versions.resolve(Integer.toString(next)))) next++;
        return commitAs(name, next, staging);
    }

    /**
     * Adds {@code staging} as version {@code number} of {@code name}, as a shared registry numbered it; the latest
     * version does not change unless the model is new.
     *
     * @throws ModelRegistryException when that version exists already
     */
    public synchronized StoredVersion commitAs(String name, int number, Path staging) throws IOException {
        checkName(name);
        StoredModel current = models.get(name);
        int next = number;
        Path versions = root.resolve(name).resolve(VERSIONS_DIR);
        try {
            Files.createDirectories(versions);
        } catch (IOException e) {
            throw new RegistryWriteException("creating the versions directory", e);
        }
        Path target = versions.resolve(Integer.toString(next));
        if (Files.exists(target) || (current != null && current.has(next))) {
            throw new ModelRegistryException("version " + next + " of '" + name + "' exists already in " + root);
        }
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new ModelRegistryException("cannot rename " + staging + " to " + target + " atomically", e);
        } catch (IOException e) {
            throw new RegistryWriteException("moving the upload into place", e);
        }
        StoredVersion v = StoredVersion.read(name, next, target);
        StoredModel updated = current == null ? new StoredModel(name, new TreeMap<>(Map.of(next, v)), next) : current.with(v);
        if (current == null) writeLatest(name, next);
        publish(updated);
        return v;
    }

    /**
     * Makes {@code version} the latest of {@code name}: the {@code latest} file is replaced atomically, then the
     * in-memory view.
     *
     * @throws UnknownModelException when the model or version does not exist
     */
    @Override
    public synchronized StoredModel activate(String name, int version) throws IOException {
        StoredModel m = model(name);
        m.version(version);
        writeLatest(name, version);
        StoredModel updated = m.withLatest(version);
        publish(updated);
        return updated;
    }

    /** Deletes a staging directory that will not be committed. */
    public void discard(Path staging) throws IOException {
        if (!staging.getFileName().toString().startsWith(STAGING_PREFIX) || !Files.exists(staging)) return;
        deleteTree(staging);
    }

    private void writeLatest(String name, int version) {
        try {
            AtomicFiles.writeString(root.resolve(name).resolve(LATEST_FILE), version + "\n");
        } catch (IOException e) {
            throw new RegistryWriteException("recording the latest version", e);
        }
    }

    private void publish(StoredModel m) {
        Map<String, StoredModel> copy = new TreeMap<>(models);
        copy.put(m.name(), m);
        models = Collections.unmodifiableMap(copy);
    }

    private static StoredModel readModel(String name, Path dir) throws IOException {
        NavigableMap<Integer, StoredVersion> versions = new TreeMap<>();
        if (Files.isRegularFile(dir.resolve(ModelArtifact.SPEC_FILE))) {
            StoredVersion v = readVersion(name, 1, dir);
            if (v != null) versions.put(1, v);
        }
        Path vdir = dir.resolve(VERSIONS_DIR);
        if (Files.isDirectory(vdir)) {
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(vdir)) {
                for (Path entry : entries) {
                    String n = entry.getFileName().toString();
                    if (!Files.isDirectory(entry) || n.startsWith(".")) continue;
                    if (!NUMBER.matcher(n).matches()) {
                        LOG.warn("skipping {}: version directories are numbered 1, 2, 3, …", entry);
                        continue;
                    }
                    int number = Integer.parseInt(n);
                    if (versions.containsKey(number)) {
                        throw new ModelRegistryException("both " + dir + " and " + entry + " hold version " + number
                                + " of '" + name + "'; move " + dir + "'s model files into " + vdir.resolve("1")
                                + " or remove one of them");
                    }
                    StoredVersion v = readVersion(name, number, entry);
                    if (v != null) versions.put(number, v);
                }
            }
        }
        if (versions.isEmpty()) {
            LOG.warn("skipping {}: it holds no model (expected spec.json and weights.safetensors, or versions/<n>/)", dir);
            return null;
        }
        return new StoredModel(name, versions, readLatest(name, dir, versions));
    }

    private static StoredVersion readVersion(String name, int number, Path dir) throws IOException {
        try {
            return StoredVersion.read(name, number, dir);
        } catch (DigitsException e) {
            LOG.warn("skipping version {} of '{}': {}", number, name, e.getMessage());
            return null;
        }
    }

    private static int readLatest(String name, Path dir, NavigableMap<Integer, StoredVersion> versions) throws IOException {
        Path f = dir.resolve(LATEST_FILE);
        if (!Files.isRegularFile(f)) return versions.lastKey();
        String text = Files.readString(f, StandardCharsets.UTF_8).trim();
        if (NUMBER.matcher(text).matches() && versions.containsKey(Integer.parseInt(text))) {
            return Integer.parseInt(text);
        }
        LOG.warn("{} names version '{}', which '{}' does not have; serving version {} (the highest)", f, text, name,
                versions.lastKey());
        return versions.lastKey();
    }

    static void deleteTree(Path dir) throws IOException {
        List<Path> paths = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.forEach(paths::add);
        }
        paths.sort(Comparator.reverseOrder());
        for (Path p : paths) Files.deleteIfExists(p);
    }
}
