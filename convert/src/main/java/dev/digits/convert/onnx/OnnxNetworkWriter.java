package dev.digits.convert.onnx;

import dev.digits.core.error.InvalidInputException;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.convert.lowering.BatchNormAffine;
import dev.digits.core.model.Activation;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.LayerType;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.digits.convert.onnx.OnnxGraphBuilder.integer;
import static dev.digits.convert.onnx.OnnxGraphBuilder.ints;
import static dev.digits.convert.onnx.OnnxGraphBuilder.real;

/**
 * Translates a {@link ModelSpec} and its weights into an ONNX graph, layer by layer, in PyTorch's NCHW layout
 * throughout (so weights need no permutation): an NHWC or flat input is turned into NCHW by one Transpose or Reshape
 * at the start, a uint8 input is cast and scaled to [0,1] inside the graph. Dropout disappears; a batch
 * normalisation that directly follows a linear convolution or dense layer is folded into its weights, any other
 * becomes a BatchNormalization operator. The graph ends in Softmax.
 */
final class OnnxNetworkWriter {
    /** The graph input's name. */
    static final String INPUT = "input";
    /** The graph output's name: {@code [N, classes]} float32 probabilities. */
    static final String OUTPUT = "probabilities";

    private final ModelSpec spec;
    private final Map<String, Tensor> weights;
    private final ParameterEncoding encoding;
    private final OnnxGraphBuilder g = new OnnxGraphBuilder();
    private final Map<String, ModelSpec.Node> nodes = new HashMap<>();

    private OnnxNetworkWriter(ModelSpec spec, Map<String, Tensor> weights, ParameterEncoding encoding) {
        this.spec = spec;
        this.weights = weights;
        this.encoding = encoding;
        for (ModelSpec.Node n : spec.nodes()) nodes.put(n.layer().name(), n);
    }

    /** The layout an ONNX file gets when none is asked for: NCHW for image models, flat for flat-input models. */
    static InputLayout defaultLayout(ModelSpec spec) {
        return spec.inputShape().isFlat() ? InputLayout.FLAT : InputLayout.NCHW;
    }

    /**
     * The graph for {@code spec} with {@code weights}.
     *
     * @throws UnsupportedModelException when a flat-input model is asked for an image layout
     */
    static GraphProto write(ModelSpec spec, Map<String, Tensor> weights, InputLayout layout, InputType type, ParameterEncoding encoding) {
        return new OnnxNetworkWriter(spec, weights, encoding).build(layout, type);
    }

    private GraphProto build(InputLayout layout, InputType type) {
        String x = encoding.input(g, input(layout, type));
        String out = layers(spec.layers(), x);
        if (!out.equals(OUTPUT)) throw new IllegalStateException("the network does not end in softmax");
        g.output(OUTPUT, DataType.FLOAT, null, (long) spec.classes());
        return g.build(spec.name(), spec.description());
    }

    /** Declares the input in the requested contract and returns it as float NCHW (or flat) values in [0,1]. */
    private String input(InputLayout layout, InputType type) {
        Shape in = spec.inputShape();
        if (in.isFlat() && layout != InputLayout.FLAT) {
            throw new UnsupportedModelException("model '" + spec.name() + "' takes a flat input of " + in.size()
                    + " values, so its ONNX input cannot be " + layout + "; export it with the flat layout");
        }
        DataType element = type == InputType.UINT8 ? DataType.UINT8 : type == InputType.INT8 ? DataType.INT8 : DataType.FLOAT;
        switch (layout) {
            case NCHW:
                g.input(INPUT, element, null, (long) in.channels(), (long) in.height(), (long) in.width());
                break;
            case NHWC:
                g.input(INPUT, element, null, (long) in.height(), (long) in.width(), (long) in.channels());
                break;
            default:
                g.input(INPUT, element, null, (long) in.size());
        }
        String x = INPUT;
        if (type == InputType.UINT8) {
            x = g.node("Cast", INPUT + "/float", List.of(x), integer("to", DataType.FLOAT_VALUE));
            x = g.node("Mul", INPUT + "/scaled", List.of(x, g.scalar(INPUT + "/one_255th", 1f / 255f)));
        } else if (type == InputType.INT8) {
            // int8 q stands for (q + 128) / 255: the [0,1] grid of uint8 pixels shifted into int8.
            String scale = g.scalar(INPUT + "/scale", 1f / 255f);
            String zero = g.int8s(INPUT + "/zero_point", new long[0], new byte[] {(byte) -128});
            x = g.node("DequantizeLinear", INPUT + "/dequantized", List.of(x, scale, zero));
        }
        if (!in.isFlat() && layout == InputLayout.NHWC) {
            x = g.node("Transpose", INPUT + "/nchw", List.of(x), ints("perm", 0, 3, 1, 2));
        } else if (!in.isFlat() && layout == InputLayout.FLAT) {
            String shape = g.int64s(INPUT + "/shape", -1, in.channels(), in.height(), in.width());
            x = g.node("Reshape", INPUT + "/nchw", List.of(x, shape));
        }
        return x;
    }

