package dev.digits.convert.tflite;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A TFLite subgraph under construction: tensors, operators in execution order, one input and one output.
 * Lowering builds it in float32; the quantization passes rewrite it in place; the file writer serialises it.
 */
final class Graph {
    private final List<GraphTensor> tensors = new ArrayList<>();
    private final List<GraphOp> ops = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private GraphTensor input;
    private GraphTensor output;

    /** The names of the file's input and output, which layer names must not take. */
    static final String INPUT_NAME = "image";
    static final String OUTPUT_NAME = "probabilities";

    Graph() {
        names.add(INPUT_NAME);
        names.add(OUTPUT_NAME);
    }

    /** A float32 activation with exactly {@code name}, which must be free (the input and output names). */
    GraphTensor namedActivation(String name, int... shape) {
        if (names.contains(name) && !name.equals(INPUT_NAME) && !name.equals(OUTPUT_NAME)) {
            throw new IllegalStateException("tensor name " + name + " is taken");
        }
        names.add(name);
        return register(GraphTensor.activation(name, shape));
    }

    /** Gives {@code t} a new name (made unique), freeing its old one. */
    void rename(GraphTensor t, String name) {
        names.remove(t.name());
        t.rename(unique(name));
    }

    /** A float32 activation named {@code name} (made unique). */
    GraphTensor activation(String name, int... shape) {
        return register(GraphTensor.activation(unique(name), shape));
    }

    GraphTensor floatConstant(String name, int[] shape, float[] values) {
        return register(GraphTensor.floatConstant(unique(name), shape, values));
    }

    GraphTensor intConstant(String name, int[] shape, int[] values) {
        return register(GraphTensor.intConstant(unique(name), shape, values));
    }

    private GraphTensor register(GraphTensor t) {
        tensors.add(t);
        return t;
    }

    /** {@code name}, or {@code name_2}, {@code name_3}… when taken: TFLite tools look tensors up by name. */
    String unique(String name) {
        String n = name;
        for (int i = 2; names.contains(n); i++) n = name + "_" + i;
        names.add(n);
        return n;
    }

    /** Appends an operator producing a new activation {@code outName} of {@code outShape}. */
    GraphOp add(OpKind kind, List<GraphTensor> inputs, String outName, int... outShape) {
        GraphOp op = new GraphOp(kind, inputs, activation(outName, outShape));
        ops.add(op);
        return op;
    }

    /**
     * Puts a new input of {@code type} in front of the current one, converted by {@code kind} (DEQUANTIZE or
     * QUANTIZE); the old input keeps its tensor under the name {@code image_<suffix>}.
     */
    void adaptInput(GraphTensor.Type type, QuantParams quant, OpKind kind, String suffix) {
        GraphTensor old = input;
        rename(old, INPUT_NAME + "_" + suffix);
        GraphTensor in = namedActivation(INPUT_NAME, old.shape());
        in.retype(type);
        in.quantize(quant);
        ops.add(0, new GraphOp(kind, List.of(in), old));
        input = in;
    }

    /** Appends a conversion of the output to {@code type} by {@code kind}; the old output becomes {@code probabilities_<suffix>}. */
    void adaptOutput(GraphTensor.Type type, QuantParams quant, OpKind kind, String suffix) {
        GraphTensor old = output;
        rename(old, OUTPUT_NAME + "_" + suffix);
        GraphTensor out = namedActivation(OUTPUT_NAME, old.shape());
        out.retype(type);
        out.quantize(quant);
        ops.add(new GraphOp(kind, List.of(old), out));
        output = out;
    }

    /** Inserts {@code op} at {@code index} of the execution order. */
    void insert(int index, GraphOp op) {
        ops.add(index, op);
    }

    /** Appends an already built operator. */
    void append(GraphOp op) {
        ops.add(op);
    }

    List<GraphTensor> tensors() {
        return tensors;
    }

    List<GraphOp> ops() {
        return ops;
    }

    /** The operator producing {@code t}, or null for inputs and constants. */
    GraphOp producer(GraphTensor t) {
        for (GraphOp op : ops) if (op.output() == t) return op;
        return null;
    }

    /** The operators reading {@code t}. */
    List<GraphOp> consumers(GraphTensor t) {
        List<GraphOp> out = new ArrayList<>();
        for (GraphOp op : ops) if (op.inputs().contains(t)) out.add(op);
        return out;
    }

    GraphTensor input() {
        return input;
    }

    void setInput(GraphTensor t) {
        this.input = t;
    }

    GraphTensor output() {
        return output;
    }

    void setOutput(GraphTensor t) {
        this.output = t;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("input ").append(input).append('\n');
        for (GraphOp op : ops) b.append(op).append('\n');
        return b.append("output ").append(output).toString();
    }
}
