package dev.digits.serve.registry;

import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.error.DigitsException;
import dev.digits.core.json.Json;
import dev.digits.core.model.ModelSpec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One version of a model as it lies on disk: a model directory (as {@code digits train} writes it, exports in
 * {@code export/}) with every downloadable file listed and hashed. Immutable: a version directory is never changed
 * after it has been added to the registry, which is what makes its URLs cacheable forever.
 *
 * <p>Downloadable are Digits' own files ({@code spec.json}, {@code weights.safetensors}, {@code model-card.json}) and
 * everything under {@code export/}; checkpoints, plots and other training leftovers are not served. The file the
 * server runs is the float32 ONNX file the export manifest lists ({@link #servingFile()}).
 */
public final class StoredVersion {
    private static final List<String> FORMAT_ORDER = List.of("onnx", "tflite", "tfjs", "safetensors");
    private static final List<String> QUANTIZATION_ORDER = List.of("float32", "float16", "int8-dynamic", "int8");

    private final String model;
    private final int version;
    private final ModelArtifact artifact;
    private final InputPreprocessor preprocessor;
    private final String sha256;
    private final Map<String, ModelFile> files;
    private final List<ModelFormat> formats;
    private final ModelFile servingFile;
    private final Map<String, Object> verified;

    /**
     * The record of the server's own check of an uploaded version (known digits, accuracy, when), written beside
     * the model files before the version is committed; versions placed in the directory by hand have none.
     */
    public static final String VERIFICATION_FILE = "verification.json";

    private StoredVersion(String model, int version, ModelArtifact artifact, String sha256,
                          Map<String, ModelFile> files, List<ModelFormat> formats, ModelFile servingFile,
                          Map<String, Object> verified) {
        this.model = model;
        this.version = version;
        this.artifact = artifact;
        this.preprocessor = InputPreprocessor.of(this.artifact.input());
        this.sha256 = sha256;
        this.files = files;
        this.formats = formats;
        this.servingFile = servingFile;
        this.verified = verified;
    }

    /**
     * Reads the version in {@code dir}, hashing its downloadable files.
     *
     * @throws DigitsException when {@code dir} is not a model directory
     */
    public static StoredVersion read(String model, int version, Path dir) throws IOException {
        ModelArtifact md = ModelArtifact.open(dir);
        Map<String, ModelFile> files = new TreeMap<>();
        for (String own : List.of(ModelArtifact.SPEC_FILE, ModelArtifact.WEIGHTS_FILE, ModelArtifact.CARD_FILE)) {
            Path f = dir.resolve(own);
            if (Files.isRegularFile(f)) files.put(own, describe(own, f));
        }
        Path export = md.exportDirectory();
        if (Files.isDirectory(export)) {
            try (Stream<Path> walk = Files.walk(export)) {
                for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile).sorted()::iterator) {
                    String rel = relative(dir, f);
                    if (!isHidden(rel)) files.put(rel, describe(rel, f));
                }
            }
        }
        Object report = readReport(export.resolve("report.json"));
        List<ModelFormat> formats = formats(files, report);
        String sha = files.get(ModelArtifact.WEIGHTS_FILE).sha256();
        return new StoredVersion(model, version, md, sha, java.util.Collections.unmodifiableMap(files), formats,
                servingFile(md, files), readVerification(dir.resolve(VERIFICATION_FILE)));
    }

    /**
     * The file of {@code files} the export manifest lists as the float32 ONNX export, or null when there is no
     * manifest, it lists none, or it cannot be read (whether the file may be served is decided when it is loaded).
     */
    private static ModelFile servingFile(ModelArtifact md, Map<String, ModelFile> files) throws IOException {
        try {
            Optional<ExportManifest> manifest = md.manifest();
            if (manifest.isEmpty()) return null;
            Optional<ExportManifest.Entry> onnx = manifest.get().entry("onnx", "float32");
            return onnx.map(e -> files.get(ModelArtifact.EXPORT_DIR + "/" + e.path())).orElse(null);
        } catch (DigitsException e) {
            return null;
        }
    }

    public String model() {
        return model;
    }

    public int version() {
        return version;
    }

    /** The version's directory. */
    public Path directory() {
        return artifact.path();
    }

    /** The architecture. */
    public ModelSpec spec() {
        return artifact.spec();
    }

    /** The model card (the MNIST defaults when the directory has none). */
    public ModelCard card() {
        return artifact.card();
    }

    /** Class names, index = output position. */
    public List<String> labels() {
        return artifact.labels();
    }

    /** How pictures sent to this version become its input: the preprocessing its card declares. */
    public InputPreprocessor preprocessor() {
        return preprocessor;
    }

    /**
     * The file the server runs for this version — the float32 ONNX file its export manifest lists, e.g.
     * {@code export/cnn.onnx} — when the manifest names one (whether it passes its checks is decided at load).
     */
    public Optional<ModelFile> servingFile() {
        return Optional.ofNullable(servingFile);
    }

    /** SHA-256 of the weights: what identifies this trained model. */
    public String sha256() {
        return sha256;
    }

    /**
     * SHA-256 of {@code file}: for a file of this version, the digest taken when the version was read (a committed
     * version's files never change, so each is read once); any other file is hashed now.
     */
    public String sha256Of(Path file) throws IOException {
        Path dir = directory();
        if (file.startsWith(dir)) {
            ModelFile known = files.get(relative(dir, file));
            if (known != null && known.file().equals(file)) return known.sha256();
        }
        return Digests.sha256(file);
    }

    /** The server's own check of this version at upload ({@link #VERIFICATION_FILE}), or empty. */
    public Map<String, Object> verified() {
        return verified;
    }

    private static Map<String, Object> readVerification(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return Map.of();
        try {
            return java.util.Collections.unmodifiableMap(Json.parseObject(Files.readString(file, StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            return Map.of();   // a damaged record only loses the figures, never the version
        }
    }

    /** Downloadable files by path inside the version directory. */
    public Map<String, ModelFile> files() {
        return files;
    }

    /** The formats this version downloads in: ONNX first, then TFLite, TF.js and Digits' own; float32 first. */
    public List<ModelFormat> formats() {
        return formats;
    }

    /** The test metrics from the model card (accuracy, loss, images), without per-class detail. */
    public Map<String, Object> metrics() {
        Map<String, Object> out = new LinkedHashMap<>();
        ModelCard.Metrics m = card().metrics();
        if (!m.isPresent()) return out;
        out.put("accuracy", m.accuracy());
        if (!Double.isNaN(m.loss())) out.put("loss", m.loss());
        if (m.images() > 0) out.put("images", m.images());
        return out;
    }

    @Override
    public String toString() {
        return model + " version " + version + " (" + artifact.path() + ")";
    }

    /** Lower-case hex SHA-256 of a file's content. */
    public static String sha256(Path file) throws IOException {
        return Digests.sha256(file);
    }

    private static ModelFile describe(String rel, Path f) throws IOException {
        return new ModelFile(rel, f, Files.size(f), sha256(f));
    }

    private static String relative(Path dir, Path f) {
        return dir.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
    }

    // Temporary files of atomic writes and editor droppings start with a dot.
    private static boolean isHidden(String rel) {
        for (String part : rel.split("/")) if (part.startsWith(".")) return true;
        return false;
    }

    private static boolean isScalar(Object v) {
        return v instanceof String || v instanceof Number || v instanceof Boolean;
    }

    /** The parsed export report, or null when there is none or it cannot be read. */
    private static Object readReport(Path file) throws IOException {
        if (!Files.isRegularFile(file)) return null;
        try {
            return Json.parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            // A broken report must not hide the files themselves; they are still listed, without report data.
            return null;
        }
    }

    private static List<ModelFormat> formats(Map<String, ModelFile> files, Object report) {
        List<ModelFormat> out = new ArrayList<>();
        ModelFile weights = files.get(ModelArtifact.WEIGHTS_FILE);
        List<ModelFile> own = new ArrayList<>();
        own.add(weights);
        for (String f : List.of(ModelArtifact.SPEC_FILE, ModelArtifact.CARD_FILE)) {
            if (files.containsKey(f)) own.add(files.get(f));
        }
        out.add(new ModelFormat("safetensors", "float32", weights, own, Map.of()));
        for (ModelFile f : files.values()) {
            if (!f.path().startsWith("export/")) continue;
            String name = fileName(f.path());
            String format = null;
            List<ModelFile> parts = new ArrayList<>(List.of(f));
            if (name.endsWith(".tflite")) {
                format = "tflite";
            } else if (name.endsWith(".onnx")) {
                format = "onnx";
            } else if (name.equals("model.json")) {
                format = "tfjs";
                parts.addAll(tfjsShards(f, files));
            }
            if (format == null) continue;
            Map<String, Object> entry = reportEntry(report, f.path());
            Object q = entry.get("quantization");
            String quantization = q instanceof String ? (String) q : quantizationFromName(f.path());
            out.add(new ModelFormat(format, quantization, f, parts, entry));
        }
        out.sort(Comparator.comparingInt((ModelFormat m) -> rank(FORMAT_ORDER, m.format()))
                .thenComparingInt(m -> rank(QUANTIZATION_ORDER, m.quantization()))
                .thenComparing(m -> m.main().path()));
        return List.copyOf(out);
    }

    private static int rank(List<String> order, String value) {
        int i = order.indexOf(value);
        return i < 0 ? order.size() : i;
    }

    private static String fileName(String rel) {
        return rel.substring(rel.lastIndexOf('/') + 1);
    }

    private static String parent(String rel) {
        int i = rel.lastIndexOf('/');
        return i < 0 ? "" : rel.substring(0, i + 1);
    }

    /** The weight files a TF.js model.json names in its weightsManifest, as far as they exist. */
    private static List<ModelFile> tfjsShards(ModelFile modelJson, Map<String, ModelFile> files) {
        List<ModelFile> out = new ArrayList<>();
        String dir = parent(modelJson.path());
        try {
            Map<String, Object> json = Json.parseObject(Files.readString(modelJson.file(), StandardCharsets.UTF_8));
            Object manifest = json.get("weightsManifest");
            if (manifest instanceof List) {
                for (Object group : (List<?>) manifest) {
                    Object paths = group instanceof Map ? ((Map<?, ?>) group).get("paths") : null;
                    if (!(paths instanceof List)) continue;
                    for (Object p : (List<?>) paths) {
                        ModelFile shard = files.get(dir + p);
                        if (shard != null && !out.contains(shard)) out.add(shard);
                    }
                }
                return out;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (IllegalArgumentException e) {
            // Not a readable model.json: fall back to the binary files beside it.
        }
        for (ModelFile f : files.values()) {
            if (parent(f.path()).equals(dir) && f.path().endsWith(".bin")) out.add(f);
        }
        return out;
    }

    static String quantizationFromName(String rel) {
        String n = rel.toLowerCase(Locale.ROOT);
        if (n.contains("int8-dynamic") || n.contains("dynamic")) return "int8-dynamic";
        if (n.contains("int8")) return "int8";
        if (n.contains("float16") || n.contains("fp16")) return "float16";
        return "float32";
    }

    /**
     * The export report's scalars about one file. The report is searched for an object whose {@code file},
     * {@code path} or {@code name} names the file (by path inside the version, inside {@code export/}, or by file name
     * when unambiguous), so that the listing follows whatever shape the report has.
     */
    private static Map<String, Object> reportEntry(Object root, String rel) {
        if (root == null) return Map.of();
        String inExport = rel.substring("export/".length());
        List<Map<?, ?>> objects = new ArrayList<>();
        collectObjects(root, objects);
        for (Map<?, ?> o : objects) {
            for (String key : List.of("file", "path", "name")) {
                Object v = o.get(key);
                if (v instanceof String && matches((String) v, rel, inExport)) {
                    Map<String, Object> out = new LinkedHashMap<>();
                    for (Map.Entry<?, ?> e : o.entrySet()) {
                        if (isScalar(e.getValue())) out.put(String.valueOf(e.getKey()), e.getValue());
                    }
                    return out;
                }
            }
        }
        return Map.of();
    }

    private static boolean matches(String named, String rel, String inExport) {
        String n = named.replace('\\', '/');
        return n.equals(rel) || n.equals(inExport) || n.endsWith("/" + inExport)
                || (!inExport.contains("/") && n.equals(fileName(rel)));
    }

    private static void collectObjects(Object node, List<Map<?, ?>> out) {
        if (node instanceof Map) {
            out.add((Map<?, ?>) node);
            for (Object v : ((Map<?, ?>) node).values()) collectObjects(v, out);
        } else if (node instanceof List) {
            for (Object v : (List<?>) node) collectObjects(v, out);
        }
    }
}
