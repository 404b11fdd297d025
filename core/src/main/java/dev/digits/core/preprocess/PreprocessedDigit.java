package dev.digits.core.preprocess;

import java.util.Arrays;

/**
 * A digit in MNIST form, or the verdict that an image holds none.
 *
 * <p>When {@link #found()} is true, {@link #pixels()} holds 28&times;28 intensities in [0, 1], row-major, white digit
 * on black, the digit's longer side about 20 pixels and its centre of mass at the frame's centre, as in MNIST. When
 * it is false the pixels are all zero: callers must check {@code found()} rather than classify a blank frame, which a
 * network would happily label anyway.
 *
 * <p>Instances are immutable; {@link #pixels()} returns a copy.
 */
public final class PreprocessedDigit {
    /** Side of the MNIST frame. */
    public static final int SIZE = 28;
    /** Number of values in {@link #pixels()}. */
    public static final int PIXELS = SIZE * SIZE;

    // Darkest to brightest; ten steps so that a value v maps to index floor(10 v).
    private static final String RAMP = " .:-=+*#%@";

    private final boolean found;
    private final float[] pixels;
    private final int cropX;
    private final int cropY;
    private final int cropWidth;
    private final int cropHeight;
    private final boolean inverted;

    /** Takes ownership of {@code pixels}: callers inside this package hand over a fresh array. */
    PreprocessedDigit(boolean found, float[] pixels, int cropX, int cropY, int cropWidth, int cropHeight,
                      boolean inverted) {
        this.found = found;
        this.pixels = pixels;
        this.cropX = cropX;
        this.cropY = cropY;
        this.cropWidth = cropWidth;
        this.cropHeight = cropHeight;
        this.inverted = inverted;
    }

    static PreprocessedDigit notFound(boolean inverted) {
        return new PreprocessedDigit(false, new float[PIXELS], 0, 0, 0, 0, inverted);
    }

    /**
     * Wraps an image that is already in MNIST form (for instance one image of an MNIST IDX file) without running the
     * preprocessing again: re-cropping and re-centring an MNIST image would shift it slightly and make training and
     * inference data differ. Each value becomes {@code (byte & 0xFF) / 255}. The image counts as found when any pixel
     * is non-zero; the crop box is the bounding box of the non-zero pixels.
     *
     * @param data   unsigned 8-bit grey levels, 0 = background
     * @param offset index of the image's first pixel in {@code data}
     */
    public static PreprocessedDigit fromMnist(byte[] data, int offset) {
        if (data == null) {
            throw new IllegalArgumentException("data is null");
        }
        if (offset < 0 || offset > data.length - PIXELS) {
            throw new IllegalArgumentException("need " + PIXELS + " bytes from offset " + offset + ", array holds "
                    + data.length);
        }
        float[] out = new float[PIXELS];
        int minX = SIZE;
        int minY = SIZE;
        int maxX = -1;
        int maxY = -1;
        for (int i = 0; i < PIXELS; i++) {
            int v = data[offset + i] & 0xFF;
            if (v != 0) {
                int x = i % SIZE;
                int y = i / SIZE;
                minX = Math.min(minX, x);
                maxX = Math.max(maxX, x);
                minY = Math.min(minY, y);
                maxY = Math.max(maxY, y);
                out[i] = (float) (v / 255.0);
            }
        }
        if (maxX < 0) {
            return notFound(false);
        }
        return new PreprocessedDigit(true, out, minX, minY, maxX - minX + 1, maxY - minY + 1, false);
    }

    /** Wraps the first 784 bytes of {@code data}; see {@link #fromMnist(byte[], int)}. */
    public static PreprocessedDigit fromMnist(byte[] data) {
        return fromMnist(data, 0);
    }

    /** Whether the image held a digit; when false, {@link #pixels()} is all zeros and must not be classified. */
    public boolean found() {
        return found;
    }

    /** A copy of the 784 intensities in [0, 1], row-major, white digit on black. */
    public float[] pixels() {
        return pixels.clone();
    }

    /**
     * Copies the 784 intensities into {@code dst} at {@code offset}, so that a server can fill a batch tensor
     * without an intermediate array.
     */
    public void copyPixelsTo(float[] dst, int offset) {
        System.arraycopy(pixels, 0, dst, offset, PIXELS);
    }

    /** The intensity at column {@code x}, row {@code y} of the 28&times;28 frame. */
    public float pixel(int x, int y) {
        if (x < 0 || x >= SIZE || y < 0 || y >= SIZE) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ") is outside the 28x28 frame");
        }
        return pixels[y * SIZE + x];
    }

    /** Left edge of the ink's crop box in the input image, in input pixels (0 when nothing was found). */
    public int cropX() {
        return cropX;
    }

    /** Top edge of the ink's crop box in the input image (0 when nothing was found). */
    public int cropY() {
        return cropY;
    }

    /** Width of the crop box in input pixels (0 when nothing was found). */
    public int cropWidth() {
        return cropWidth;
    }

    /** Height of the crop box in input pixels (0 when nothing was found). */
    public int cropHeight() {
        return cropHeight;
    }

    /** Whether the input was judged to be dark ink on a light background and therefore inverted. */
    public boolean inverted() {
        return inverted;
    }

    /**
     * The frame as 28 lines of 28 characters, from {@code ' '} (0) to {@code '@'} (1), for logs and test failures.
     */
    public String toAsciiArt() {
        StringBuilder sb = new StringBuilder(SIZE * (SIZE + 1));
        for (int y = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int level = (int) (pixels[y * SIZE + x] * 10f);
                sb.append(RAMP.charAt(Math.max(0, Math.min(RAMP.length() - 1, level))));
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PreprocessedDigit)) {
            return false;
        }
        PreprocessedDigit that = (PreprocessedDigit) o;
        return found == that.found && inverted == that.inverted && cropX == that.cropX && cropY == that.cropY
                && cropWidth == that.cropWidth && cropHeight == that.cropHeight && Arrays.equals(pixels, that.pixels);
    }

    @Override
    public int hashCode() {
        int h = Arrays.hashCode(pixels);
        h = 31 * h + (found ? 1 : 0);
        h = 31 * h + (inverted ? 1 : 0);
        h = 31 * h + cropX;
        h = 31 * h + cropY;
        h = 31 * h + cropWidth;
        return 31 * h + cropHeight;
    }

    @Override
    public String toString() {
        if (!found) {
            return "PreprocessedDigit[no digit found" + (inverted ? ", inverted" : "") + "]";
        }
        return "PreprocessedDigit[crop " + cropWidth + "x" + cropHeight + " at (" + cropX + ", " + cropY + ")"
                + (inverted ? ", inverted" : "") + "]\n" + toAsciiArt();
    }
}