    private String layers(List<LayerSpec> list, String x) {
        for (int i = 0; i < list.size(); i++) {
            LayerSpec l = list.get(i);
            switch (l.type()) {
                case DROPOUT:
                    break;
                case CONV2D:
                case DENSE: {
                    int bn = foldableBatchNorm(list, i);
                    x = weighted(l, x, bn < 0 ? null : list.get(bn));
                    if (bn >= 0) i = bn;
                    break;
                }
                case MAXPOOL2D:
                case AVGPOOL2D:
                    x = g.node(l.type() == LayerType.MAXPOOL2D ? "MaxPool" : "AveragePool", l.name() + "/Pool", List.of(x),
                            ints("kernel_shape", l.pool(), l.pool()), ints("strides", l.stride(), l.stride()));
                    x = encoding.activation(g, x);
                    break;
                case GLOBAL_AVGPOOL:
                    x = g.node("GlobalAveragePool", l.name() + "/GlobalAveragePool", List.of(x));
                    x = encoding.activation(g, g.node("Flatten", l.name() + "/Flatten", List.of(x), integer("axis", 1)));
                    break;
                case FLATTEN:
                    x = encoding.activation(g, g.node("Flatten", l.name() + "/Flatten", List.of(x), integer("axis", 1)));
                    break;
                case BATCHNORM:
                    x = encoding.activation(g, batchNorm(l, x));
                    break;
                case ACTIVATION:
                    // A linear activation layer is the identity: its input has been handed to the encoding already.
                    if (l.activation() != Activation.LINEAR) x = activate(l.name(), l.activation(), x);
                    break;
                case ZEROPAD2D: {
                    long p = l.padding();
                    String pads = g.int64s(l.name() + "/pads", 0, 0, p, p, 0, 0, p, p);
                    x = encoding.activation(g, g.node("Pad", l.name() + "/Pad", List.of(x, pads), OnnxGraphBuilder.text("mode", "constant")));
                    break;
                }
                case RESCALE:
                    x = encoding.activation(g, rescale(l, x));
                    break;
                case RESIDUAL:
                    x = residual(l, x);
                    break;
                default:
                    throw new UnsupportedModelException("layer " + l.name() + " (" + l.describe() + ") has no ONNX translation");
            }
        }
        return x;
    }

    /** Index of a batch normalisation that can be folded into the weighted layer at {@code i}, or -1. */
    private static int foldableBatchNorm(List<LayerSpec> list, int i) {
        if (list.get(i).activation() != Activation.LINEAR) return -1;
        int j = i + 1;
        while (j < list.size() && list.get(j).type() == LayerType.DROPOUT) j++;
        return j < list.size() && list.get(j).type() == LayerType.BATCHNORM ? j : -1;
    }

    /** A convolution or dense layer, with {@code bn} folded into it when not null, and its activation. */
    private String weighted(LayerSpec l, String x, LayerSpec bn) {
        Tensor w = weight(l.name() + ".weight");
        float[] weight = w.data().clone();
        float[] bias = weight(l.name() + ".bias").data().clone();
        if (bn != null) BatchNormAffine.of(weights, bn.name()).foldInto(weight, bias);
        ParameterEncoding.WeightAndBias p = encoding.weightAndBias(g, l.name(), w.shape(), weight, bias, x);
        String y;
        if (l.type() == LayerType.CONV2D) {
            long k = l.kernel();
            long pad = l.pads();
            y = g.node("Conv", l.name() + "/Conv", List.of(x, p.weight, p.bias), ints("kernel_shape", k, k),
                    ints("strides", l.stride(), l.stride()), ints("pads", pad, pad, pad, pad));
        } else {
            y = g.node("Gemm", l.name() + "/Gemm", List.of(x, p.weight, p.bias), integer("transB", 1));
        }
        return activate(bn != null ? bn.name() : l.name(), l.activation(), y);
    }

