package dev.digits.convert.onnx;

/** Every parameter stored as float32: the reference encoding, exact to the trained model. */
class Float32Encoding implements ParameterEncoding {
    @Override
    public WeightAndBias weightAndBias(OnnxGraphBuilder g, String layer, long[] dims, float[] weight, float[] bias, String input) {
        return new WeightAndBias(g.floats(layer + ".weight", dims, weight), g.floats(layer + ".bias", new long[] {bias.length}, bias));
    }

    @Override
    public String vector(OnnxGraphBuilder g, String hint, float[] values) {
        return g.floats(hint, new long[] {values.length}, values);
    }
}
