package dev.digits.convert.tflite;

/**
 * Dynamic-range quantization: convolution weights become int8 with one scale per output channel, dense weights
 * int8 with one scale; activations stay float32. TFLite runs such ops with its hybrid kernels, which quantize the
 * float input on the fly (CONV_2D version 5, FULLY_CONNECTED version 3, both in TFLite 2.6), as TensorFlow's own
 * converter writes them.
 *
 * <p>Speed: TFLite 2.6 on x86-64 runs per-channel hybrid convolutions about ten times slower than per-tensor ones
 * or float (measured on the cnn: 5 ms against 0.5 ms of CPU per image); later runtimes have an optimised kernel.
 * Per-channel scales are kept because batch-norm folding leaves output channels of very different magnitudes.
 */
final class DynamicRangeQuantization {
    private DynamicRangeQuantization() {
    }

    static void apply(Graph g) {
        for (GraphOp op : g.ops()) {
            if (op.kind() == OpKind.CONV_2D) SymmetricInt8.perChannel(op.input(1));
            else if (op.kind() == OpKind.FULLY_CONNECTED) SymmetricInt8.perTensor(op.input(1));
        }
    }
}
