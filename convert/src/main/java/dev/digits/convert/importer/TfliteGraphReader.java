package dev.digits.convert.importer;

import dev.digits.convert.HalfPrecision;
import dev.digits.convert.importer.NetworkBuilder.Layout;
import dev.digits.convert.importer.NetworkBuilder.Value;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.Activation;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.AddOptions;
import org.tensorflow.lite.schema.BuiltinOperator;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.FullyConnectedOptions;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.MulOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.Padding;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.ReshapeOptions;
import org.tensorflow.lite.schema.SoftmaxOptions;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.SubOptions;
import org.tensorflow.lite.schema.TensorType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a TFLite flatbuffer into a Digits network. Operators are read by their builtin code, whatever their
 * version (a file newer than the TFLite runtimes here still imports; it is then checked by accuracy only).
 * Activations are channels-last, as TFLite computes; kernels are turned from OHWI into the spec's OIHW. Weights
 * stored as float16 (behind a DEQUANTIZE) or as int8 with scales (dynamic-range quantization) are dequantized;
 * models whose activations are quantized (full-integer) are refused.
 */
final class TfliteGraphReader {
    static final List<String> SUPPORTED = List.of("CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D", "AVERAGE_POOL_2D", "MEAN", "RESHAPE",
            "SOFTMAX", "RELU", "LOGISTIC", "TANH", "ADD", "SUB", "MUL", "PAD", "DEQUANTIZE (of weights)");

    private final Model model;
    private final SubGraph graph;
    private final NetworkBuilder b = new NetworkBuilder();
    private final Map<Integer, Value> values = new HashMap<>();
    private final Map<Integer, float[]> constants = new HashMap<>();
    private boolean softmax;

    private TfliteGraphReader(Model model) {
        this.model = model;
        this.graph = model.subgraphs(0);
    }

