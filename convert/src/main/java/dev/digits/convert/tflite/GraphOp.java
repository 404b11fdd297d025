package dev.digits.convert.tflite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** One operator of a graph about to be written, with the options its builtin needs. */
final class GraphOp {
    private final OpKind kind;
    private final List<GraphTensor> inputs;
    private GraphTensor output;
    int strideH = 1;
    int strideW = 1;
    int filterH;
    int filterW;
    /** TFLite SAME padding (convolutions with stride 1 and an odd kernel); VALID otherwise. */
    boolean samePadding;
    /** A ReLU applied by the op itself. */
    boolean fusedRelu;

    GraphOp(OpKind kind, List<GraphTensor> inputs, GraphTensor output) {
        this.kind = kind;
        this.inputs = new ArrayList<>(inputs);
        this.output = output;
    }

    OpKind kind() {
        return kind;
    }

    GraphTensor input(int i) {
        return inputs.get(i);
    }

    List<GraphTensor> inputs() {
        return List.copyOf(inputs);
    }

    void replaceInput(int i, GraphTensor t) {
        inputs.set(i, t);
    }

    GraphTensor output() {
        return output;
    }

    void replaceOutput(GraphTensor t) {
        this.output = t;
    }

    @Override
    public String toString() {
        return kind + " " + inputs + " -> " + output + (fusedRelu ? " relu" : "")
                + (kind == OpKind.CONV_2D ? " stride " + Arrays.asList(strideH, strideW) + (samePadding ? " same" : " valid") : "");
    }
}
