package dev.digits.convert.tflite;

import dev.digits.convert.PerChannelInt8;

/**
 * Symmetric int8 weight quantization as TFLite's quantization spec asks for weights: zero point 0, values in
 * [−127, 127], one scale per output channel (dimension 0) or one for the whole tensor.
 */
final class SymmetricInt8 {
    private SymmetricInt8() {
    }

    /** Quantizes the float32 constant {@code t} in place, one scale per slice of its first dimension. */
    static void perChannel(GraphTensor t) {
        quantize(t, t.dim(0));
    }

    /** Quantizes the float32 constant {@code t} in place with one scale. */
    static void perTensor(GraphTensor t) {
        quantize(t, 1);
    }

    private static void quantize(GraphTensor t, int channels) {
        PerChannelInt8 q = PerChannelInt8.quantize(t.floats(), channels);
        t.replaceData(GraphTensor.Type.INT8, q.values(), null, new QuantParams(q.scales().clone(), new long[channels], 0));
    }
}
