package dev.digits.convert.tflite;

import org.tensorflow.lite.schema.TensorType;

import java.util.Arrays;

/**
 * One tensor of a graph about to be written: an activation (computed at run time) or a constant with its data.
 * Activation shapes carry a batch dimension of 1; the runtime resizes it.
 */
final class GraphTensor {
    /** Element types this exporter writes. */
    enum Type {
        FLOAT32(TensorType.FLOAT32),
        FLOAT16(TensorType.FLOAT16),
        INT32(TensorType.INT32),
        UINT8(TensorType.UINT8),
        INT8(TensorType.INT8);

        final byte code;

        Type(byte code) {
            this.code = code;
        }
    }

    private String name;
    private final int[] shape;
    private Type type;
    private float[] floats;
    private int[] ints;
    private byte[] raw;
    private QuantParams quant;

    private GraphTensor(String name, int[] shape, Type type) {
        this.name = name;
        this.shape = shape.clone();
        this.type = type;
    }

    static GraphTensor activation(String name, int[] shape) {
        return new GraphTensor(name, shape, Type.FLOAT32);
    }

    static GraphTensor floatConstant(String name, int[] shape, float[] values) {
        checkSize(name, shape, values.length);
        GraphTensor t = new GraphTensor(name, shape, Type.FLOAT32);
        t.floats = values;
        return t;
    }

    static GraphTensor intConstant(String name, int[] shape, int[] values) {
        checkSize(name, shape, values.length);
        GraphTensor t = new GraphTensor(name, shape, Type.INT32);
        t.ints = values;
        return t;
    }

    private static void checkSize(String name, int[] shape, int n) {
        long size = 1;
        for (int d : shape) size *= d;
        if (size != n) throw new IllegalStateException(name + ": shape " + Arrays.toString(shape) + " but " + n + " values");
    }

    String name() {
        return name;
    }

    void rename(String n) {
        this.name = n;
    }

    int[] shape() {
        return shape.clone();
    }

    int dim(int i) {
        return shape[i];
    }

    int rank() {
        return shape.length;
    }

    /** Number of elements. */
    int size() {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    Type type() {
        return type;
    }

    /** Changes the element type of an activation (quantization); constants change with {@link #replaceData}. */
    void retype(Type t) {
        if (isConstant()) throw new IllegalStateException(name + " is a constant");
        this.type = t;
    }

    boolean isConstant() {
        return floats != null || ints != null || raw != null;
    }

    /** The float values of a float32 constant. */
    float[] floats() {
        if (floats == null) throw new IllegalStateException(name + " holds no float values");
        return floats;
    }

    /** The values of an int32 constant. */
    int[] ints() {
        if (ints == null) throw new IllegalStateException(name + " holds no int32 values");
        return ints;
    }

    /** Stores the constant in another type: int8/uint8/float16 as raw bytes, int32 as values. */
    void replaceData(Type t, byte[] rawBytes, int[] intValues, QuantParams q) {
        this.type = t;
        this.floats = null;
        this.raw = rawBytes;
        this.ints = intValues;
        this.quant = q;
    }

    QuantParams quant() {
        return quant;
    }

    void quantize(QuantParams q) {
        this.quant = q;
    }

    /** The constant's bytes as TFLite stores them (little endian). */
    byte[] encode() {
        if (raw != null) return raw;
        java.nio.ByteBuffer b;
        if (floats != null) {
            b = java.nio.ByteBuffer.allocate(floats.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(floats);
        } else if (ints != null) {
            b = java.nio.ByteBuffer.allocate(ints.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.asIntBuffer().put(ints);
        } else {
            throw new IllegalStateException(name + " is not a constant");
        }
        return b.array();
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + type;
    }
}
