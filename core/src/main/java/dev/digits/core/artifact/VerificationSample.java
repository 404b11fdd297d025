package dev.digits.core.artifact;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Held-out images with their labels and the probabilities the trained weights give them, stored with every export
 * so that whoever receives the artifact — a server, an app — can check that the file it is about to run computes
 * what was verified, on the model's own kind of images, without the dataset or the training engine.
 *
 * <p>The images are one IDX file ({@code export/verification-images.idx}: magic {@code 0x00000803}, unsigned bytes,
 * count × height × width, as MNIST's files); labels and expected probabilities live in the {@link ExportManifest}.
 */
public final class VerificationSample {
    /** The images' file name inside the export directory. */
    public static final String FILE = "verification-images.idx";
    private static final int MAGIC = 0x00000803;

    private final int height;
    private final int width;
    private final byte[] pixels;
    private final int[] labels;
    private final float[][] expected;

    /**
     * @param pixels   {@code labels.length × height × width} unsigned bytes (0–255), row-major
     * @param labels   each image's class index
     * @param expected each image's probabilities from the trained weights
     */
    public VerificationSample(int height, int width, byte[] pixels, int[] labels, float[][] expected) {
        if ((long) labels.length * height * width != pixels.length || expected.length != labels.length) {
            throw new InvalidInputException("verification sample: " + labels.length + " labels, " + expected.length
                    + " expected rows and " + pixels.length + " pixel bytes of " + height + "×" + width + " do not belong together");
        }
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels.clone();
        this.expected = new float[expected.length][];
        for (int i = 0; i < expected.length; i++) this.expected[i] = expected[i].clone();
    }

    public int size() {
        return labels.length;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Class index of image {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** The trained weights' probabilities for image {@code i} (a copy). */
    public float[] expected(int i) {
        return expected[i].clone();
    }

    /** Every image scaled to [0,1] ({@code x / 255}), one after another. */
    public float[] pixels() {
        float[] out = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) out[i] = (pixels[i] & 0xff) / 255f;
        return out;
    }

    int[] labels() {
        return labels.clone();
    }

    float[][] expectedRows() {
        return expected;
    }

    /** The images' IDX bytes. */
    byte[] idx() {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(MAGIC).putInt(labels.length).putInt(height).putInt(width).put(pixels);
        return b.array();
    }

    /** Writes the images atomically to {@code file}. */
    void writeImages(Path file) throws IOException {
        AtomicFiles.write(file, idx());
    }

    /** Reads the images of {@code file} and pairs them with the manifest's labels and expected probabilities. */
    static VerificationSample read(Path file, int[] labels, float[][] expected) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new InvalidInputException("the export has no " + FILE + "; export the model again with `digits export`");
        }
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file));
        if (b.remaining() < 16 || b.getInt() != MAGIC) throw new InvalidInputException(file.getFileName() + " is not an IDX image file");
        int n = b.getInt();
        int h = b.getInt();
        int w = b.getInt();
        if (n != labels.length || h < 1 || w < 1 || (long) n * h * w != b.remaining()) {
            throw new InvalidInputException(file.getFileName() + " holds " + n + " images of " + h + "×" + w + " in "
                    + b.remaining() + " bytes; the manifest lists " + labels.length);
        }
        byte[] px = Arrays.copyOfRange(b.array(), 16, b.capacity());
        return new VerificationSample(h, w, px, labels, expected);
    }
}
