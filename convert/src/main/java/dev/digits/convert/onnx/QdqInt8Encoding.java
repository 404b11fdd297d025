package dev.digits.convert.onnx;

import dev.digits.convert.PerChannelInt8;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Full-integer quantization in ONNX's QDQ form: int8 weights (per output channel), int32 biases, and every
 * activation passed through a QuantizeLinear/DequantizeLinear pair whose scale and zero point come from the
 * activation's range on representative images. ONNX Runtime fuses the pairs with the operators between them into
 * integer kernels (QLinearConv, QLinearMatMul, …); the network's input is quantized with the exact [0,1] → int8 grid
 * and its output is float32 probabilities.
 */
final class QdqInt8Encoding extends Float32Encoding {
    private final Map<String, float[]> ranges;
    private final Map<String, Float> scales = new HashMap<>();

    /** @param ranges activation name → {min, max} on the representative images (see {@link CalibrationTaps}) */
    QdqInt8Encoding(Map<String, float[]> ranges) {
        this.ranges = ranges;
    }

    @Override
    public WeightAndBias weightAndBias(OnnxGraphBuilder g, String layer, long[] dims, float[] weight, float[] bias, String input) {
        PerChannelInt8 w = PerChannelInt8.quantize(weight, (int) dims[0]);
        String weightValue = g.dequantizedUnsigned(layer + ".weight", dims, w);
        float[] weightScales = w.scales();
        Float inputScale = scales.get(input);
        if (inputScale == null) throw new IllegalStateException("activation " + input + " was not quantized before " + layer);
        // The bias joins the int32 accumulator, whose unit is input scale × weight scale.
        int[] q = new int[bias.length];
        float[] biasScales = new float[bias.length];
        for (int c = 0; c < bias.length; c++) {
            biasScales[c] = inputScale * weightScales[c];
            q[c] = (int) Math.max(Integer.MIN_VALUE + 1, Math.min(Integer.MAX_VALUE, Math.round((double) bias[c] / biasScales[c])));
        }
        String stored = g.int32s(layer + ".bias/int32", new long[] {bias.length}, q);
        String scale = g.floats(layer + ".bias/scale", new long[] {bias.length}, biasScales);
        String zero = g.int32s(layer + ".bias/zero_point", new long[] {bias.length}, new int[bias.length]);
        String biasValue = g.node("DequantizeLinear", layer + ".bias", List.of(stored, scale, zero), OnnxGraphBuilder.integer("axis", 0));
        return new WeightAndBias(weightValue, biasValue);
    }

    @Override
    public String input(OnnxGraphBuilder g, String value) {
        return quantizeDequantize(g, value, 0f, 1f);
    }

    @Override
    public String activation(OnnxGraphBuilder g, String value) {
        float[] range = ranges.get(value);
        if (range == null) throw new IllegalStateException("no calibrated range for activation " + value);
        return quantizeDequantize(g, value, range[0], range[1]);
    }

    private String quantizeDequantize(OnnxGraphBuilder g, String value, float min, float max) {
        // The grid must contain 0 exactly (zero padding, ReLU) so the range always spans it.
        float lo = Math.min(0f, min);
        float hi = Math.max(0f, max);
        float scale = hi - lo > 0 ? (hi - lo) / 255f : 1f;
        int zeroPoint = (int) Math.max(0, Math.min(255, Math.round(-lo / scale)));
        String s = g.scalar(value + "/scale", scale);
        String z = g.uint8s(value + "/zero_point", new long[0], new byte[] {(byte) zeroPoint});
        String q = g.node("QuantizeLinear", value + "/quantize", List.of(value, s, z));
        String dq = g.node("DequantizeLinear", value + "/dequantize", List.of(q, s, z));
        scales.put(dq, scale);
        return dq;
    }
}
