package dev.digits.convert.tflite;

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
        float[] w = t.floats();
        int per = w.length / channels;
        float[] scales = new float[channels];
        long[] zeros = new long[channels];
        byte[] q = new byte[w.length];
        for (int c = 0; c < channels; c++) {
            float max = 0;
            for (int i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(w[i]));
            // An all-zero channel quantizes to zeros under any scale; 1 keeps the kernels' arithmetic finite.
            float scale = max > 0 ? max / 127f : 1f;
            scales[c] = scale;
            for (int i = c * per; i < (c + 1) * per; i++) {
                q[i] = (byte) Math.max(-127, Math.min(127, Math.round(w[i] / scale)));
            }
        }
        t.replaceData(GraphTensor.Type.INT8, q, null, new QuantParams(scales, zeros, 0));
    }
}
