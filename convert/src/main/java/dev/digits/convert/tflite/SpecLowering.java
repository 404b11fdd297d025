package dev.digits.convert.tflite;

import dev.digits.convert.lowering.BatchNormAffine;
import dev.digits.convert.lowering.WeightLayouts;
import dev.digits.core.error.InvalidInputException;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.model.Activation;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.LayerType;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link ModelSpec} and its PyTorch-layout weights into a float32 TFLite graph in NHWC: convolution weights
 * become OHWI, batch normalisation is folded into the convolution (or dense layer) before it, ReLUs are fused into the
 * op that produces their input, and the PyTorch (CHW) flatten order is absorbed by permuting the next dense layer's
 * weight columns.
 */
final class SpecLowering {

    private final ModelSpec spec;
    private final Map<String, Tensor> weights;
    private final Map<String, ModelSpec.Node> nodes = new HashMap<>();
    private final Graph g = new Graph();
    /** Tensors a residual block still adds to its body's result: no later op may be fused into their producer. */
    private final List<GraphTensor> shortcuts = new ArrayList<>();
    /**
     * The order of the current flat tensor: element {@code i} holds PyTorch feature {@code order[i]}; null when
     * both agree. Set by a flatten of a multi-channel image (NHWC flattens in HWC order, PyTorch in CHW order).
     */
    private int[] order;

    private SpecLowering(ModelSpec spec, Map<String, Tensor> weights) {
        this.spec = spec;
        this.weights = weights;
        for (ModelSpec.Node n : spec.nodes()) nodes.put(n.layer().name(), n);
    }

    /**
     * Lowers {@code spec}.
     *
     * @param layout the input layout asked for, or null for the natural one (NHWC for images, FLAT for flat inputs)
     * @throws UnsupportedModelException when the layout cannot feed this model
     */
    static Graph lower(ModelSpec spec, Map<String, Tensor> weights, InputLayout layout) {
        SpecLowering l = new SpecLowering(spec, weights);
        GraphTensor x = l.input(layout);
        x = l.sequence(spec.layers(), x);
        if (l.order != null) throw new IllegalStateException("the output is left in a permuted order");
        l.g.setOutput(x);
        return l.g;
    }

    /** The layout a model gets when none is asked for. */
    static InputLayout naturalLayout(ModelSpec spec) {
        return spec.inputShape().isFlat() ? InputLayout.FLAT : InputLayout.NHWC;
    }

    private GraphTensor input(InputLayout asked) {
        Shape in = spec.inputShape();
        InputLayout layout = asked == null ? naturalLayout(spec) : asked;
        if (in.isFlat()) {
            GraphTensor x;
            if (layout == InputLayout.FLAT) {
                x = g.namedActivation(Graph.INPUT_NAME, 1, in.size());
                g.setInput(x);
                return x;
            }
            // A flat input of a square number of features is a grayscale image read row by row (mlp512's 784 =
            // 28×28), so an image input only needs reshaping.
            int side = (int) Math.round(Math.sqrt(in.size()));
            if (side * side != in.size()) {
                throw new UnsupportedModelException("model '" + spec.name() + "' takes a flat input of " + in.size()
                        + " features, which is not a square image, so its TFLite input cannot be " + layout
                        + "; export it with the flat layout (the default for this model)");
            }
            x = layout == InputLayout.NHWC ? g.namedActivation(Graph.INPUT_NAME, 1, side, side, 1)
                    : g.namedActivation(Graph.INPUT_NAME, 1, 1, side, side);
            g.setInput(x);
            return reshape(x, "image_flat", new int[] {1, in.size()});
        }
        int h = in.height();
        int w = in.width();
        int c = in.channels();
        switch (layout) {
            case NHWC: {
                GraphTensor x = g.namedActivation(Graph.INPUT_NAME, 1, h, w, c);
                g.setInput(x);
                return x;
            }
            case FLAT: {
                GraphTensor x = g.namedActivation(Graph.INPUT_NAME, 1, h * w * c);
                g.setInput(x);
                return reshape(x, "image_nhwc", new int[] {1, h, w, c});
            }
            case NCHW: {
                GraphTensor x = g.namedActivation(Graph.INPUT_NAME, 1, c, h, w);
                g.setInput(x);
                // One channel: NCHW and NHWC hold the same bytes, a reshape is enough.
                if (c == 1) return reshape(x, "image_nhwc", new int[] {1, h, w, c});
                return transpose(x, "image_nhwc", new int[] {0, 2, 3, 1});
            }
            default:
                throw new IllegalStateException("layout " + layout);
        }
    }

