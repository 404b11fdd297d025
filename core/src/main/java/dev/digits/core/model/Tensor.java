package dev.digits.core.model;

import java.util.Arrays;

/**
 * A named block of float weights in PyTorch layout: dense {@code [out, in]}, convolution {@code [out, in, kh, kw]},
 * vectors {@code [n]}. Exporters permute from this layout to their formats'.
 */
public final class Tensor {
    private final long[] shape;
    private final float[] data;

    public Tensor(long[] shape, float[] data) {
        long n = 1;
        for (long d : shape) n *= d;
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " needs " + n + " values, got " + data.length);
        }
        this.shape = shape.clone();
        this.data = data;
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Dimension {@code i}. */
    public int dim(int i) {
        return (int) shape[i];
    }

    /** The values, row-major; not copied. */
    public float[] data() {
        return data;
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
