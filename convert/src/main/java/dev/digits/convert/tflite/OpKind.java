package dev.digits.convert.tflite;

import org.tensorflow.lite.schema.BuiltinOperator;

/**
 * The TFLite builtin operators this exporter emits, each with the operator version TFLite's own converter would
 * record for the tensor types at hand (tensorflow/lite/tools/versioning/op_version.cc). Every version used here
 * is registered by TFLite 2.6 and by every later runtime.
 */
enum OpKind {
    ADD(BuiltinOperator.ADD),
    AVERAGE_POOL_2D(BuiltinOperator.AVERAGE_POOL_2D),
    CONV_2D(BuiltinOperator.CONV_2D),
    DEQUANTIZE(BuiltinOperator.DEQUANTIZE),
    FULLY_CONNECTED(BuiltinOperator.FULLY_CONNECTED),
    LOGISTIC(BuiltinOperator.LOGISTIC),
    MAX_POOL_2D(BuiltinOperator.MAX_POOL_2D),
    MEAN(BuiltinOperator.MEAN),
    MUL(BuiltinOperator.MUL),
    PAD(BuiltinOperator.PAD),
    QUANTIZE(BuiltinOperator.QUANTIZE),
    RELU(BuiltinOperator.RELU),
    RESHAPE(BuiltinOperator.RESHAPE),
    SOFTMAX(BuiltinOperator.SOFTMAX),
    TANH(BuiltinOperator.TANH),
    TRANSPOSE(BuiltinOperator.TRANSPOSE);

    /** The {@code BuiltinOperator} code. */
    final int code;

    OpKind(int code) {
        this.code = code;
    }

    /** Whether the output must carry its input's quantization (the op moves values without computing new ones). */
    boolean keepsInputQuantization() {
        switch (this) {
            case AVERAGE_POOL_2D:
            case MAX_POOL_2D:
            case PAD:
            case RESHAPE:
            case TRANSPOSE:
                return true;
            default:
                return false;
        }
    }

    /** Whether a ReLU can be fused into the op's {@code fused_activation_function}. */
    boolean fusesActivation() {
        return this == CONV_2D || this == FULLY_CONNECTED || this == ADD || this == MUL;
    }

    /** The operator version for this op's tensor types. */
    int version(GraphOp op) {
        GraphTensor.Type in = op.input(0).type();
        boolean int8 = in == GraphTensor.Type.INT8;
        switch (this) {
            case CONV_2D: {
                GraphTensor.Type w = op.input(1).type();
                if (int8) return 3;
                if (w == GraphTensor.Type.INT8) return op.input(1).quant().perChannel() ? 5 : 2;
                return 1;
            }
            case FULLY_CONNECTED: {
                GraphTensor.Type w = op.input(1).type();
                if (int8) return 4;
                return w == GraphTensor.Type.INT8 ? 3 : 1;
            }
            case MUL: {
                if (!int8) return 1;
                // Version 3 is the kernel for a rescale factor of at least one.
                double rescale = (double) op.input(0).quant().scale() * op.input(1).quant().scale() / op.output().quant().scale();
                return rescale >= 1.0 ? 3 : 2;
            }
            case DEQUANTIZE:
                if (in == GraphTensor.Type.FLOAT16) return 3;
                return int8 ? 2 : 1;
            case QUANTIZE:
            case RESHAPE:
                return 1;
            default:
                return int8 ? 2 : 1;
        }
    }
}