    private GraphTensor sequence(List<LayerSpec> layers, GraphTensor in) {
        GraphTensor x = in;
        for (int i = 0; i < layers.size(); i++) {
            LayerSpec l = layers.get(i);
            ModelSpec.Node node = nodes.get(l.name());
            switch (l.type()) {
                case CONV2D:
                    x = conv(l, node, x);
                    break;
                case DENSE:
                    x = dense(l, x);
                    break;
                case MAXPOOL2D:
                case AVGPOOL2D:
                    x = pool(l, node, x);
                    break;
                case GLOBAL_AVGPOOL: {
                    GraphTensor axes = g.intConstant(l.name() + "/axes", new int[] {2}, new int[] {1, 2});
                    x = g.add(OpKind.MEAN, List.of(x, axes), l.name(), 1, node.outputShape().size()).output();
                    break;
                }
                case FLATTEN:
                    x = flatten(l, node, x, layers, i);
                    break;
                case DROPOUT:
                    break;
                case BATCHNORM:
                    x = batchNorm(l, node, x);
                    break;
                case ACTIVATION:
                    x = activation(l.activation(), x, l.name());
                    break;
                case ZEROPAD2D: {
                    int p = l.padding();
                    x = pad(x, l.name(), p, p, p, p);
                    break;
                }
                case RESCALE:
                    x = rescale(l, x);
                    break;
                case RESIDUAL:
                    x = residual(l, node, x);
                    break;
                default:
                    throw new UnsupportedModelException("layer " + l.name() + " (" + l.describe()
                            + "): the TFLite exporter has no operator for " + l.type().jsonName() + " layers");
            }
        }
        return x;
    }

    private GraphTensor conv(LayerSpec l, ModelSpec.Node node, GraphTensor x) {
        Shape in = node.inputShape();
        Shape out = node.outputShape();
        int k = l.kernel();
        int s = l.stride();
        int p = l.pads();
        boolean same = false;
        if (p > 0) {
            same = tfSameMatches(in.height(), out.height(), k, s, p) && tfSameMatches(in.width(), out.width(), k, s, p);
            // TensorFlow's SAME puts the odd pixel after the image; where that differs from the spec's symmetric
            // padding, pad explicitly and run a VALID convolution.
            if (!same) x = pad(x, l.name() + "/pad", p, p, p, p);
        }
        GraphOp op = convOp(l.name(), x, weights(l.name() + ".weight"), weights(l.name() + ".bias"), s, out);
        op.samePadding = same;
        return activation(l.activation(), op.output(), l.name());
    }

    /** Whether TensorFlow's SAME padding of a convolution equals {@code p} zeros on each side. */
    static boolean tfSameMatches(int in, int out, int k, int s, int p) {
        int tfOut = (in + s - 1) / s;
        int total = Math.max((tfOut - 1) * s + k - in, 0);
        return tfOut == out && total / 2 == p;
    }

    private GraphOp convOp(String name, GraphTensor x, Tensor w, Tensor b, int stride, Shape out) {
        int o = w.dim(0);
        int i = w.dim(1);
        int kh = w.dim(2);
        int kw = w.dim(3);
        float[] ohwi = WeightLayouts.ohwi(w);
        GraphTensor wt = g.floatConstant(name + "/weights", new int[] {o, kh, kw, i}, ohwi);
        GraphTensor bt = g.floatConstant(name + "/bias", new int[] {o}, b.data().clone());
        GraphOp op = g.add(OpKind.CONV_2D, List.of(x, wt, bt), name, 1, out.height(), out.width(), out.channels());
        op.strideH = stride;
        op.strideW = stride;
        op.filterH = kh;
        op.filterW = kw;
        return op;
    }

