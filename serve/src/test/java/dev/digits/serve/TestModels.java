package dev.digits.serve;

import dev.digits.core.json.Json;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Tensor;
import dev.digits.serve.registry.EmbeddedModel;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.ImageSet;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Real models and images for the server's tests: briefly trained CNNs (one real epoch on a slice of MNIST) and
 * MNIST test images encoded as image files.
 *
 * <p>Until a trained model is packaged in the jar, {@link #ensureEmbeddedModel()} trains one into the test class
 * path at {@value EmbeddedModel#RESOURCE_DIR}, so that the server's start-up path that copies the embedded model is
 * exercised for real. Once the packaged model exists it is used as it is.
 */
public final class TestModels {
    private static Path second;

    private TestModels() {
    }

    /** Makes sure the class path carries an embedded model, training one into target/test-classes if needed. */
    public static synchronized void ensureEmbeddedModel() throws IOException {
        if (EmbeddedModel.available()) return;
        Path testClasses;
        try {
            testClasses = Path.of(TestModels.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Path target = testClasses.resolve(EmbeddedModel.RESOURCE_DIR.substring(1));
        Path work = Files.createTempDirectory("digits-embedded-");
        try (TrainedModel ignored = QuickModels.train("cnn", 3000, work.resolve("cnn"))) {
            copyModel(work.resolve("cnn"), target);
        } finally {
            deleteTree(work);
        }
        if (!EmbeddedModel.available()) throw new IllegalStateException("the class path does not see " + target);
    }

    /** A second trained cnn, different from the embedded one (other images), as a model directory; trained once. */
    public static synchronized Path secondModel() throws IOException {
        if (second == null) {
            Path work = Files.createTempDirectory("digits-second-");
            try (TrainedModel ignored = QuickModels.train("cnn", 2000, work.resolve("cnn"))) {
                second = work.resolve("cnn");
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    deleteTree(work);
                } catch (IOException e) {
                    // The JVM is exiting; a leftover temporary directory is harmless.
                }
            }));
        }
        return second;
    }

    /**
     * A copy of {@code source} whose weights are all zero (a network that answers 10% for every class) and whose
     * model card no longer records the weights' digest: a model that loads but is useless.
     */
    public static void untrainedCopy(Path source, Path target) throws IOException {
        copyModel(source, target);
        Path weights = target.resolve(TrainedModel.WEIGHTS_FILE);
        Map<String, Tensor> zero = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : SafeTensors.read(weights).entrySet()) {
            zero.put(e.getKey(), new Tensor(e.getValue().shape(), new float[e.getValue().data().length]));
        }
        SafeTensors.write(weights, zero, Map.of());
        Path card = target.resolve(TrainedModel.CARD_FILE);
        Map<String, Object> json = Json.parseObject(Files.readString(card));
        json.remove("weightsSha256");
        Files.writeString(card, Json.writePretty(json));
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
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<Path> files;
        try (Stream<Path> walk = Files.walk(modelDir)) {
            files = walk.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
        }
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Path f : files) {
                String rel = modelDir.relativize(f).toString().replace('\\', '/');
                if (rel.startsWith("checkpoints") || rel.endsWith(".png")) continue;
                zip.putNextEntry(new ZipEntry(rel));
                zip.write(Files.readAllBytes(f));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** The MNIST test images. */
    public static ImageSet mnistTest() {
        try {
            return TestData.mnist().test();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    /** MNIST test image {@code i} encoded as {@code format} ("png", "jpeg", "gif", "bmp"). */
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
}
