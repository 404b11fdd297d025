package dev.digits.core.model;

import java.util.Arrays;

/**
 * The shape of one example as it flows through a network: either an image ({@code channels × height × width}) or a
 * flat vector of {@code size} features. Batch size is never part of it.
 */
public final class Shape {
    private final int channels;
    private final int height;
    private final int width;
    private final boolean flat;

    private Shape(int channels, int height, int width, boolean flat) {
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.flat = flat;
    }

    /** An image shape. */
    public static Shape image(int channels, int height, int width) {
        return new Shape(channels, height, width, false);
    }

    /** A flat feature vector. */
    public static Shape flat(int size) {
        return new Shape(size, 1, 1, true);
    }

    public boolean isFlat() {
        return flat;
    }

    public int channels() {
        return channels;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /** Number of values in one example. */
    public int size() {
        return channels * height * width;
    }

    /** The PyTorch (NCHW) shape without the batch dimension: {@code [c,h,w]} or {@code [n]}. */
    public long[] chw() {
        return flat ? new long[] {channels} : new long[] {channels, height, width};
    }

    /** The Keras/TFLite (NHWC) shape without the batch dimension: {@code [h,w,c]} or {@code [n]}. */
    public int[] hwc() {
        return flat ? new int[] {channels} : new int[] {height, width, channels};
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Shape)) return false;
        Shape s = (Shape) o;
        return s.flat == flat && s.channels == channels && s.height == height && s.width == width;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new int[] {channels, height, width, flat ? 1 : 0});
    }

    /** Keras-style text: {@code (28, 28, 1)} or {@code (128)}. */
    @Override
    public String toString() {
        return flat ? "(" + channels + ")" : "(" + height + ", " + width + ", " + channels + ")";
    }
}
