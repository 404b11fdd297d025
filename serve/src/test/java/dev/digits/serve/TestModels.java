package dev.digits.serve;

import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.VerificationSample;
import dev.digits.core.data.IdxFile;
import dev.digits.core.data.ImageSet;
import dev.digits.core.json.Json;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Tensor;
import dev.digits.serve.registry.EmbeddedModel;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Real models and images for the server's tests, without training or conversion on the class path.
 *
 * <p>Every model version comes from the model embedded in the jar ({@value EmbeddedModel#RESOURCE_DIR}: trained,
 * then exported and verified by {@code digits export}, so it carries {@code export/manifest.json}). Other versions
 * are derived from it by {@link #derive}: a change to some weights is applied to {@code weights.safetensors} and to the
 * very same bytes inside {@code export/cnn.onnx} (the exporter stores every tensor as it is), and the card, the
 * file's {@code weights_sha256} metadata and the manifest (digests, and the expected probabilities, computed by ONNX
 * Runtime from the changed file) are rewritten to match — an export as {@code digits export} would have written it
 * for those weights, holding the float32 ONNX file only.
 *
 * <p>Images are the MNIST test set, read from the IDX files in {@code -Ddigits.data} (or {@code $DIGITS_DATA_DIR}).
 */
public final class TestModels {
    /** The float32 ONNX file of the embedded model's export, inside the model directory. */
    public static final String ONNX = "export/cnn.onnx";

    private static Path work;
    private static Path embedded;
    private static Path second;
    private static ImageSet mnistTest;

    private TestModels() {
    }

    /** Fails unless the class path carries the embedded model with its verified export. */
    public static synchronized void ensureEmbeddedModel() {
        if (!EmbeddedModel.available()) {
            throw new IllegalStateException("the class path carries no embedded model at " + EmbeddedModel.RESOURCE_DIR);
        }
        String manifest = EmbeddedModel.RESOURCE_DIR + "/" + ModelArtifact.EXPORT_DIR + "/" + ExportManifest.FILE;
        if (TestModels.class.getResource(manifest) == null) {
            throw new IllegalStateException("the embedded model has no " + manifest + "; export it again with "
                    + "`digits export` so that the server can verify what it serves");
        }
    }

    /** A directory holding a copy of the embedded model (every file), made once; do not change it. */
    public static synchronized Path embeddedModel() throws IOException {
        if (embedded == null) {
            ensureEmbeddedModel();
            embedded = Files.createDirectories(work().resolve("embedded"));
            EmbeddedModel.copyTo(embedded);
        }
        return embedded;
    }

    /**
     * A second cnn, different from the embedded one — its output layer scaled by 1.25, so it has other weights and
     * other (sharper) probabilities but classifies as well — as an exported model directory; made once, do not change
     * it.
     */
    public static synchronized Path secondModel() throws IOException {
        if (second == null) {
            Path dir = work().resolve("second");
            derive(dir, tensors -> {
                scale(tensors, "dense_2.weight", 1.25f);
                scale(tensors, "dense_2.bias", 1.25f);
                return tensors;
            });
            second = dir;
        }
        return second;
    }

    /**
     * Into {@code target}: the embedded model with its output layer zeroed — a network that answers 10% for every
     * class — consistently exported: it passes every integrity check and fails only on what it computes.
     */
    public static void untrainedCopy(Path target) throws IOException {
        derive(target, tensors -> {
            scale(tensors, "dense_2.weight", 0f);
            scale(tensors, "dense_2.bias", 0f);
            return tensors;
        });
    }

    /**
     * Into {@code target}: the embedded model with output classes {@code a} and {@code b} swapped (their rows of the
     * output layer exchanged), consistently exported, its card still claiming the embedded model's figures — a model
     * that is 80% right on digits and wrong on every {@code a} and {@code b}.
     */
    public static void swappedClassesCopy(Path target, int a, int b) throws IOException {
        derive(target, tensors -> {
            Tensor w = tensors.get("dense_2.weight");
            Tensor bias = tensors.get("dense_2.bias");
            int in = w.data().length / 10;
            float[] wd = w.data().clone();
            float[] bd = bias.data().clone();
            for (int k = 0; k < in; k++) {
                float t = wd[a * in + k];
                wd[a * in + k] = wd[b * in + k];
                wd[b * in + k] = t;
            }
            float t = bd[a];
            bd[a] = bd[b];
            bd[b] = t;
            tensors.put("dense_2.weight", new Tensor(w.shape(), wd));
            tensors.put("dense_2.bias", new Tensor(bias.shape(), bd));
            return tensors;
        });
    }

    private static void scale(Map<String, Tensor> tensors, String name, float factor) {
        Tensor t = tensors.get(name);
        if (t == null) throw new IllegalStateException("the embedded cnn has no tensor " + name + ": " + tensors.keySet());
        float[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) d[i] *= factor;
        tensors.put(name, new Tensor(t.shape(), d));
    }

    /**
     * Writes into {@code target} the embedded model with its weights changed by {@code change}, and an export of just
     * {@value #ONNX} that matches them (see the class comment).
     */
    public static void derive(Path target, UnaryOperator<Map<String, Tensor>> change) throws IOException {
        Path source = embeddedModel();
        for (String f : List.of(ModelArtifact.SPEC_FILE, ModelArtifact.CARD_FILE, "history.csv")) {
            if (Files.isRegularFile(source.resolve(f))) {
                Files.createDirectories(target);
                Files.copy(source.resolve(f), target.resolve(f));
            }
        }
        Map<String, Tensor> original = SafeTensors.read(source.resolve(ModelArtifact.WEIGHTS_FILE));
        Map<String, Tensor> changed = change.apply(new LinkedHashMap<>(original));
        SafeTensors.write(target.resolve(ModelArtifact.WEIGHTS_FILE), changed,
                SafeTensors.metadata(source.resolve(ModelArtifact.WEIGHTS_FILE)));
        String oldSha = Digests.sha256(source.resolve(ModelArtifact.WEIGHTS_FILE));
        String newSha = Digests.sha256(target.resolve(ModelArtifact.WEIGHTS_FILE));

        byte[] onnx = Files.readAllBytes(source.resolve(ONNX));
        for (Map.Entry<String, Tensor> e : changed.entrySet()) {
            Tensor before = original.get(e.getKey());
            if (before == null || Arrays.equals(before.data(), e.getValue().data())) continue;
            replaceOnce(onnx, littleEndian(before.data()), littleEndian(e.getValue().data()), e.getKey());
        }
        replaceOnce(onnx, oldSha.getBytes(StandardCharsets.US_ASCII), newSha.getBytes(StandardCharsets.US_ASCII),
                "weights_sha256 metadata");
        Path export = Files.createDirectories(target.resolve(ModelArtifact.EXPORT_DIR));
        Files.write(target.resolve(ONNX), onnx);

        Map<String, Object> card = Json.parseObject(Files.readString(target.resolve(ModelArtifact.CARD_FILE)));
        card.put("weightsSha256", newSha);
        Files.writeString(target.resolve(ModelArtifact.CARD_FILE), Json.writePretty(card) + "\n");

        ExportManifest manifest = ExportManifest.readIfPresent(source.resolve(ModelArtifact.EXPORT_DIR)).orElseThrow();
        ExportManifest.Entry entry = manifest.entry("onnx", "float32").orElseThrow();
        VerificationSample sample = manifest.sample(source.resolve(ModelArtifact.EXPORT_DIR));
        float[][] expected;
        try (OnnxReference ref = OnnxReference.open(onnx)) {
            expected = ref.predict(sample.pixels(), sample.size());
        }
        ExportManifest.Entry onlyOnnx = new ExportManifest.Entry(entry.path(), entry.format(), entry.quantization(),
                entry.inputLayout(), entry.inputType(),
                List.of(new ExportManifest.Part(entry.path(), Digests.sha256(onnx), onnx.length)), entry.verification());
        VerificationSample newSample = new VerificationSample(sample.height(), sample.width(), rawPixels(sample),
                labels(sample), expected);
        ExportManifest.write(export, new ExportManifest(manifest.model(), newSha, manifest.created(),
                manifest.verifiedOn(), List.of(onlyOnnx), newSample), newSample);
    }

    /**
     * Rewrites {@code modelDir}'s manifest so that its entry for {@code path} (inside export/) records the file's
     * current SHA-256 and size: what someone who swapped the file would also have to do.
     */
    public static void relist(Path modelDir, String path) throws IOException {
        Path export = modelDir.resolve(ModelArtifact.EXPORT_DIR);
        ExportManifest m = ExportManifest.readIfPresent(export).orElseThrow();
        Path file = export.resolve(path);
        List<ExportManifest.Entry> entries = new ArrayList<>();
        for (ExportManifest.Entry e : m.entries()) {
            List<ExportManifest.Part> parts = new ArrayList<>();
            for (ExportManifest.Part p : e.parts()) {
                parts.add(p.path().equals(path) ? new ExportManifest.Part(path, Digests.sha256(file), Files.size(file)) : p);
            }
            entries.add(new ExportManifest.Entry(e.path(), e.format(), e.quantization(), e.inputLayout(), e.inputType(),
                    parts, e.verification()));
        }
        VerificationSample sample = m.sample(export);
        ExportManifest.write(export, new ExportManifest(m.model(), m.weightsSha256(), m.created(), m.verifiedOn(), entries,
                sample), sample);
    }

    /**
     * {@code modelDir}'s {@value #ONNX} with its {@code weights_sha256} metadata changed from {@code recorded} to
     * {@code claimed} (same length, in place): a file passed off as another model's.
     */
    public static void forgeWeightsMetadata(Path modelDir, String recorded, String claimed) throws IOException {
        Path f = modelDir.resolve(ONNX);
        byte[] onnx = Files.readAllBytes(f);
        replaceOnce(onnx, recorded.getBytes(StandardCharsets.US_ASCII), claimed.getBytes(StandardCharsets.US_ASCII),
                "weights_sha256 metadata");
        Files.write(f, onnx);
    }

    /** The SHA-256 of a model directory's weights.safetensors. */
    public static String weightsSha256(Path modelDir) throws IOException {
        return Digests.sha256(modelDir.resolve(ModelArtifact.WEIGHTS_FILE));
    }

    private static byte[] rawPixels(VerificationSample s) {
        float[] px = s.pixels();
        byte[] out = new byte[px.length];
        for (int i = 0; i < px.length; i++) out[i] = (byte) Math.round(px[i] * 255f);
        return out;
    }

    private static int[] labels(VerificationSample s) {
        int[] out = new int[s.size()];
        for (int i = 0; i < out.length; i++) out[i] = s.label(i);
        return out;
    }

    private static byte[] littleEndian(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    /** Replaces the one occurrence of {@code from} in {@code bytes} by {@code to} (same length). */
    private static void replaceOnce(byte[] bytes, byte[] from, byte[] to, String what) {
        if (from.length != to.length) throw new IllegalArgumentException(what + ": lengths differ");
        int at = -1;
        for (int i = 0; i + from.length <= bytes.length; i++) {
            if (bytes[i] == from[0] && Arrays.equals(bytes, i, i + from.length, from, 0, from.length)) {
                if (at >= 0) throw new IllegalStateException(what + " occurs more than once in the ONNX file");
                at = i;
            }
        }
        if (at < 0) throw new IllegalStateException(what + " does not occur in the ONNX file");
        System.arraycopy(to, 0, bytes, at, to.length);
    }

    /** Copies the files a model directory is served from (no checkpoints or plots) into {@code target}. */
    public static void copyModel(Path source, Path target) throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(source)) {
            files = walk.filter(Files::isRegularFile).collect(Collectors.toList());
        }
        for (Path f : files) {
            String rel = source.relativize(f).toString();
            if (rel.startsWith("checkpoints") || rel.endsWith(".png")) continue;
            Path out = target.resolve(rel);
            Files.createDirectories(out.getParent());
            Files.copy(f, out);
        }
    }

    /** A zip of a model directory's served files, at the top level of the archive. */
    public static byte[] zip(Path modelDir) throws IOException {
        return zip(modelDir, "");
    }

    /** A zip of a model directory's served files, each named {@code prefix + its path}. */
    public static byte[] zip(Path modelDir, String prefix) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, Path> f : servedFiles(modelDir).entrySet()) {
                zip.putNextEntry(new ZipEntry(prefix + f.getKey()));
                zip.write(Files.readAllBytes(f.getValue()));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A model directory's files but checkpoints and plots, by their {@code /}-separated path inside it. */
    public static Map<String, Path> servedFiles(Path modelDir) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(modelDir)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        for (Path f : files) {
            String rel = modelDir.relativize(f).toString().replace('\\', '/');
            if (rel.startsWith("checkpoints") || rel.endsWith(".png")) continue;
            out.put(rel, f);
        }
        return out;
    }

    /** The MNIST test images, read once from the IDX files. */
    public static synchronized ImageSet mnistTest() {
        if (mnistTest == null) {
            try {
                Path dir = mnistDirectory();
                IdxFile images = IdxFile.read(IdxFile.find(dir, "t10k-images-idx3-ubyte"), IdxFile.IMAGES_MAGIC);
                IdxFile labels = IdxFile.read(IdxFile.find(dir, "t10k-labels-idx1-ubyte"), IdxFile.LABELS_MAGIC);
                int n = images.count();
                if (labels.count() != n) throw new IllegalStateException("MNIST test images and labels differ in number");
                int[] l = new int[n];
                for (int i = 0; i < n; i++) l[i] = labels.data()[i] & 0xff;
                mnistTest = new ImageSet(images.dims()[1], images.dims()[2], images.data(), l, ImageSet.digitClasses());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return mnistTest;
    }

    /** The directory holding the MNIST files the tests read. */
    public static Path mnistDirectory() {
        String dir = System.getProperty("digits.data");
        if (dir == null || dir.isBlank() || dir.startsWith("${")) dir = System.getenv("DIGITS_DATA_DIR");
        Path p = dir == null || dir.isBlank() ? Path.of("..", "..", "shared", "data", "mnist") : Path.of(dir);
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("no MNIST directory at " + p.toAbsolutePath() + "; run the tests with "
                    + "-Ddigits.data=DIR (the directory holding t10k-images-idx3-ubyte.gz, …)");
        }
        return p;
    }


    /** MNIST test image {@code i} as an 8-bit grey image, white digit on black. */
    public static BufferedImage mnistImage(int i) {
        ImageSet test = mnistTest();
        BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) img.getRaster().setSample(x, y, 0, test.pixel(i, y, x));
        }
        return img;
    }

    /** An image encoded as {@code format} ("png", "jpeg", "gif", "bmp"). */
    public static byte[] encode(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) throw new IllegalArgumentException("no ImageIO writer for " + format);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** MNIST test image {@code i} as a PNG file. */
    public static byte[] mnistPng(int i) {
        return encode(mnistImage(i), "png");
    }

    /** A blank (all white) PNG. */
    public static byte[] blankPng(int side) {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < side; y++) for (int x = 0; x < side; x++) img.setRGB(x, y, 0xFFFFFF);
        return encode(img, "png");
    }

    /** MNIST test image {@code i} as 784 values in [0,1]. */
    public static float[] mnistPixels(int i) {
        return mnistTest().image(i);
    }

    /** The label of MNIST test image {@code i}. */
    public static int mnistLabel(int i) {
        return mnistTest().label(i);
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        }
    }

    private static Path work() throws IOException {
        if (work == null) {
            Path w = Files.createTempDirectory("digits-serve-models-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    deleteTree(w);
                } catch (IOException e) {
                    // The JVM is exiting; a leftover temporary directory is harmless.
                }
            }));
            work = w;
        }
        return work;
    }
}
