package dev.digits.convert.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.digits.convert.PerChannelInt8;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Assembles one ONNX graph from operators and constants. Every node gets a name no other node has, every value
 * (initializers included) a name no other value has: names are built from the spec's layer names with {@code /} separators, which layer names cannot contain, so
 * generated names never collide with a user's layer called, say, {@code conv_q}; a clash adds {@code :2}, {@code :3}.
 */
final class OnnxGraphBuilder {
    /** The dimension name of the batch axis in inputs and outputs. */
    static final String BATCH = "N";

    private final GraphProto.Builder graph = GraphProto.newBuilder();
    private final Set<String> values = new HashSet<>();
    private final Set<String> nodes = new HashSet<>();

    /** A value (tensor) name: {@code hint}, or {@code hint:2}, {@code hint:3}, … when it is taken. */
    String unique(String hint) {
        return reserve(values, hint);
    }

    private static String reserve(Set<String> taken, String hint) {
        String name = hint;
        for (int i = 2; !taken.add(name); i++) name = hint + ":" + i;
        return name;
    }

    /** Adds graph input {@code name} of element type {@code type}; a null dimension is the batch dimension. */
    void input(String name, DataType type, Long... dims) {
        graph.addInput(valueInfo(unique(name), type, dims));
    }

    /** Declares graph output {@code name} (produced by some node) with its type and shape (null = batch). */
    void output(String name, DataType type, Long... dims) {
        graph.addOutput(valueInfo(name, type, dims));
    }

    /** Declares graph output {@code name} of element type float with an unknown shape (calibration taps). */
    void outputOfAnyShape(String name) {
        graph.addOutput(ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(DataType.FLOAT_VALUE))));
    }

    private static ValueInfoProto valueInfo(String name, DataType type, Long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Long d : dims) {
            TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
            if (d == null) dim.setDimParam(BATCH);
            else dim.setDimValue(d);
            shape.addDim(dim);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(type.getNumber()).setShape(shape))).build();
    }

    /** A float32 initializer; returns its name. */
    String floats(String hint, long[] dims, float[] values) {
        ByteBuffer b = little(values.length * 4);
        for (float v : values) b.putFloat(v);
        return initializer(hint, DataType.FLOAT, dims, b);
    }

    /** A float16 initializer from IEEE half-precision bit patterns; returns its name. */
    String halves(String hint, long[] dims, short[] bits) {
        ByteBuffer b = little(bits.length * 2);
        for (short v : bits) b.putShort(v);
        return initializer(hint, DataType.FLOAT16, dims, b);
    }

    /** An int8 initializer; returns its name. */
    String int8s(String hint, long[] dims, byte[] values) {
        return initializer(hint, DataType.INT8, dims, little(values.length).put(values));
    }

    /** A uint8 initializer; returns its name. */
    String uint8s(String hint, long[] dims, byte[] values) {
        return initializer(hint, DataType.UINT8, dims, little(values.length).put(values));
    }

    /** An int32 initializer; returns its name. */
    String int32s(String hint, long[] dims, int[] values) {
        ByteBuffer b = little(values.length * 4);
        for (int v : values) b.putInt(v);
        return initializer(hint, DataType.INT32, dims, b);
    }

    /**
     * Per-channel int8 weights with their scales, turned back into float32 by a DequantizeLinear node (axis 0);
     * returns the node's output.
     */
    String dequantized(String name, long[] dims, PerChannelInt8 weight) {
        return dequantized(name, dims, weight, false);
    }

    /**
     * The same per-channel weights stored as uint8 with zero point 128 ({@code q + 128}, in [1, 255]), turned back
     * into float32 by a DequantizeLinear node (axis 0); returns the node's output. The values and scales are those of
     * {@link #dequantized}: only the operand type differs, which decides the integer kernels a runtime picks.
     */
    String dequantizedUnsigned(String name, long[] dims, PerChannelInt8 weight) {
        return dequantized(name, dims, weight, true);
    }

    private String dequantized(String name, long[] dims, PerChannelInt8 weight, boolean unsigned) {
        int shift = unsigned ? 128 : 0;
        byte[] values = weight.values();
        byte[] stored = new byte[values.length];
        for (int i = 0; i < values.length; i++) stored[i] = (byte) (values[i] + shift);
        float[] scales = weight.scales();
        byte[] zeros = new byte[scales.length];
        java.util.Arrays.fill(zeros, (byte) shift);
        long[] perChannel = {scales.length};
        String q = unsigned ? uint8s(name + "/uint8", dims, stored) : int8s(name + "/int8", dims, stored);
        String scale = floats(name + "/scale", perChannel, scales);
        String zero = unsigned ? uint8s(name + "/zero_point", perChannel, zeros) : int8s(name + "/zero_point", perChannel, zeros);
        return node("DequantizeLinear", name, List.of(q, scale, zero), integer("axis", 0));
    }

    /** A one-dimensional int64 initializer (shapes, pads); returns its name. */
    String int64s(String hint, long... values) {
        ByteBuffer b = little(values.length * 8);
        for (long v : values) b.putLong(v);
        return initializer(hint, DataType.INT64, new long[] {values.length}, b);
    }

    /** A scalar float32 initializer. */
    String scalar(String hint, float value) {
        return floats(hint, new long[0], new float[] {value});
    }

    private static ByteBuffer little(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private String initializer(String hint, DataType type, long[] dims, ByteBuffer data) {
        String name = unique(hint);
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type.getNumber());
        for (long d : dims) t.addDims(d);
        t.setRawData(ByteString.copyFrom(data.array()));
        graph.addInitializer(t);
        return name;
    }

    /** Adds operator {@code op} reading {@code inputs} (empty string = optional input left out); returns its output. */
    String node(String op, String hint, List<String> inputs, AttributeProto... attributes) {
        String out = unique(hint);
        nodeWithOutput(op, hint, inputs, out, attributes);
        return out;
    }

    /** As {@link #node} but writing to the value {@code output}, e.g. the graph's output. */
    void nodeWithOutput(String op, String hint, List<String> inputs, String output, AttributeProto... attributes) {
        NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(reserve(nodes, hint)).addAllInput(inputs).addOutput(output);
        for (AttributeProto a : attributes) n.addAttribute(a);
        graph.addNode(n);
    }

    static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeType.INTS);
        for (long v : values) a.addInts(v);
        return a.build();
    }

    static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.INT).setI(value).build();
    }

    static AttributeProto real(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto text(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.STRING).setS(ByteString.copyFromUtf8(value)).build();
    }

    /** The graph, named {@code name}. */
    GraphProto build(String name, String doc) {
        return graph.setName(name).setDocString(doc).build();
    }
}