    private GraphTensor dense(LayerSpec l, GraphTensor x) {
        Tensor w = weights(l.name() + ".weight");
        int units = w.dim(0);
        int features = w.dim(1);
        float[] src = w.data();
        float[] m = src.clone();
        if (order != null) {
            // Column j of the file's matrix multiplies element j of the NHWC-flattened input, which is PyTorch
            // feature order[j].
            for (int u = 0; u < units; u++) {
                for (int j = 0; j < features; j++) m[u * features + j] = src[u * features + order[j]];
            }
            order = null;
        }
        GraphTensor wt = g.floatConstant(l.name() + "/weights", new int[] {units, features}, m);
        GraphTensor bt = g.floatConstant(l.name() + "/bias", new int[] {units}, weights(l.name() + ".bias").data().clone());
        GraphOp op = g.add(OpKind.FULLY_CONNECTED, List.of(x, wt, bt), l.name(), 1, units);
        return activation(l.activation(), op.output(), l.name());
    }

    private GraphTensor pool(LayerSpec l, ModelSpec.Node node, GraphTensor x) {
        Shape out = node.outputShape();
        OpKind kind = l.type() == LayerType.MAXPOOL2D ? OpKind.MAX_POOL_2D : OpKind.AVERAGE_POOL_2D;
        GraphOp op = g.add(kind, List.of(x), l.name(), 1, out.height(), out.width(), out.channels());
        op.filterH = l.pool();
        op.filterW = l.pool();
        op.strideH = l.stride();
        op.strideW = l.stride();
        return op.output();
    }

    private GraphTensor flatten(LayerSpec l, ModelSpec.Node node, GraphTensor x, List<LayerSpec> layers, int at) {
        Shape in = node.inputShape();
        if (in.isFlat()) return x;
        int c = in.channels();
        int h = in.height();
        int w = in.width();
        if (c > 1 && h * w > 1) {
            if (denseFollows(layers, at)) {
                order = WeightLayouts.chwOrder(in);
            } else {
                // No dense layer to absorb the order: the flat values reach a residual sum or the output, so
                // they must be in PyTorch's order.
                x = transpose(x, l.name() + "/nchw", new int[] {0, 3, 1, 2});
            }
        }
        return reshape(x, l.name(), new int[] {1, c * h * w});
    }

    /** Whether a dense layer reads the flatten at {@code at} through only element-wise layers. */
    private static boolean denseFollows(List<LayerSpec> layers, int at) {
        for (int j = at + 1; j < layers.size(); j++) {
            LayerSpec n = layers.get(j);
            if (n.type() == LayerType.DENSE) return true;
            boolean elementwise = n.type() == LayerType.DROPOUT || n.type() == LayerType.BATCHNORM || n.type() == LayerType.RESCALE
                    || (n.type() == LayerType.ACTIVATION && n.activation() != Activation.SOFTMAX);
            if (!elementwise) return false;
        }
        return false;
    }

    /** {@code x·scale + offset}: a MUL and an ADD of one-element constants, which broadcast over any shape. */
    private GraphTensor rescale(LayerSpec l, GraphTensor x) {
        int[] shape = x.shape();
        GraphTensor sc = g.floatConstant(l.name() + "/scale", new int[] {1}, new float[] {(float) l.scale()});
        GraphTensor sh = g.floatConstant(l.name() + "/offset", new int[] {1}, new float[] {(float) l.offset()});
        GraphTensor scaled = g.add(OpKind.MUL, List.of(x, sc), l.name() + "/scaled", shape).output();
        return g.add(OpKind.ADD, List.of(scaled, sh), l.name(), shape).output();
    }