    /** Parses the flatbuffer; anything that is not a readable TFLite model is an {@link InvalidInputException}. */
    static Model parse(byte[] bytes, String file) {
        if (bytes.length < 8 || bytes[4] != 'T' || bytes[5] != 'F' || bytes[6] != 'L' || bytes[7] != '3') {
            throw new InvalidInputException(file + " is not a TFLite flatbuffer (no TFL3 identifier)");
        }
        try {
            Model m = Model.getRootAsModel(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN));
            if (m.subgraphsLength() < 1 || m.subgraphs(0).operatorsLength() < 1) {
                throw new InvalidInputException(file + " holds no operators; is it cut short?");
            }
            // Touch every table once so that a truncated file fails here, with a message, not later.
            SubGraph g = m.subgraphs(0);
            for (int i = 0; i < g.tensorsLength(); i++) {
                var t = g.tensors(i);
                if (t.buffer() >= m.buffersLength()) throw new InvalidInputException(file + ": tensor " + i + " names a missing buffer");
                var buf = m.buffers((int) t.buffer());
                if (buf != null) buf.dataLength();
            }
            for (int i = 0; i < g.operatorsLength(); i++) g.operators(i).inputsLength();
            return m;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            throw new InvalidInputException(file + " is not a readable TFLite model (" + e.getClass().getSimpleName()
                    + "); is it cut short?");
        }
    }

    /** The operator versions the file records, e.g. {@code CONV_2D v3}, for the report. */
    static String versions(Model m) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < m.operatorCodesLength(); i++) {
            OperatorCode c = m.operatorCodes(i);
            if (s.length() > 0) s.append(", ");
            s.append(BuiltinOperator.name(code(c))).append(" v").append(c.version());
        }
        return s.toString();
    }

    /**
     * Whether the file stores int8 weights for float activations (dynamic-range quantization): its kernels quantize
     * each batch's activations as they run, which a float network from the dequantized weights approximates only.
     */
    static boolean hasInt8Weights(Model m) {
        SubGraph g = m.subgraphs(0);
        for (int i = 0; i < g.tensorsLength(); i++) {
            var t = g.tensors(i);
            var buf = m.buffers((int) t.buffer());
            if (t.type() == TensorType.INT8 && buf != null && buf.dataLength() > 0) return true;
        }
        return false;
    }

    /** The builtin code: the deprecated byte for the first 127 operators, the int field for later ones. */
    private static int code(OperatorCode c) {
        return Math.max(c.deprecatedBuiltinCode(), c.builtinCode());
    }

    static ImportedNetwork read(Model m, String name, String file) {
        return new TfliteGraphReader(m).translate(name, file);
    }

    private ImportedNetwork translate(String name, String file) {
        if (graph.inputsLength() != 1) throw new ImportException(file + " has " + graph.inputsLength() + " inputs; Digits imports one image input");
        int in = graph.inputs(0);
        var inTensor = graph.tensors(in);
        if (inTensor.type() != TensorType.FLOAT32) {
            throw new ImportException(file + " takes " + TensorType.name(inTensor.type()) + " input: a full-integer quantized model."
                    + " Digits imports float models (float16 or int8 weights included); import the float32 file and quantize it"
                    + " with digits export --quantize");
        }
        long[] dims = new long[inTensor.shapeLength()];
        for (int i = 0; i < dims.length; i++) {
            int sig = inTensor.shapeSignatureLength() == dims.length ? inTensor.shapeSignature(i) : inTensor.shape(i);
            dims[i] = sig;
        }
        SourceInput source = SourceInput.of(dims, inTensor.name());
        values.put(in, b.input(source.specShape(), source.layout() == Layout.FLAT ? Layout.FLAT : Layout.NHWC));
        for (int i = 0; i < graph.operatorsLength(); i++) {
            Operator op = graph.operators(i);
            OperatorCode c = model.operatorCodes((int) op.opcodeIndex());
            String opName = BuiltinOperator.name(code(c));
            String where = "operator " + opName + " v" + c.version() + " (operator " + (i + 1) + " of " + graph.operatorsLength() + ")";
            try {
                operator(op, code(c), where);
            } catch (ImportException e) {
                throw e.getMessage().startsWith("operator ") ? e : new ImportException(where + ": " + e.getMessage());
            }
        }
        Value out = values.get(graph.outputs(0));
        if (out == null) throw new ImportException("the output is not computed from the input");
        NetworkBuilder.Network net = b.finish(out, name, "imported from " + file, softmax);
        return new ImportedNetwork(net, source, softmax ? "probabilities" : "logits");
    }

    private void operator(Operator op, int code, String where) {
        int out = op.outputs(0);
        String hint = graph.tensors(out).name();
        if (hint != null) hint = hint.replaceAll(";.*", "").replaceAll("^.*/(?=[^/]+/[^/]+$)", "").replaceAll("/.*$", "");
        if (code == BuiltinOperator.DEQUANTIZE) {
            float[] c = constant(op.inputs(0));
            if (c == null) throw new ImportException(where + " dequantizes computed values: a quantized model; only dequantized weights are supported");
            constants.put(out, c);
            return;
        }
        Value x = values.get(op.inputs(0));
        if (x == null) {
            throw new ImportException(where + " reads a value that is neither the input nor computed from it");
        }
        Value y;
        switch (code) {
            case BuiltinOperator.CONV_2D: {
                Conv2DOptions o = (Conv2DOptions) op.builtinOptions(new Conv2DOptions());
                if (o.dilationHFactor() > 1 || o.dilationWFactor() > 1) throw new ImportException(where + " is dilated; not supported");
                if (o.strideH() != o.strideW()) throw new ImportException(where + " has strides " + o.strideH() + "×" + o.strideW() + "; only equal ones are supported");
                int[] ws = shape(op.inputs(1));
                float[] w = constantOr(op.inputs(1), where, "its kernel");
                int k = ws[1];
                if (ws[1] != ws[2]) throw new ImportException(where + " has a " + ws[1] + "×" + ws[2] + " kernel; only square kernels are supported");
                int pad = o.padding() == Padding.SAME ? samePad(x.shape().height(), k, o.strideH(), where) : 0;
                float[] bias = op.inputsLength() > 2 && op.inputs(2) >= 0 ? constantOr(op.inputs(2), where, "its bias") : null;
                Value conv = b.conv(x.relabel(Layout.NCHW), hint, new Tensor(new long[] {ws[0], ws[3], ws[1], ws[2]}, oihw(w, ws)), bias, o.strideH(), pad);
                y = fused(conv.relabel(Layout.NHWC), o.fusedActivationFunction(), hint, where);
                break;
            }
            case BuiltinOperator.DEPTHWISE_CONV_2D:
                throw new ImportException(where + " (a depthwise convolution) is not supported; supported operators: " + String.join(", ", SUPPORTED));
            case BuiltinOperator.FULLY_CONNECTED: {
                FullyConnectedOptions o = (FullyConnectedOptions) op.builtinOptions(new FullyConnectedOptions());
                int[] ws = shape(op.inputs(1));
                float[] w = constantOr(op.inputs(1), where, "its weights");
                float[] bias = op.inputsLength() > 2 && op.inputs(2) >= 0 ? constantOr(op.inputs(2), where, "its bias") : null;
                Value flat = x.shape().isFlat() ? x : b.flatten(x, hint + "_flatten");
                y = fused(b.dense(flat, hint, w, ws[0], bias), o.fusedActivationFunction(), hint, where);
                break;
            }
            case BuiltinOperator.MAX_POOL_2D:
            case BuiltinOperator.AVERAGE_POOL_2D: {
                Pool2DOptions o = (Pool2DOptions) op.builtinOptions(new Pool2DOptions());
                if (o.filterHeight() != o.filterWidth() || o.strideH() != o.strideW()) {
                    throw new ImportException(where + " pools " + o.filterHeight() + "×" + o.filterWidth() + "; only square pools are supported");
                }
                if (o.padding() == Padding.SAME && samePad(x.shape().height(), o.filterHeight(), o.strideH(), where) != 0) {
                    throw new ImportException(where + " pads its input (SAME); only unpadded pooling is supported");
                }
                Value p = b.pool(x.relabel(Layout.NCHW), hint, code == BuiltinOperator.MAX_POOL_2D, o.filterHeight(), o.strideH());
                y = fused(p.relabel(Layout.NHWC), o.fusedActivationFunction(), hint, where);
                break;
            }
            case BuiltinOperator.MEAN: {
                float[] axes = constantOr(op.inputs(1), where, "its axes");
                if (x.shape().isFlat() || axes.length != 2 || Math.min(axes[0], axes[1]) != 1 || Math.max(axes[0], axes[1]) != 2) {
                    throw new ImportException(where + " over axes " + Arrays.toString(axes) + "; only a mean over height and width is supported");
                }
                y = b.globalAvgPool(x.relabel(Layout.NCHW), hint);
                break;
            }
            case BuiltinOperator.RESHAPE: {
                int[] target = reshapeTarget(op);
                y = reshape(x, target, hint, where);
                break;
            }
            case BuiltinOperator.SOFTMAX: {
                SoftmaxOptions o = (SoftmaxOptions) op.builtinOptions(new SoftmaxOptions());
                if (o.beta() != 1f) throw new ImportException(where + " has beta " + o.beta() + "; only beta 1 is supported");
                if (!x.shape().isFlat()) throw new ImportException(where + " on an image; Digits models end in a softmax over classes");
                softmax = true;
                y = x;
                break;
            }
            case BuiltinOperator.RELU:
                y = b.activation(x, hint, Activation.RELU);
                break;
            case BuiltinOperator.LOGISTIC:
                y = b.activation(x, hint, Activation.SIGMOID);
                break;
            case BuiltinOperator.TANH:
                y = b.activation(x, hint, Activation.TANH);
                break;
            case BuiltinOperator.ADD:
            case BuiltinOperator.SUB:
            case BuiltinOperator.MUL: {
                byte act = code == BuiltinOperator.ADD ? ((AddOptions) op.builtinOptions(new AddOptions())).fusedActivationFunction()
                        : code == BuiltinOperator.SUB ? ((SubOptions) op.builtinOptions(new SubOptions())).fusedActivationFunction()
                        : ((MulOptions) op.builtinOptions(new MulOptions())).fusedActivationFunction();
                y = fused(arithmetic(op, code, x, hint, where), act, hint, where);
                break;
            }
            case BuiltinOperator.PAD: {
                float[] p = constantOr(op.inputs(1), where, "its paddings");
                if (p.length != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0) {
                    throw new ImportException(where + " pads " + Arrays.toString(p) + "; only spatial padding of an image is supported");
                }
                if (p[2] != p[3] || p[2] != p[4] || p[2] != p[5]) throw new ImportException(where + " pads unevenly " + Arrays.toString(p));
                y = p[2] == 0 ? x : b.zeroPad(x, hint, (int) p[2]);
                break;
            }
            case BuiltinOperator.QUANTIZE:
                throw new ImportException(where + ": a full-integer quantized model; import the float32 file and quantize it with digits export --quantize");
            default:
                throw new ImportException(where + " is not supported; supported operators: " + String.join(", ", SUPPORTED));
        }
        values.put(out, y);
    }

    private Value arithmetic(Operator op, int code, Value x, String hint, String where) {
        Value other = values.get(op.inputs(1));
        if (other != null) {
            if (code != BuiltinOperator.ADD) throw new ImportException(where + " of two computed values; only their sum (a residual connection) is supported");
            return b.add(x, other, hint);
        }
        float[] c = constantOr(op.inputs(1), where, "its constant");
        boolean scalar = true;
        for (float f : c) if (f != c[0]) scalar = false;
        if (!scalar) {
            if (code == BuiltinOperator.ADD) return b.addBias(x, c, hint);
            throw new ImportException(where + " by a constant that differs per value; only scalars (and biases after a layer) are supported");
        }
        switch (code) {
            case BuiltinOperator.ADD: return b.rescale(x, hint, 1, c[0]);
            case BuiltinOperator.SUB: return b.rescale(x, hint, 1, -c[0]);
            default: return b.rescale(x, hint, c[0], 0);
        }
    }

    private Value reshape(Value x, int[] target, String hint, String where) {
        Shape s = x.shape();
        int[] t = Arrays.copyOfRange(target, 1, target.length);
        long known = 1;
        int unknown = -1;
        for (int i = 0; i < t.length; i++) {
            if (t[i] == -1) unknown = i;
            else known *= t[i];
        }
        if (unknown >= 0) t[unknown] = (int) (s.size() / known);
        if (t.length == 1 && t[0] == s.size()) return b.flatten(x, hint);
        if (t.length == 3 && (long) t[0] * t[1] * t[2] == s.size()) {
            Shape img = Shape.image(t[2], t[0], t[1]);
            if (!s.isFlat() && s.equals(img)) return x;
            if (s.isFlat() || s.channels() == 1 && t[2] == 1) return b.reshapeInput(x, img, Layout.NHWC);
        }
        throw new ImportException(where + " reshapes " + s + " into " + Arrays.toString(target) + "; only a flatten, or a reshape of the"
                + " input into an image, is supported");
    }

    private int[] reshapeTarget(Operator op) {
        if (op.inputsLength() > 1 && op.inputs(1) >= 0) {
            float[] c = constant(op.inputs(1));
            if (c != null) {
                int[] t = new int[c.length];
                for (int i = 0; i < t.length; i++) t[i] = (int) c[i];
                return t;
            }
        }
        ReshapeOptions o = (ReshapeOptions) op.builtinOptions(new ReshapeOptions());
        int[] t = new int[o.newShapeLength()];
        for (int i = 0; i < t.length; i++) t[i] = o.newShape(i);
        return t;
    }

    private Value fused(Value y, byte act, String hint, String where) {
        switch (act) {
            case ActivationFunctionType.NONE: return y;
            case ActivationFunctionType.RELU: return b.activation(y, hint, Activation.RELU);
            case ActivationFunctionType.TANH: return b.activation(y, hint, Activation.TANH);
            default:
                throw new ImportException(where + " fuses the activation " + ActivationFunctionType.name(act) + "; supported: NONE, RELU, TANH");
        }
    }

    /** TensorFlow's SAME padding as a symmetric pad, or a refusal when it is uneven. */
    private static int samePad(int in, int k, int s, String where) {
        int out = (in + s - 1) / s;
        int total = Math.max((out - 1) * s + k - in, 0);
        if (total % 2 != 0) {
            throw new ImportException(where + " pads SAME unevenly (" + total + " pixels, the odd one after the image);"
                    + " only symmetric padding is supported");
        }
        return total / 2;
    }

    /** OHWI → OIHW. */
    private static float[] oihw(float[] w, int[] s) {
        int o = s[0], h = s[1], wd = s[2], in = s[3];
        float[] out = new float[w.length];
        for (int a = 0; a < o; a++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < wd; x++) {
                    for (int c = 0; c < in; c++) out[((a * in + c) * h + y) * wd + x] = w[((a * h + y) * wd + x) * in + c];
                }
            }
        }
        return out;
    }

    private int[] shape(int tensor) {
        var t = graph.tensors(tensor);
        int[] s = new int[t.shapeLength()];
        for (int i = 0; i < s.length; i++) s[i] = t.shape(i);
        return s;
    }

    private float[] constantOr(int tensor, String where, String what) {
        float[] c = constant(tensor);
        if (c == null) throw new ImportException(where + ": " + what + " must be a constant of the file");
        return c;
    }

    /** The tensor's values as floats when the file stores them (dequantized), else null (a computed value). */
    private float[] constant(int tensor) {
        if (constants.containsKey(tensor)) return constants.get(tensor);
        if (values.containsKey(tensor)) return null;
        var t = graph.tensors(tensor);
        var buf = model.buffers((int) t.buffer());
        if (buf == null || buf.dataLength() == 0) return null;
        ByteBuffer data = buf.dataAsByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        int n = 1;
        for (int i = 0; i < t.shapeLength(); i++) n *= t.shape(i);
        float[] out = new float[n];
        switch (t.type()) {
            case TensorType.FLOAT32:
                data.asFloatBuffer().get(out);
                break;
            case TensorType.FLOAT16:
                for (int i = 0; i < n; i++) out[i] = HalfPrecision.toFloat(data.getShort(i * 2));
                break;
            case TensorType.INT32:
                for (int i = 0; i < n; i++) out[i] = data.getInt(i * 4);
                if (t.quantization() != null && t.quantization().scaleLength() > 0) dequantize(out, t.quantization(), t, false);
                break;
            case TensorType.INT64:
                for (int i = 0; i < n; i++) out[i] = data.getLong(i * 8);
                break;
            case TensorType.INT8:
                for (int i = 0; i < n; i++) out[i] = data.get(i);
                dequantize(out, t.quantization(), t, true);
                break;
            default:
                throw new ImportException("tensor '" + t.name() + "' has type " + TensorType.name(t.type()) + "; not supported");
        }
        constants.put(tensor, out);
        return out;
    }

    /** Per-tensor or per-channel (along {@code quantized_dimension}) scale and zero point. */
    private static void dequantize(float[] v, QuantizationParameters q, org.tensorflow.lite.schema.Tensor t, boolean required) {
        if (q == null || q.scaleLength() == 0) {
            if (required) throw new ImportException("int8 tensor '" + t.name() + "' has no scale to dequantize it with");
            return;
        }
        int dim = q.quantizedDimension();
        int channels = q.scaleLength();
        int inner = 1;
        for (int i = dim + 1; i < t.shapeLength(); i++) inner *= t.shape(i);
        for (int i = 0; i < v.length; i++) {
            int c = channels == 1 ? 0 : (i / inner) % channels;
            long zero = q.zeroPointLength() > c ? q.zeroPoint(c) : 0;
            v[i] = (float) ((v[i] - zero) * q.scale(c));
        }
    }
}
