package dev.digits.convert.onnx;

import dev.digits.convert.PerChannelInt8;

/**
 * Dynamic-range quantization in its weight-only form: convolution and dense weights stored as int8 with one scale per
 * output channel and turned back into float32 by {@code DequantizeLinear} nodes when the model loads; biases,
 * batch-norm statistics and all activations stay float32. The file shrinks about fourfold; the arithmetic is float.
 */
final class WeightOnlyInt8Encoding extends Float32Encoding {
    @Override
    public WeightAndBias weightAndBias(OnnxGraphBuilder g, String layer, long[] dims, float[] weight, float[] bias, String input) {
        String w = g.dequantized(layer + ".weight", dims, PerChannelInt8.quantize(weight, (int) dims[0]));
        return new WeightAndBias(w, g.floats(layer + ".bias", new long[] {bias.length}, bias));
    }
}
