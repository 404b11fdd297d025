package dev.digits.convert.importer;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.digits.convert.importer.NetworkBuilder.Layout;
import dev.digits.convert.importer.NetworkBuilder.Value;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.Activation;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX model (opset 9 and later, weights inline or in external data files beside it) into a Digits
 * network. Constant sub-graphs — the Shape → Gather → Concat → Reshape chains exporters write for a flatten, casts,
 * arithmetic on initializers — are evaluated here; every other operator becomes a layer through the
 * {@link NetworkBuilder}. Channels-last graphs (as tf2onnx writes them from Keras) are followed through their
 * Transposes.
 */
final class OnnxGraphReader {
    /** The operators that become layers (constants aside). */
    static final List<String> SUPPORTED = List.of("Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Sigmoid",
            "Tanh", "Softmax", "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool", "ReduceMean", "Flatten", "Reshape",
            "Transpose", "Squeeze", "Unsqueeze", "BatchNormalization", "Dropout", "Identity", "Cast", "Pad", "Constant", "Shape",
            "Gather", "Concat");

    private final Path file;
    private final ModelProto model;
    private final NetworkBuilder b = new NetworkBuilder();
    /** Values computed at run time. */
    private final Map<String, Value> values = new HashMap<>();
    /** Values known when importing: initializers, Constant nodes and what is computed from them alone. */
    private final Map<String, Constant> constants = new HashMap<>();
    private boolean softmax;
    private boolean logSoftmax;

    /** A constant: float or integer values with their dimensions. */
    record Constant(long[] dims, float[] floats, long[] ints) {
        int size() {
            return floats != null ? floats.length : ints.length;
        }

        float[] asFloats() {
            if (floats != null) return floats;
            float[] f = new float[ints.length];
            for (int i = 0; i < f.length; i++) f[i] = ints[i];
            return f;
        }

        long[] asInts() {
            if (ints != null) return ints;
            long[] l = new long[floats.length];
            for (int i = 0; i < l.length; i++) l[i] = (long) floats[i];
            return l;
        }
    }

    private OnnxGraphReader(Path file, ModelProto model) {
        this.file = file;
        this.model = model;
    }

    /** Parses {@code file}; a file that is not ONNX (or is cut short) is an {@link InvalidInputException}. */
    static ModelProto parse(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ModelProto m;
        try {
            m = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInputException(file + " is not a readable ONNX model (" + e.getMessage()
                    + "); is it cut short or another format?");
        }
        if (!m.hasGraph() || m.getGraph().getNodeCount() == 0) {
            throw new InvalidInputException(file + " is not an ONNX model with a graph (no operators found); is it another format?");
        }
        return m;
    }

    /** The producer as the file records it, e.g. {@code pytorch 1.13.0} or {@code tf2onnx 1.16.1}. */
    static String producer(ModelProto m) {
        String p = (m.getProducerName() + " " + m.getProducerVersion()).trim();
        return p.isEmpty() ? "unknown" : p;
    }

