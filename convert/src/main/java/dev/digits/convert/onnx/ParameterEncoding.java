package dev.digits.convert.onnx;

/**
 * How an ONNX export stores the network's numbers: the weights (float32, float16, int8) and, for full-integer
 * quantization, the activations. The network writer asks it for every parameter and hands it every activation;
 * each implementation answers with the float values the next operator should read, adding whatever casts or
 * dequantization that takes.
 */
interface ParameterEncoding {
    /**
     * Stores a convolution or dense weight (PyTorch layout: output channels on axis 0) with its bias.
     *
     * @param input the activation the operator reads (full-integer quantization scales the bias by it)
     * @return the float weight and bias values the operator reads
     */
    WeightAndBias weightAndBias(OnnxGraphBuilder g, String layer, long[] dims, float[] weight, float[] bias, String input);

    /** Stores a per-channel vector (batch normalisation statistics); returns the float value to read. */
    String vector(OnnxGraphBuilder g, String hint, float[] values);

    /** Called with the network's input once it is float in [0,1]; returns the value the first layer reads. */
    default String input(OnnxGraphBuilder g, String value) {
        return value;
    }

    /** Called with every activation a layer produces; returns the value the next layer reads. */
    default String activation(OnnxGraphBuilder g, String value) {
        return value;
    }

    /** The two values a convolution or Gemm reads besides its input. */
    final class WeightAndBias {
        final String weight;
        final String bias;

        WeightAndBias(String weight, String bias) {
            this.weight = weight;
            this.bias = bias;
        }
    }
}