    private GraphTensor batchNorm(LayerSpec l, ModelSpec.Node node, GraphTensor x) {
        BatchNormAffine affine = BatchNormAffine.of(weights, l.name());
        if (order != null) affine = affine.permuted(order);
        int n = affine.size();
        GraphOp producer = g.producer(x);
        if (producer != null && (producer.kind() == OpKind.CONV_2D || producer.kind() == OpKind.FULLY_CONNECTED)
                && !producer.fusedRelu && !shortcuts.contains(x)) {
            // y = scale·(Wx + b) + shift: scale each output channel's weights and bias.
            affine.foldInto(producer.input(1).floats(), producer.input(2).floats());
            return x;
        }
        int[] shape = x.shape();
        GraphTensor sc = g.floatConstant(l.name() + "/scale", new int[] {n}, affine.scale());
        GraphTensor sh = g.floatConstant(l.name() + "/shift", new int[] {n}, affine.shift());
        GraphTensor scaled = g.add(OpKind.MUL, List.of(x, sc), l.name() + "/scaled", shape).output();
        return g.add(OpKind.ADD, List.of(scaled, sh), l.name(), shape).output();
    }

    private GraphTensor activation(Activation a, GraphTensor x, String name) {
        switch (a) {
            case LINEAR:
                return x;
            case RELU: {
                GraphOp producer = g.producer(x);
                if (producer != null && producer.kind().fusesActivation() && !producer.fusedRelu && !shortcuts.contains(x)) {
                    producer.fusedRelu = true;
                    return x;
                }
                return g.add(OpKind.RELU, List.of(x), name + "/relu", x.shape()).output();
            }
            case SIGMOID:
                return g.add(OpKind.LOGISTIC, List.of(x), name + "/sigmoid", x.shape()).output();
            case TANH:
                return g.add(OpKind.TANH, List.of(x), name + "/tanh", x.shape()).output();
            case SOFTMAX: {
                // The spec allows softmax only as the network's last step: its result is the file's output.
                GraphTensor out = g.namedActivation(Graph.OUTPUT_NAME, x.shape());
                g.append(new GraphOp(OpKind.SOFTMAX, List.of(x), out));
                return out;
            }
            default:
                throw new IllegalStateException("activation " + a);
        }
    }

    private GraphTensor residual(LayerSpec l, ModelSpec.Node node, GraphTensor x) {
        shortcuts.add(x);
        GraphTensor body = sequence(l.layers(), x);
        shortcuts.remove(x);
        GraphTensor shortcut = x;
        Shape in = node.inputShape();
        Shape out = node.outputShape();
        if (!in.equals(out)) {
            int stride = in.height() / out.height();
            shortcut = convOp(l.name() + "_shortcut", x, weights(l.name() + ".shortcut.weight"),
                    weights(l.name() + ".shortcut.bias"), stride, out).output();
        }
        GraphTensor sum = g.add(OpKind.ADD, List.of(body, shortcut), l.name(), body.shape()).output();
        return activation(l.activation(), sum, l.name());
    }

    private GraphTensor pad(GraphTensor x, String name, int top, int bottom, int left, int right) {
        GraphTensor paddings = g.intConstant(name + "/paddings", new int[] {4, 2}, new int[] {0, 0, top, bottom, left, right, 0, 0});
        int[] s = x.shape();
        return g.add(OpKind.PAD, List.of(x, paddings), name, s[0], s[1] + top + bottom, s[2] + left + right, s[3]).output();
    }

    private GraphTensor reshape(GraphTensor x, String name, int[] shape) {
        int[] target = shape.clone();
        // A free batch dimension lets the runtime resize the input to a batch of any size.
        target[0] = -1;
        GraphTensor st = g.intConstant(name + "/shape", new int[] {target.length}, target);
        return g.add(OpKind.RESHAPE, List.of(x, st), name, shape).output();
    }

    private GraphTensor transpose(GraphTensor x, String name, int[] perm) {
        int[] s = x.shape();
        int[] out = new int[perm.length];
        for (int i = 0; i < perm.length; i++) out[i] = s[perm[i]];
        GraphTensor pt = g.intConstant(name + "/perm", new int[] {perm.length}, perm);
        return g.add(OpKind.TRANSPOSE, List.of(x, pt), name, out).output();
    }

    private Tensor weights(String name) {
        Tensor t = weights.get(name);
        if (t == null) throw new InvalidInputException("the weights have no " + name + ": they belong to another architecture");
        return t;
    }
}