    /** {@code x·scale + offset} as a Mul and an Add of one-element vectors, which broadcast over any layout. */
    private String rescale(LayerSpec l, String x) {
        String n = l.name();
        String y = x;
        if (l.scale() != 1) y = g.node("Mul", n + "/Mul", List.of(y, encoding.vector(g, n + ".scale", new float[] {(float) l.scale()})));
        if (l.offset() != 0) y = g.node("Add", n + "/Add", List.of(y, encoding.vector(g, n + ".offset", new float[] {(float) l.offset()})));
        return y.equals(x) ? g.node("Identity", n + "/Identity", List.of(x)) : y;
    }

    private String batchNorm(LayerSpec l, String x) {
        String n = l.name();
        if (nodes.get(n).inputShape().isFlat()) {
            // After a dense layer with an activation: y = x·a + c per feature, as two broadcast operators.
            BatchNormAffine affine = BatchNormAffine.of(weights, n);
            String scaled = g.node("Mul", n + "/Mul", List.of(x, encoding.vector(g, n + ".scale", affine.scale())));
            return g.node("Add", n + "/Add", List.of(scaled, encoding.vector(g, n + ".shift", affine.shift())));
        }
        return g.node("BatchNormalization", n + "/BatchNormalization", List.of(x,
                        encoding.vector(g, n + ".gamma", weight(n + ".gamma").data()),
                        encoding.vector(g, n + ".beta", weight(n + ".beta").data()),
                        encoding.vector(g, n + ".running_mean", weight(n + ".running_mean").data()),
                        encoding.vector(g, n + ".running_var", weight(n + ".running_var").data())),
                real("epsilon", LayerSpec.BATCHNORM_EPSILON));
    }

    private String residual(LayerSpec l, String x) {
        ModelSpec.Node node = nodes.get(l.name());
        String body = layers(l.layers(), x);
        String shortcut = x;
        if (!node.inputShape().equals(node.outputShape())) {
            long stride = node.inputShape().height() / node.outputShape().height();
            Tensor w = weight(l.name() + ".shortcut.weight");
            ParameterEncoding.WeightAndBias p = encoding.weightAndBias(g, l.name() + ".shortcut", w.shape(), w.data(),
                    weight(l.name() + ".shortcut.bias").data(), x);
            shortcut = g.node("Conv", l.name() + "/shortcut/Conv", List.of(x, p.weight, p.bias), ints("kernel_shape", 1, 1),
                    ints("strides", stride, stride));
            shortcut = encoding.activation(g, shortcut);
        }
        return activate(l.name(), l.activation(), g.node("Add", l.name() + "/Add", List.of(body, shortcut)));
    }

    /**
     * Applies {@code a} to the fresh value {@code x} and hands the result to the encoding (which may quantize it);
     * softmax, always the last operation, writes the graph output.
     */
    private String activate(String layer, Activation a, String x) {
        switch (a) {
            case LINEAR:
                return encoding.activation(g, x);
            case RELU:
                return encoding.activation(g, g.node("Relu", layer + "/Relu", List.of(x)));
            case SIGMOID:
                return encoding.activation(g, g.node("Sigmoid", layer + "/Sigmoid", List.of(x)));
            case TANH:
                return encoding.activation(g, g.node("Tanh", layer + "/Tanh", List.of(x)));
            case SOFTMAX:
                // The logits stay float: probabilities near 0 and 1 need more than 256 levels.
                g.nodeWithOutput("Softmax", layer + "/Softmax", List.of(x), OUTPUT, integer("axis", 1));
                return OUTPUT;
            default:
                throw new UnsupportedModelException("activation " + a.jsonName() + " has no ONNX translation");
        }
    }

    private Tensor weight(String name) {
        Tensor t = weights.get(name);
        if (t == null) throw new InvalidInputException("the weights have no " + name + ": they belong to another architecture");
        return t;
    }
}