    /** The opset of the default domain. */
    static long opset(ModelProto m) {
        for (var o : m.getOpsetImportList()) if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) return o.getVersion();
        return 0;
    }

    /** The graph's metadata properties. */
    static Map<String, String> metadata(ModelProto m) {
        Map<String, String> out = new HashMap<>();
        for (StringStringEntryProto e : m.getMetadataPropsList()) out.put(e.getKey(), e.getValue());
        return out;
    }

    /** Translates {@code model} (read from {@code file}, which locates its external data). */
    static ImportedNetwork read(Path file, ModelProto model, String name) throws IOException {
        return new OnnxGraphReader(file, model).translate(name);
    }

    private ImportedNetwork translate(String name) throws IOException {
        var g = model.getGraph();
        if (opset(model) < 9 && opset(model) != 0) {
            throw new ImportException(file.getFileName() + " uses ONNX opset " + opset(model) + "; Digits imports opset 9 and later"
                    + " (re-export it, or upgrade it with onnx.version_converter)");
        }
        for (TensorProto t : g.getInitializerList()) constants.put(t.getName(), tensor(t));
        List<ValueInfoProto> inputs = new ArrayList<>();
        for (ValueInfoProto v : g.getInputList()) if (!constants.containsKey(v.getName())) inputs.add(v);
        if (inputs.size() != 1) {
            throw new ImportException(file.getFileName() + " has " + inputs.size() + " inputs; Digits imports models with one image input");
        }
        ValueInfoProto in = inputs.get(0);
        long[] dims = dims(in);
        SourceInput source = SourceInput.of(dims, in.getName());
        values.put(in.getName(), b.input(source.specShape(), source.layout()));
        int i = 0;
        for (NodeProto n : g.getNodeList()) {
            i++;
            String where = "operator " + n.getOpType() + " (node " + i + " of " + g.getNodeCount()
                    + (n.getName().isEmpty() ? "" : ", '" + n.getName() + "'") + ")";
            try {
                node(n, where);
            } catch (ImportException e) {
                throw e.getMessage().startsWith("operator ") ? e : new ImportException(where + ": " + e.getMessage());
            }
        }
        if (g.getOutputCount() < 1) throw new ImportException(file.getFileName() + " declares no output");
        String outName = g.getOutput(0).getName();
        Value out = values.get(outName);
        if (out == null) throw new ImportException("the output '" + outName + "' is not computed from the input");
        NetworkBuilder.Network net = b.finish(out, name, "imported from " + file.getFileName(), softmax);
        String outputs = softmax ? "probabilities" : logSoftmax ? "log-probabilities" : "logits";
        return new ImportedNetwork(net, source, outputs);
    }

    private void node(NodeProto n, String where) throws IOException {
        String op = n.getOpType();
        if (!n.getDomain().isEmpty() && !n.getDomain().equals("ai.onnx")) {
            throw new ImportException(where + " is in the custom domain '" + n.getDomain() + "'; supported: " + String.join(", ", SUPPORTED));
        }
        if (op.equals("Constant")) {
            constants.put(n.getOutput(0), constantAttribute(n));
            return;
        }
        boolean allConstant = true;
        for (String s : n.getInputList()) if (!s.isEmpty() && !constants.containsKey(s)) allConstant = false;
        if (allConstant && !op.equals("Shape")) {
            constants.put(n.getOutput(0), fold(n, where));
            return;
        }
        Value x = values.get(n.getInput(0));
        String hint = n.getName().isEmpty() ? n.getOutput(0) : n.getName();
        hint = hint.replaceFirst("^/", "").replaceAll("/[A-Za-z]+(_\\d+)?$", "");
        Value y;
        switch (op) {
            case "Shape": {
                if (x == null) throw new ImportException(where + " reads an unknown value");
                constants.put(n.getOutput(0), new Constant(new long[] {4}, null, batchShape(x)));
                return;
            }
            case "Identity":
            case "Dropout":
            case "Cast":
                y = need(x, where);
                break;
            case "Conv":
                y = conv(n, need(x, where), hint, where);
                break;
            case "Gemm":
                y = gemm(n, need(x, where), hint, where);
                break;
            case "MatMul": {
                Constant w = constant(n.getInput(1), where, "its weights");
                if (w.dims().length != 2) throw new ImportException(where + ": weights of rank " + w.dims().length + "; expected a matrix");
                y = b.dense(need(x, where), hint, transpose(w.asFloats(), (int) w.dims()[0], (int) w.dims()[1]), (int) w.dims()[1], null);
                break;
            }
            case "Add":
            case "Sub":
            case "Mul":
            case "Div":
                y = arithmetic(n, where, hint);
                break;
            case "Relu":
                y = b.activation(need(x, where), hint, Activation.RELU);
                break;
            case "Sigmoid":
                y = b.activation(need(x, where), hint, Activation.SIGMOID);
                break;
            case "Tanh":
                y = b.activation(need(x, where), hint, Activation.TANH);
                break;
            case "Softmax":
            case "LogSoftmax": {
                Value v = need(x, where);
                if (!v.shape().isFlat()) throw new ImportException(where + " on an image; Digits models end in a softmax over classes");
                if (op.equals("Softmax")) softmax = true;
                else logSoftmax = true;
                y = v;
                break;
            }
            case "MaxPool":
            case "AveragePool":
                y = pool(n, need(x, where), hint, where, op.equals("MaxPool"));
                break;
            case "GlobalAveragePool":
                y = b.globalAvgPool(need(x, where), hint);
                break;
            case "ReduceMean": {
                Value v = need(x, where);
                long[] axes = ints(n, "axes");
                if (axes == null && n.getInputCount() > 1) axes = constant(n.getInput(1), where, "its axes").asInts();
                Set<Long> ax = new HashSet<>();
                if (axes != null) for (long a : axes) ax.add(a < 0 ? a + 4 : a);
                boolean spatial = v.layout() == Layout.NHWC ? ax.equals(Set.of(1L, 2L)) : ax.equals(Set.of(2L, 3L));
                if (!spatial) throw new ImportException(where + " over axes " + Arrays.toString(axes) + "; only a mean over height and width is supported");
                y = b.globalAvgPool(v.relabel(Layout.NCHW), hint);
                break;
            }
            case "Flatten": {
                long axis = intAttr(n, "axis", 1);
                if (axis != 1) throw new ImportException(where + " with axis " + axis + "; only axis 1 (keep the batch) is supported");
                y = b.flatten(need(x, where), hint);
                break;
            }
            case "Reshape":
                y = reshape(need(x, where), constant(n.getInput(1), where, "its shape").asInts(), hint, where);
                break;
            case "Squeeze":
            case "Unsqueeze": {
                Value v = need(x, where);
                long[] axes = ints(n, "axes");
                if (axes == null && n.getInputCount() > 1) axes = constant(n.getInput(1), where, "its axes").asInts();
                y = squeeze(v, op.equals("Squeeze"), axes, where);
                break;
            }
            case "Transpose":
                y = transpose(need(x, where), ints(n, "perm"), where);
                break;
            case "BatchNormalization": {
                float[] scale = constant(n.getInput(1), where, "its scale").asFloats();
                float[] bias = constant(n.getInput(2), where, "its bias").asFloats();
                float[] mean = constant(n.getInput(3), where, "its mean").asFloats();
                float[] var = constant(n.getInput(4), where, "its variance").asFloats();
                Value v = need(x, where);
                if (v.layout() == Layout.NHWC && v.shape().channels() > 1) throw new ImportException(where + " on a channels-last image");
                y = b.batchNorm(v, hint, scale, bias, mean, var, floatAttr(n, "epsilon", 1e-5f));
                break;
            }
            case "Pad":
                y = pad(n, need(x, where), hint, where);
                break;
            default:
                throw new ImportException(where + " is not supported; supported operators: " + String.join(", ", SUPPORTED));
        }
        values.put(n.getOutput(0), y);
    }

    private static Value need(Value x, String where) {
        if (x == null) throw new ImportException(where + " reads a value that is neither the input nor computed from it");
        return x;
    }

    private long[] batchShape(Value x) {
        Shape s = x.shape();
        if (s.isFlat()) return new long[] {1, s.size()};
        return x.layout() == Layout.NHWC ? new long[] {1, s.height(), s.width(), s.channels()} : new long[] {1, s.channels(), s.height(), s.width()};
    }

    private Value conv(NodeProto n, Value x, String hint, String where) {
        Constant w = constant(n.getInput(1), where, "its kernel");
        if (w.dims().length != 4) throw new ImportException(where + ": only 2-D convolutions are supported");
        long group = intAttr(n, "group", 1);
        if (group != 1) throw new ImportException(where + " is a grouped convolution (group " + group + "); not supported");
        long[] dil = ints(n, "dilations");
        if (dil != null) for (long d : dil) if (d != 1) throw new ImportException(where + " is dilated; not supported");
        int k = (int) w.dims()[2];
        int stride = equalPair(ints(n, "strides"), 1, where, "strides");
        int pad = padding(n, k, stride, x.shape().height(), where);
        float[] bias = n.getInputCount() > 2 && !n.getInput(2).isEmpty() ? constant(n.getInput(2), where, "its bias").asFloats() : null;
        if (x.layout() == Layout.NHWC && x.shape().channels() == 1) x = x.relabel(Layout.NCHW);
        return b.conv(x, hint, new Tensor(w.dims(), w.asFloats()), bias, stride, pad);
    }

    /** Symmetric padding from {@code pads} or {@code auto_pad}. */
    private int padding(NodeProto n, int k, int stride, int size, String where) {
        String auto = stringAttr(n, "auto_pad", "NOTSET");
        if (auto.equals("VALID")) return 0;
        if (auto.startsWith("SAME")) {
            int out = (size + stride - 1) / stride;
            int total = Math.max((out - 1) * stride + k - size, 0);
            if (total % 2 != 0) {
                throw new ImportException(where + " pads " + auto + " unevenly (" + total + " pixels); only symmetric padding is supported");
            }
            return total / 2;
        }
        long[] pads = ints(n, "pads");
        if (pads == null) return 0;
        for (long p : pads) {
            if (p != pads[0]) throw new ImportException(where + " pads " + Arrays.toString(pads) + " unevenly; only symmetric padding is supported");
        }
        return (int) pads[0];
    }

    private Value pool(NodeProto n, Value x, String hint, String where, boolean max) {
        int k = equalPair(ints(n, "kernel_shape"), -1, where, "kernel_shape");
        int stride = equalPair(ints(n, "strides"), 1, where, "strides");
        if (intAttr(n, "ceil_mode", 0) != 0) throw new ImportException(where + " rounds its output size up (ceil_mode); not supported");
        long[] pads = ints(n, "pads");
        if (pads != null) for (long p : pads) if (p != 0) throw new ImportException(where + " pads its input; only unpadded pooling is supported");
        String auto = stringAttr(n, "auto_pad", "NOTSET");
        if (auto.startsWith("SAME") && x.shape().height() % stride != 0) throw new ImportException(where + " pads its input (" + auto + ")");
        if (x.layout() == Layout.NHWC && x.shape().channels() == 1) x = x.relabel(Layout.NCHW);
        return b.pool(x, hint, max, k, stride);
    }

    private static int equalPair(long[] v, int fallback, String where, String what) {
        if (v == null) {
            if (fallback < 0) throw new ImportException(where + " has no " + what);
            return fallback;
        }
        for (long x : v) if (x != v[0]) throw new ImportException(where + " has " + what + " " + Arrays.toString(v) + "; only square ones are supported");
        return (int) v[0];
    }

    private Value gemm(NodeProto n, Value x, String hint, String where) {
        if (intAttr(n, "transA", 0) != 0) throw new ImportException(where + " transposes its input (transA); not supported");
        Constant w = constant(n.getInput(1), where, "its weights");
        float alpha = floatAttr(n, "alpha", 1f);
        float beta = floatAttr(n, "beta", 1f);
        int rows = (int) w.dims()[0];
        int cols = (int) w.dims()[1];
        float[] weight;
        int out;
        if (intAttr(n, "transB", 0) != 0) {
            weight = w.asFloats().clone();
            out = rows;
        } else {
            weight = transpose(w.asFloats(), rows, cols);
            out = cols;
        }
        if (alpha != 1f) for (int i = 0; i < weight.length; i++) weight[i] *= alpha;
        float[] bias = null;
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            float[] c = constant(n.getInput(2), where, "its bias").asFloats();
            bias = new float[out];
            for (int i = 0; i < out; i++) bias[i] = beta * (c.length == 1 ? c[0] : c[i]);
        }
        return b.dense(x, hint, weight, out, bias);
    }

    /** [rows][cols] → [cols][rows]. */
    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }

    private Value arithmetic(NodeProto n, String where, String hint) {
        String op = n.getOpType();
        Value a = values.get(n.getInput(0));
        Value c = values.get(n.getInput(1));
        if (a != null && c != null) {
            if (!op.equals("Add")) throw new ImportException(where + " of two computed values; only their sum (a residual connection) is supported");
            return b.add(a, c, hint);
        }
        boolean constantFirst = a == null;
        Value x = constantFirst ? need(c, where) : a;
        Constant k = constant(n.getInput(constantFirst ? 0 : 1), where, "its constant");
        float[] v = k.asFloats();
        boolean scalar = true;
        for (float f : v) if (f != v[0]) scalar = false;
        if (!scalar) {
            if (op.equals("Add") && !constantFirst) return b.addBias(x, perChannel(v, x, where), hint);
            throw new ImportException(where + " by a constant that differs per value; only scalars (and biases after a layer) are supported");
        }
        double s = v[0];
        switch (op) {
            case "Add":
                return b.rescale(x, hint, 1, s);
            case "Mul":
                return b.rescale(x, hint, s, 0);
            case "Sub":
                return constantFirst ? b.rescale(x, hint, -1, s) : b.rescale(x, hint, 1, -s);
            default:
                if (constantFirst) throw new ImportException(where + " divides a constant by the data; not supported");
                return b.rescale(x, hint, 1 / s, 0);
        }
    }

    private static float[] perChannel(float[] v, Value x, String where) {
        int c = x.shape().isFlat() ? x.shape().size() : x.shape().channels();
        if (v.length != c) throw new ImportException(where + " adds " + v.length + " values to " + c + " channels");
        return v;
    }

    private Value reshape(Value x, long[] target, String hint, String where) {
        Shape s = x.shape();
        // The first dimension is the batch (-1, 0 or the 1 a folded Shape gives); what follows is one example's shape.
        long[] t = Arrays.copyOfRange(target, 1, target.length);
        long known = 1;
        int unknown = -1;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == -1) unknown = i;
            else known *= t[i];
        }
        if (unknown >= 0) t[unknown] = s.size() / known;
        long size = 1;
        for (long d : t) size *= d;
        if (target.length < 2 || size != s.size()) {
            throw new ImportException(where + " reshapes " + s + " into " + Arrays.toString(target) + "; only a flatten that keeps"
                    + " the batch, or a reshape of the input into an image, is supported");
        }
        if (t.length == 1) return b.flatten(x, hint);
        if (t.length == 3 || t.length == 2) {
            boolean channelsFirst = t.length == 3 && t[0] <= 4 && t[2] > 4;
            int c = t.length == 2 ? 1 : (int) (channelsFirst ? t[0] : t[2]);
            int h = (int) (t.length == 2 ? t[0] : channelsFirst ? t[1] : t[0]);
            int w = (int) (t.length == 2 ? t[1] : channelsFirst ? t[2] : t[1]);
            Shape img = Shape.image(c, h, w);
            if (!s.isFlat() && s.equals(img)) return x.relabel(channelsFirst || c == 1 ? Layout.NCHW : Layout.NHWC);
            if (s.isFlat() || c == 1) return b.reshapeInput(x, img, channelsFirst || c == 1 ? Layout.NCHW : Layout.NHWC);
        }
        throw new ImportException(where + " reshapes " + s + " into " + Arrays.toString(target) + "; not supported");
    }

    private Value squeeze(Value x, boolean squeeze, long[] axes, String where) {
        Shape s = x.shape();
        // Only the forms that leave the numbers in place: a rank-3 [n,h,w] input gaining its channel axis, or a
        // 1×1 image losing its spatial axes after a global pooling.
        if (!squeeze && !s.isFlat() && s.channels() == 1) return x.relabel(axes != null && axes.length == 1 && (axes[0] == 3 || axes[0] == -1) ? Layout.NHWC : Layout.NCHW);
        if (squeeze && !s.isFlat() && s.height() == 1 && s.width() == 1) return b.flatten(x, "squeeze");
        if (squeeze && s.isFlat()) return x;
        throw new ImportException(where + " on " + s + " with axes " + Arrays.toString(axes) + "; not supported");
    }

    private Value transpose(Value x, long[] perm, String where) {
        Shape s = x.shape();
        if (s.isFlat() || perm == null || perm.length != 4) {
            if (s.isFlat() && perm != null && perm.length == 2 && perm[0] == 0) return x;
            throw new ImportException(where + " with perm " + Arrays.toString(perm) + " on " + s + "; only NHWC↔NCHW transposes are supported");
        }
        if (Arrays.equals(perm, new long[] {0, 3, 1, 2}) && x.layout() != Layout.NCHW) return x.relabel(Layout.NCHW);
        if (Arrays.equals(perm, new long[] {0, 2, 3, 1}) && x.layout() != Layout.NHWC) return x.relabel(Layout.NHWC);
        if (Arrays.equals(perm, new long[] {0, 1, 2, 3})) return x;
        throw new ImportException(where + " with perm " + Arrays.toString(perm) + " on a " + x.layout() + " value; only NHWC↔NCHW transposes are supported");
    }

    private Value pad(NodeProto n, Value x, String hint, String where) {
        String mode = stringAttr(n, "mode", "constant");
        if (!mode.equals("constant")) throw new ImportException(where + " pads in mode '" + mode + "'; only zero padding is supported");
        long[] pads = ints(n, "pads");
        if (pads == null && n.getInputCount() > 1) pads = constant(n.getInput(1), where, "its pads").asInts();
        if (n.getInputCount() > 2 && !n.getInput(2).isEmpty()) {
            float[] value = constant(n.getInput(2), where, "its value").asFloats();
            if (value.length > 0 && value[0] != 0f) throw new ImportException(where + " pads with " + value[0] + "; only zeros are supported");
        }
        if (pads == null || pads.length != 8) throw new ImportException(where + ": only 2-D image padding is supported");
        boolean nchw = x.layout() == Layout.NCHW || x.shape().channels() == 1;
        long[] spatial = nchw ? new long[] {pads[2], pads[3], pads[6], pads[7]} : new long[] {pads[1], pads[2], pads[5], pads[6]};
        long[] other = nchw ? new long[] {pads[0], pads[1], pads[4], pads[5]} : new long[] {pads[0], pads[3], pads[4], pads[7]};
        for (long p : other) if (p != 0) throw new ImportException(where + " pads the batch or channels; not supported");
        for (long p : spatial) if (p != spatial[0]) throw new ImportException(where + " pads unevenly " + Arrays.toString(pads) + "; not supported");
        return spatial[0] == 0 ? x : b.zeroPad(x, hint, (int) spatial[0]);
    }

    /** Evaluates an operator on constants only. */
    private Constant fold(NodeProto n, String where) {
        String op = n.getOpType();
        List<Constant> in = new ArrayList<>();
        for (String s : n.getInputList()) in.add(s.isEmpty() ? null : constants.get(s));
        switch (op) {
            case "Identity":
            case "Cast":
            case "Dropout":
                return in.get(0);
            case "Reshape": {
                Constant c = in.get(0);
                long[] t = in.get(1).asInts().clone();
                long known = 1;
                int unknown = -1;
                for (int i = 0; i < t.length; i++) {
                    if (t[i] == 0) t[i] = c.dims()[i];
                    if (t[i] == -1) unknown = i;
                    else known *= t[i];
                }
                if (unknown >= 0) t[unknown] = c.size() / known;
                return new Constant(t, c.floats(), c.ints());
            }
            case "Unsqueeze":
            case "Squeeze": {
                Constant c = in.get(0);
                return new Constant(new long[] {c.size()}, c.floats(), c.ints());
            }
            case "Gather": {
                Constant data = in.get(0);
                long[] idx = in.get(1).asInts();
                if (data.dims().length != 1) throw new ImportException(where + " gathers from a constant of rank " + data.dims().length);
                long[] out = new long[idx.length];
                for (int i = 0; i < idx.length; i++) out[i] = data.asInts()[(int) (idx[i] < 0 ? idx[i] + data.size() : idx[i])];
                return new Constant(new long[] {out.length}, null, out);
            }
            case "Concat": {
                List<Long> all = new ArrayList<>();
                for (Constant c : in) for (long v : c.asInts()) all.add(v);
                long[] out = new long[all.size()];
                for (int i = 0; i < out.length; i++) out[i] = all.get(i);
                return new Constant(new long[] {out.length}, null, out);
            }
            case "Add":
            case "Sub":
            case "Mul":
            case "Div": {
                Constant a = in.get(0);
                Constant c = in.get(1);
                if (a.floats() == null && c.floats() == null) {
                    long[] x = a.asInts();
                    long[] y = c.asInts();
                    int len = Math.max(x.length, y.length);
                    long[] out = new long[len];
                    for (int i = 0; i < len; i++) {
                        long p = x[x.length == 1 ? 0 : i];
                        long q = y[y.length == 1 ? 0 : i];
                        out[i] = op.equals("Add") ? p + q : op.equals("Sub") ? p - q : op.equals("Mul") ? p * q : p / q;
                    }
                    return new Constant(a.size() >= c.size() ? a.dims() : c.dims(), null, out);
                }
                float[] x = a.asFloats();
                float[] y = c.asFloats();
                if (x.length != y.length && x.length != 1 && y.length != 1) {
                    throw new ImportException(where + " on constants of shapes " + Arrays.toString(a.dims()) + " and " + Arrays.toString(c.dims()));
                }
                int len = Math.max(x.length, y.length);
                float[] out = new float[len];
                for (int i = 0; i < len; i++) {
                    float p = x[x.length == 1 ? 0 : i];
                    float q = y[y.length == 1 ? 0 : i];
                    out[i] = op.equals("Add") ? p + q : op.equals("Sub") ? p - q : op.equals("Mul") ? p * q : p / q;
                }
                return new Constant(x.length >= y.length ? a.dims() : c.dims(), out, null);
            }
            case "Transpose": {
                Constant c = in.get(0);
                long[] perm = ints(n, "perm");
                if (c.dims().length == 2 && (perm == null || Arrays.equals(perm, new long[] {1, 0}))) {
                    int r = (int) c.dims()[0];
                    int k = (int) c.dims()[1];
                    return new Constant(new long[] {k, r}, transpose(c.asFloats(), r, k), null);
                }
                if (c.dims().length == 4 && perm != null) return new Constant(permute(c.dims(), perm), permute4(c.asFloats(), c.dims(), perm), null);
                throw new ImportException(where + " transposes a constant of rank " + c.dims().length);
            }
            default:
                throw new ImportException(where + " on constants is not supported; supported operators: " + String.join(", ", SUPPORTED));
        }
    }

    private static long[] permute(long[] dims, long[] perm) {
        long[] out = new long[dims.length];
        for (int i = 0; i < dims.length; i++) out[i] = dims[(int) perm[i]];
        return out;
    }

    private static float[] permute4(float[] v, long[] dims, long[] perm) {
        long[] od = permute(dims, perm);
        float[] out = new float[v.length];
        int[] d = {(int) dims[0], (int) dims[1], (int) dims[2], (int) dims[3]};
        int[] idx = new int[4];
        for (idx[0] = 0; idx[0] < d[0]; idx[0]++) {
            for (idx[1] = 0; idx[1] < d[1]; idx[1]++) {
                for (idx[2] = 0; idx[2] < d[2]; idx[2]++) {
                    for (idx[3] = 0; idx[3] < d[3]; idx[3]++) {
                        int src = ((idx[0] * d[1] + idx[1]) * d[2] + idx[2]) * d[3] + idx[3];
                        int a = idx[(int) perm[0]], bb = idx[(int) perm[1]], c = idx[(int) perm[2]], e = idx[(int) perm[3]];
                        int dst = (int) (((a * od[1] + bb) * od[2] + c) * od[3] + e);
                        out[dst] = v[src];
                    }
                }
            }
        }
        return out;
    }

    private Constant constant(String name, String where, String what) {
        Constant c = constants.get(name);
        if (c == null) throw new ImportException(where + ": " + what + " ('" + name + "') must be a constant of the file");
        return c;
    }

    private Constant constantAttribute(NodeProto n) throws IOException {
        for (AttributeProto a : n.getAttributeList()) {
            switch (a.getName()) {
                case "value":
                    return tensor(a.getT());
                case "value_float":
                    return new Constant(new long[0], new float[] {a.getF()}, null);
                case "value_floats": {
                    float[] f = new float[a.getFloatsCount()];
                    for (int i = 0; i < f.length; i++) f[i] = a.getFloats(i);
                    return new Constant(new long[] {f.length}, f, null);
                }
                case "value_int":
                    return new Constant(new long[0], null, new long[] {a.getI()});
                case "value_ints": {
                    long[] l = new long[a.getIntsCount()];
                    for (int i = 0; i < l.length; i++) l[i] = a.getInts(i);
                    return new Constant(new long[] {l.length}, null, l);
                }
                default:
            }
        }
        throw new ImportException("Constant node '" + n.getName() + "' has no value Digits can read");
    }

    /** An initializer or constant tensor, its data inline or in an external file beside the model. */
    private Constant tensor(TensorProto t) throws IOException {
        long[] dims = new long[t.getDimsCount()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            dims[i] = t.getDims(i);
            count *= dims[i];
        }
        if (count > 64L << 20) throw new ImportException("tensor '" + t.getName() + "' holds " + count + " values; too large for a digit model");
        ByteString raw = t.getRawData();
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) raw = ByteString.copyFrom(external(t, count));
        int type = t.getDataType();
        ByteBuffer buf = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case TensorProto.DataType.FLOAT_VALUE: {
                float[] f = new float[(int) count];
                if (!raw.isEmpty()) {
                    if (raw.size() != count * 4) throw new InvalidInputException("tensor '" + t.getName() + "' holds " + raw.size() + " bytes, not " + count * 4);
                    buf.asFloatBuffer().get(f);
                } else {
                    for (int i = 0; i < f.length; i++) f[i] = t.getFloatData(i);
                }
                return new Constant(dims, f, null);
            }
            case TensorProto.DataType.DOUBLE_VALUE: {
                float[] f = new float[(int) count];
                for (int i = 0; i < f.length; i++) f[i] = (float) (raw.isEmpty() ? t.getDoubleData(i) : buf.getDouble(i * 8));
                return new Constant(dims, f, null);
            }
            case TensorProto.DataType.INT64_VALUE: {
                long[] l = new long[(int) count];
                for (int i = 0; i < l.length; i++) l[i] = raw.isEmpty() ? t.getInt64Data(i) : buf.getLong(i * 8);
                return new Constant(dims, null, l);
            }
            case TensorProto.DataType.INT32_VALUE: {
                long[] l = new long[(int) count];
                for (int i = 0; i < l.length; i++) l[i] = raw.isEmpty() ? t.getInt32Data(i) : buf.getInt(i * 4);
                return new Constant(dims, null, l);
            }
            default:
                throw new ImportException("tensor '" + t.getName() + "' has ONNX data type " + type
                        + "; Digits imports float32/float64 weights and int32/int64 shapes (quantized ONNX models are not supported)");
        }
    }

    private byte[] external(TensorProto t, long count) throws IOException {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : t.getExternalDataList()) {
            switch (e.getKey()) {
                case "location": location = e.getValue(); break;
                case "offset": offset = Long.parseLong(e.getValue()); break;
                case "length": length = Long.parseLong(e.getValue()); break;
                default:
            }
        }
        if (location == null) throw new InvalidInputException("tensor '" + t.getName() + "' is stored outside the file but names no location");
        Path dir = file.toAbsolutePath().normalize().getParent();
        Path data = dir.resolve(location).normalize();
        // The location comes from the file: it may not reach outside the model's directory.
        if (!data.startsWith(dir) || !Files.isRegularFile(data)) {
            throw new InvalidInputException("tensor '" + t.getName() + "' is stored in '" + location + "', which is not a file beside "
                    + file.getFileName() + "; copy the external data files with the model");
        }
        int bytesPer = t.getDataType() == TensorProto.DataType.FLOAT_VALUE || t.getDataType() == TensorProto.DataType.INT32_VALUE ? 4 : 8;
        if (length < 0) length = count * bytesPer;
        if (length != count * bytesPer) throw new InvalidInputException("tensor '" + t.getName() + "' in " + location + " is " + length + " bytes, not " + count * bytesPer);
        try (RandomAccessFile f = new RandomAccessFile(data.toFile(), "r")) {
            if (offset + length > f.length()) {
                throw new InvalidInputException(location + " ends before tensor '" + t.getName() + "' (" + f.length() + " bytes, needs "
                        + (offset + length) + "); the external data file is cut short");
            }
            byte[] out = new byte[(int) length];
            f.seek(offset);
            f.readFully(out);
            return out;
        }
    }

    static long[] dims(ValueInfoProto v) {
        if (!v.getType().hasTensorType()) throw new ImportException("input '" + v.getName() + "' is not a tensor");
        var tt = v.getType().getTensorType();
        if (tt.getElemType() != TensorProto.DataType.FLOAT_VALUE) {
            throw new ImportException("input '" + v.getName() + "' has ONNX element type " + tt.getElemType() + "; Digits imports float32 inputs");
        }
        TensorShapeProto shape = tt.getShape();
        long[] d = new long[shape.getDimCount()];
        for (int i = 0; i < d.length; i++) d[i] = shape.getDim(i).hasDimValue() ? shape.getDim(i).getDimValue() : -1;
        return d;
    }

    private static AttributeProto attr(NodeProto n, String name) {
        for (AttributeProto a : n.getAttributeList()) if (a.getName().equals(name)) return a;
        return null;
    }

    private static long[] ints(NodeProto n, String name) {
        AttributeProto a = attr(n, name);
        if (a == null) return null;
        long[] v = new long[a.getIntsCount()];
        for (int i = 0; i < v.length; i++) v[i] = a.getInts(i);
        return v;
    }

    private static long intAttr(NodeProto n, String name, long fallback) {
        AttributeProto a = attr(n, name);
        return a == null ? fallback : a.getI();
    }

    private static float floatAttr(NodeProto n, String name, float fallback) {
        AttributeProto a = attr(n, name);
        return a == null ? fallback : a.getF();
    }

    private static String stringAttr(NodeProto n, String name, String fallback) {
        AttributeProto a = attr(n, name);
        return a == null ? fallback : a.getS().toStringUtf8();
    }
}
