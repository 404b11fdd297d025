package dev.digits.core.data;

import dev.digits.core.error.InvalidInputException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Labelled grayscale images, held as unsigned bytes (0–255) the way MNIST stores them; scaled to [0,1]
 * ({@code x / 255}) only when a batch is made. Immutable.
 */
public final class ImageSet {
    private final int count;
    private final int height;
    private final int width;
    private final byte[] pixels;
    private final int[] labels;
    private final List<String> classNames;

    /**
     * @param pixels     {@code count × height × width} unsigned bytes, row-major
     * @param labels     one class index per image, in {@code [0, classNames.size())}
     * @param classNames the name of each class ("0".."9" for digits)
     */
    public ImageSet(int height, int width, byte[] pixels, int[] labels, List<String> classNames) {
        if ((long) labels.length * height * width != pixels.length) {
            throw new InvalidInputException(labels.length + " labels but " + pixels.length / Math.max(1, height * width)
                    + " images of " + height + "×" + width + ": images and labels do not belong together");
        }
        for (int l : labels) {
            if (l < 0 || l >= classNames.size()) {
                throw new InvalidInputException("label " + l + " is outside the " + classNames.size() + " classes " + classNames);
            }
        }
        this.count = labels.length;
        this.height = height;
        this.width = width;
        this.pixels = pixels;
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
    }

    /** The ten digit class names "0".."9". */
    public static List<String> digitClasses() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10; i++) names.add(Integer.toString(i));
        return Collections.unmodifiableList(names);
    }

    public int size() {
        return count;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    public List<String> classNames() {
        return classNames;
    }

    public int label(int i) {
        return labels[i];
    }

    /** Pixel {@code (y, x)} of image {@code i}, 0–255. */
    public int pixel(int i, int y, int x) {
        return pixels[(i * height + y) * width + x] & 0xff;
    }

    /** Copies image {@code i} scaled to [0,1] into {@code out} at {@code offset}. */
    public void copyScaled(int i, float[] out, int offset) {
        int n = height * width;
        int base = i * n;
        for (int p = 0; p < n; p++) out[offset + p] = (pixels[base + p] & 0xff) / 255f;
    }

    /** Image {@code i} scaled to [0,1]. */
    public float[] image(int i) {
        float[] out = new float[height * width];
        copyScaled(i, out, 0);
        return out;
    }

    /** The raw bytes of image {@code i}; a copy. */
    public byte[] rawImage(int i) {
        byte[] out = new byte[height * width];
        System.arraycopy(pixels, i * height * width, out, 0, out.length);
        return out;
    }

    /** The first {@code n} images (all when {@code n >= size()}). */
    public ImageSet head(int n) {
        if (n >= count) return this;
        return subset(range(0, n));
    }

    /** The images at {@code indices}, in that order. */
    public ImageSet subset(int[] indices) {
        int n = height * width;
        byte[] px = new byte[indices.length * n];
        int[] lb = new int[indices.length];
        for (int j = 0; j < indices.length; j++) {
            System.arraycopy(pixels, indices[j] * n, px, j * n, n);
            lb[j] = labels[indices[j]];
        }
        return new ImageSet(height, width, px, lb, classNames);
    }

    /**
     * These images followed by {@code more}'s, which must have the same size and classes.
     *
     * @throws InvalidInputException when they do not
     */
    public ImageSet append(ImageSet more) {
        if (more.height != height || more.width != width || !more.classNames.equals(classNames)) {
            throw new InvalidInputException("cannot append " + more.height + "×" + more.width + " images of classes "
                    + more.classNames + " to " + height + "×" + width + " images of classes " + classNames);
        }
        byte[] px = java.util.Arrays.copyOf(pixels, pixels.length + more.pixels.length);
        System.arraycopy(more.pixels, 0, px, pixels.length, more.pixels.length);
        int[] lb = java.util.Arrays.copyOf(labels, count + more.count);
        System.arraycopy(more.labels, 0, lb, count, more.count);
        return new ImageSet(height, width, px, lb, classNames);
    }

    /** Images per class. */
    public int[] classCounts() {
        int[] c = new int[classNames.size()];
        for (int l : labels) c[l]++;
        return c;
    }

    /** {@code from, from+1, …, to-1}. */
    public static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) r[i] = from + i;
        return r;
    }
}
