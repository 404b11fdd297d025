package dev.digits.convert.onnx;

/**
 * A weight tensor quantized symmetrically per output channel (axis 0): {@code w ≈ scale[c] × q}, {@code q} in
 * [-127, 127], zero point 0 — the scheme ONNX Runtime's integer convolution and matrix kernels expect for weights.
 */
final class PerChannelInt8 {
    final byte[] values;
    final float[] scales;

    private PerChannelInt8(byte[] values, float[] scales) {
        this.values = values;
        this.scales = scales;
    }

    static PerChannelInt8 quantize(long[] dims, float[] weight) {
        int channels = (int) dims[0];
        int per = weight.length / channels;
        byte[] q = new byte[weight.length];
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            float max = 0;
            for (int i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(weight[i]));
            // An all-zero channel still needs a positive scale: any will do, every q is 0.
            float scale = max > 0 ? max / 127f : 1f;
            scales[c] = scale;
            for (int i = c * per; i < (c + 1) * per; i++) {
                q[i] = (byte) Math.max(-127, Math.min(127, Math.round(weight[i] / scale)));
            }
        }
        return new PerChannelInt8(q, scales);
    }

    /** Stores the int8 values with their scales and returns the DequantizeLinear output (float32). */
    String dequantized(OnnxGraphBuilder g, String name, long[] dims) {
        String stored = g.int8s(name + "/int8", dims, values);
        String scale = g.floats(name + "/scale", new long[] {scales.length}, scales);
        String zero = g.int8s(name + "/zero_point", new long[] {scales.length}, new byte[scales.length]);
        return g.node("DequantizeLinear", name, java.util.List.of(stored, scale, zero), OnnxGraphBuilder.integer("axis", 0));
    }
}
