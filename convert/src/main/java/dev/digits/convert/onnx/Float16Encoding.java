package dev.digits.convert.onnx;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.digits.convert.HalfPrecision;

import java.util.List;

/**
 * Every parameter stored as IEEE float16 (half the file) and cast back to float32 when the model is loaded, so the
 * arithmetic stays float32 and runs on every ONNX Runtime backend, CPU included. Only storage loses precision.
 */
final class Float16Encoding implements ParameterEncoding {
    @Override
    public WeightAndBias weightAndBias(OnnxGraphBuilder g, String layer, long[] dims, float[] weight, float[] bias, String input) {
        return new WeightAndBias(half(g, layer + ".weight", dims, weight), half(g, layer + ".bias", new long[] {bias.length}, bias));
    }

    @Override
    public String vector(OnnxGraphBuilder g, String hint, float[] values) {
        return half(g, hint, new long[] {values.length}, values);
    }

    private static String half(OnnxGraphBuilder g, String name, long[] dims, float[] values) {
        short[] bits = new short[values.length];
        for (int i = 0; i < values.length; i++) bits[i] = HalfPrecision.fromFloat(values[i]);
        String stored = g.halves(name + "/float16", dims, bits);
        return g.node("Cast", name, List.of(stored), OnnxGraphBuilder.integer("to", DataType.FLOAT_VALUE));
    }
}
