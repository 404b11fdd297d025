package dev.digits.convert.tfjs;

import dev.digits.convert.lowering.WeightLayouts;
import dev.digits.core.error.InvalidInputException;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.model.Activation;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.LayerType;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link ModelSpec} with its weights restated as a Keras model, the form {@code tf.loadLayersModel} reads: the
 * layer list in Keras JSON (channels-last everywhere) and the weights in Keras layouts and names
 * ({@code <layer>/kernel} HWIO or [in,out], {@code <layer>/bias}, batch normalisation's
 * {@code gamma|beta|moving_mean|moving_variance}).
 *
 * <p>Where PyTorch and Keras differ, the difference is absorbed at export: a strided "same" convolution (symmetric
 * padding) becomes an explicit ZeroPadding2D before a "valid" Conv2D, since Keras' SAME puts the odd pixel after;
 * Keras flattens height × width × channels where PyTorch flattens channels first, so the rows of the dense layer
 * that reads a flattened image are permuted (or, when something other than a dense layer reads it, a Permute layer
 * restores PyTorch's order before the Flatten).
 */
final class KerasModel {
    /**
     * The trainer's batch-normalisation epsilon (Keras' default is 1e-3), as Keras' JSON writes it: 1e-5, not the
     * float's 9.99999974e-6.
     */
    private static final double BATCHNORM_EPSILON = Double.parseDouble(Float.toString(LayerSpec.BATCHNORM_EPSILON));

    /** One weight array in Keras layout. */
    static final class Weight {
        final String name;
        final int[] shape;
        final float[] values;
        final boolean kernel;

        Weight(String name, int[] shape, float[] values, boolean kernel) {
            this.name = name;
            this.shape = shape;
            this.values = values;
            this.kernel = kernel;
        }

        /** Whether this is a convolution or dense kernel (the weights dynamic-range quantization stores as integers). */
        boolean isKernel() {
            return kernel;
        }
    }

    private static final class Layer {
        final String className;
        final Map<String, Object> config;
        final List<String> inbound;

        Layer(String className, Map<String, Object> config, List<String> inbound) {
            this.className = className;
            this.config = config;
            this.inbound = inbound;
        }

        String name() {
            return (String) config.get("name");
        }
    }

    private final ModelSpec spec;
    private final Map<String, Tensor> source;
    private final Map<String, ModelSpec.Node> nodes = new HashMap<>();
    private final Set<String> taken = new HashSet<>();
    private final List<Layer> layers = new ArrayList<>();
    private final List<Weight> weights = new ArrayList<>();
    private final String inputName;
    private final String outputName;
    private final int[] inputShape;
    private final String inputDtype;
    private boolean residual;

    private KerasModel(ModelSpec spec, Map<String, Tensor> weights, InputLayout layout, InputType inputType) {
        this.spec = spec;
        this.source = weights;
        for (ModelSpec.Node n : spec.nodes()) {
            nodes.put(n.layer().name(), n);
            taken.add(n.layer().name());
        }
        Shape in = spec.inputShape();
        this.inputShape = inputShape(in, layout);
        this.inputDtype = inputType == InputType.UINT8 ? "int32" : "float32";
        Map<String, Object> inputConfig = new LinkedHashMap<>();
        List<Object> batchShape = new ArrayList<>();
        batchShape.add(null);
        for (int d : inputShape) batchShape.add(d);
        inputConfig.put("batch_input_shape", batchShape);
        inputConfig.put("dtype", inputDtype);
        inputConfig.put("sparse", false);
        inputConfig.put("ragged", false);
        this.inputName = add("InputLayer", unique("input"), inputConfig, List.of());
        String x = inputName;
        if (inputType == InputType.UINT8) {
            // TF.js has no uint8 tensors: images arrive as int32 0–255 (what tf.browser.fromPixels returns).
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("scale", 1.0 / 255.0);
            c.put("offset", 0.0);
            x = add("Rescaling", unique("rescale"), c, List.of(x));
        }
        x = adaptInput(x, in, layout);
        this.outputName = build(spec.layers(), x);
    }

    /**
     * Restates {@code spec} with {@code weights} (spec names, PyTorch layouts) for the given input contract.
     *
     * @throws UnsupportedModelException when the input contract cannot be expressed for this spec
     */
    static KerasModel of(ModelSpec spec, Map<String, Tensor> weights, InputLayout layout, InputType inputType) {
        if (inputType == InputType.INT8) {
            throw new UnsupportedModelException("TF.js models take float32 or int32 input, not int8; export with a float32 input");
        }
        return new KerasModel(spec, weights, layout, inputType);
    }

    /** The layout a spec gets when none is asked for: NHWC for images, flat for flat inputs. */
    static InputLayout defaultLayout(ModelSpec spec) {
        return spec.inputShape().isFlat() ? InputLayout.FLAT : InputLayout.NHWC;
    }

    private static int[] inputShape(Shape in, InputLayout layout) {
        if (layout == InputLayout.FLAT) return new int[] {in.size()};
        int c = in.channels();
        int h = in.height();
        int w = in.width();
        if (in.isFlat()) {
            int side = (int) Math.round(Math.sqrt(in.size()));
            if (side * side != in.size()) {
                throw new UnsupportedModelException("the model's flat input of " + in.size() + " values is not a square image,"
                        + " so it has no " + layout + " form; export it with the flat layout");
            }
            c = 1;
            h = side;
            w = side;
        }
        return layout == InputLayout.NCHW ? new int[] {c, h, w} : new int[] {h, w, c};
    }

    /** Layers that turn the file's input layout into what the spec's first layer reads (channels-last or flat). */
    private String adaptInput(String x, Shape in, InputLayout layout) {
        if (in.isFlat()) {
            return layout == InputLayout.FLAT ? x : add("Flatten", unique("flatten_input"), flattenConfig(), List.of(x));
        }
        if (layout == InputLayout.FLAT) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("target_shape", List.of(in.height(), in.width(), in.channels()));
            return add("Reshape", unique("reshape_input"), c, List.of(x));
        }
        if (layout == InputLayout.NCHW) {
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("dims", List.of(2, 3, 1));
            return add("Permute", unique("channels_last"), c, List.of(x));
        }
        return x;
    }

    /** Emits {@code list} after tensor {@code x}; returns the name of the last layer's output. */
    private String build(List<LayerSpec> list, String x) {
        Shape flattenedHwc = null;
        for (int i = 0; i < list.size(); i++) {
            LayerSpec l = list.get(i);
            ModelSpec.Node node = nodes.get(l.name());
            Shape in = node.inputShape();
            switch (l.type()) {
                case DENSE: {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("units", l.units());
                    c.put("activation", activation(l.activation()));
                    c.put("use_bias", true);
                    c.put("kernel_initializer", initializer("GlorotUniform"));
                    c.put("bias_initializer", initializer("Zeros"));
                    nulls(c, "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint");
                    x = add("Dense", l.name(), c, List.of(x));
                    weights.add(denseKernel(l.name(), param(l.name() + ".weight"), flattenedHwc));
                    weights.add(vector(l.name() + "/bias", param(l.name() + ".bias"), null));
                    flattenedHwc = null;
                    break;
                }
                case CONV2D:
                    x = conv(l.name(), x, l.filters(), l.kernel(), l.stride(), l.pads(), l.activation(),
                            param(l.name() + ".weight"), param(l.name() + ".bias"));
                    break;
                case MAXPOOL2D:
                case AVGPOOL2D: {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("pool_size", List.of(l.pool(), l.pool()));
                    c.put("padding", "valid");
                    c.put("strides", List.of(l.stride(), l.stride()));
                    c.put("data_format", "channels_last");
                    x = add(l.type() == LayerType.MAXPOOL2D ? "MaxPooling2D" : "AveragePooling2D", l.name(), c, List.of(x));
                    break;
                }
                case GLOBAL_AVGPOOL: {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("data_format", "channels_last");
                    x = add("GlobalAveragePooling2D", l.name(), c, List.of(x));
                    break;
                }
                case FLATTEN:
                    if (in.isFlat() || in.channels() == 1 || in.height() * in.width() == 1) {
                        // Both orders coincide: nothing to reorder.
                        x = add("Flatten", l.name(), flattenConfig(), List.of(x));
                    } else if (denseReadsFlattened(list, i + 1)) {
                        x = add("Flatten", l.name(), flattenConfig(), List.of(x));
                        flattenedHwc = in;
                    } else {
                        Map<String, Object> c = new LinkedHashMap<>();
                        c.put("dims", List.of(3, 1, 2));
                        x = add("Permute", unique(l.name() + "_channels_first"), c, List.of(x));
                        x = add("Flatten", l.name(), flattenConfig(), List.of(x));
                    }
                    break;
                case DROPOUT: {
                    // Inactive at inference; kept so the file shows the architecture as trained.
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("rate", l.rate());
                    c.put("noise_shape", null);
                    c.put("seed", null);
                    x = add("Dropout", l.name(), c, List.of(x));
                    break;
                }
                case BATCHNORM: {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("axis", -1);
                    c.put("momentum", 0.99);
                    c.put("epsilon", BATCHNORM_EPSILON);
                    c.put("center", true);
                    c.put("scale", true);
                    c.put("beta_initializer", initializer("Zeros"));
                    c.put("gamma_initializer", initializer("Ones"));
                    c.put("moving_mean_initializer", initializer("Zeros"));
                    c.put("moving_variance_initializer", initializer("Ones"));
                    nulls(c, "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint");
                    x = add("BatchNormalization", l.name(), c, List.of(x));
                    String n = l.name();
                    weights.add(vector(n + "/gamma", param(n + ".gamma"), flattenedHwc));
                    weights.add(vector(n + "/beta", param(n + ".beta"), flattenedHwc));
                    weights.add(vector(n + "/moving_mean", param(n + ".running_mean"), flattenedHwc));
                    weights.add(vector(n + "/moving_variance", param(n + ".running_var"), flattenedHwc));
                    break;
                }
                case ACTIVATION:
                    x = activationLayer(l.name(), x, l.activation());
                    break;
                case ZEROPAD2D:
                    x = zeroPad(l.name(), x, l.padding());
                    break;
                case RESCALE: {
                    Map<String, Object> c = new LinkedHashMap<>();
                    c.put("scale", l.scale());
                    c.put("offset", l.offset());
                    x = add("Rescaling", l.name(), c, List.of(x));
                    break;
                }
                case RESIDUAL:
                    x = residual(l, node, x);
                    break;
                default:
                    throw new UnsupportedModelException("layer " + l.name() + " (" + l.describe() + ") has no TF.js form;"
                            + " the ONNX and TFLite exports may express it");
            }
        }
        return x;
    }

    /** Whether the vector a Flatten at {@code list[from - 1]} makes reaches a dense layer through order-keeping layers only. */
    private static boolean denseReadsFlattened(List<LayerSpec> list, int from) {
        for (int j = from; j < list.size(); j++) {
            LayerType t = list.get(j).type();
            if (t == LayerType.DENSE) return true;
            if (t != LayerType.DROPOUT && t != LayerType.BATCHNORM && t != LayerType.ACTIVATION && t != LayerType.RESCALE) return false;
        }
        return false;
    }

    private String residual(LayerSpec l, ModelSpec.Node node, String x) {
        residual = true;
        String body = build(l.layers(), x);
        String shortcut = x;
        if (!node.inputShape().equals(node.outputShape())) {
            int stride = node.inputShape().height() / node.outputShape().height();
            shortcut = conv(unique(l.name() + "_shortcut"), x, node.outputShape().channels(), 1, stride, 0, Activation.LINEAR,
                    param(l.name() + ".shortcut.weight"), param(l.name() + ".shortcut.bias"));
        }
        String sum = add("Add", l.name(), new LinkedHashMap<>(), List.of(body, shortcut));
        return l.activation() == Activation.LINEAR ? sum : activationLayer(unique(l.name() + "_" + activation(l.activation())), sum, l.activation());
    }

    /** A convolution with PyTorch's symmetric padding: Keras "same" when that is the same thing, else explicit padding. */
    private String conv(String name, String x, int filters, int kernel, int stride, int pads, Activation act, Tensor weight, Tensor bias) {
        String padding = "valid";
        if (pads > 0 && stride == 1 && kernel % 2 == 1 && pads == (kernel - 1) / 2) {
            padding = "same";
        } else if (pads > 0) {
            x = zeroPad(unique(name + "_pad"), x, pads);
        }
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("filters", filters);
        c.put("kernel_size", List.of(kernel, kernel));
        c.put("strides", List.of(stride, stride));
        c.put("padding", padding);
        c.put("data_format", "channels_last");
        c.put("dilation_rate", List.of(1, 1));
        c.put("activation", activation(act));
        c.put("use_bias", true);
        c.put("kernel_initializer", initializer("GlorotUniform"));
        c.put("bias_initializer", initializer("Zeros"));
        nulls(c, "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint", "bias_constraint");
        String out = add("Conv2D", name, c, List.of(x));
        weights.add(convKernel(name, weight));
        weights.add(vector(name + "/bias", bias, null));
        return out;
    }

    private String zeroPad(String name, String x, int p) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("padding", List.of(List.of(p, p), List.of(p, p)));
        c.put("data_format", "channels_last");
        return add("ZeroPadding2D", name, c, List.of(x));
    }

    private String activationLayer(String name, String x, Activation a) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("activation", activation(a));
        return add("Activation", name, c, List.of(x));
    }

    private static Map<String, Object> flattenConfig() {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("data_format", "channels_last");
        return c;
    }

    private static String activation(Activation a) {
        return a.jsonName();
    }

    private static Map<String, Object> initializer(String className) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("class_name", className);
        Map<String, Object> c = new LinkedHashMap<>();
        if (className.equals("GlorotUniform")) c.put("seed", null);
        m.put("config", c);
        return m;
    }

    private static void nulls(Map<String, Object> c, String... keys) {
        for (String k : keys) c.put(k, null);
    }

    private String add(String className, String name, Map<String, Object> config, List<String> inbound) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("trainable", true);
        if (!className.equals("InputLayer")) c.put("dtype", "float32");
        c.putAll(config);
        taken.add(name);
        layers.add(new Layer(className, c, inbound));
        return name;
    }

    /** {@code base}, or {@code base_2}, {@code base_3}, … when a spec layer or an earlier added layer has that name. */
    private String unique(String base) {
        String n = base;
        for (int i = 2; taken.contains(n); i++) n = base + "_" + i;
        taken.add(n);
        return n;
    }

    private Tensor param(String name) {
        Tensor t = source.get(name);
        if (t == null) {
            throw new InvalidInputException("the weights have no " + name + ": they do not belong to architecture " + spec.name());
        }
        long[] expected = spec.parameters().get(name);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new InvalidInputException("weights " + name + " have shape " + Arrays.toString(t.shape())
                    + " but architecture " + spec.name() + " needs " + Arrays.toString(expected));
        }
        return t;
    }

    /** PyTorch [out, in, kh, kw] → Keras HWIO [kh, kw, in, out]. */
    private static Weight convKernel(String layer, Tensor t) {
        int out = t.dim(0);
        int in = t.dim(1);
        int kh = t.dim(2);
        int kw = t.dim(3);
        return new Weight(layer + "/kernel", new int[] {kh, kw, in, out}, WeightLayouts.hwio(t), true);
    }

    /**
     * PyTorch [out, in] → Keras [in, out]. When the input is a flattened image in Keras' height × width × channels
     * order, Keras row {@code j} takes PyTorch column {@link #chwIndex}.
     */
    private static Weight denseKernel(String layer, Tensor t, Shape flattenedHwc) {
        int out = t.dim(0);
        int in = t.dim(1);
        float[] src = t.data();
        float[] dst = new float[src.length];
        for (int j = 0; j < in; j++) {
            int col = flattenedHwc == null ? j : chwIndex(flattenedHwc, j);
            for (int o = 0; o < out; o++) dst[j * out + o] = src[o * in + col];
        }
        return new Weight(layer + "/kernel", new int[] {in, out}, dst, true);
    }

    private static Weight vector(String name, Tensor t, Shape flattenedHwc) {
        float[] src = t.data();
        float[] dst = src.clone();
        if (flattenedHwc != null) {
            for (int j = 0; j < dst.length; j++) dst[j] = src[chwIndex(flattenedHwc, j)];
        }
        return new Weight(name, new int[] {dst.length}, dst, false);
    }

    private static int chwIndex(Shape s, int hwc) {
        return WeightLayouts.chwIndex(s, hwc);
    }

    /** Weights in the order the layers use them. */
    List<Weight> weights() {
        return weights;
    }

    /** The input shape without the batch dimension. */
    int[] inputShape() {
        return inputShape.clone();
    }

    /** "float32", or "int32" for 0–255 images. */
    String inputDtype() {
        return inputDtype;
    }

    /**
     * The {@code modelTopology} of model.json: a Sequential model for plain stacks, a functional model (with
     * inbound nodes) when there are residual blocks.
     */
    Map<String, Object> topology(String tfjsLayersVersion) {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("name", spec.name());
        List<Object> list = new ArrayList<>();
        for (Layer l : layers) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class_name", l.className);
            m.put("config", l.config);
            if (residual) {
                m.put("name", l.name());
                List<Object> inbound = new ArrayList<>();
                for (String from : l.inbound) inbound.add(List.of(from, 0, 0, new LinkedHashMap<>()));
                m.put("inbound_nodes", l.inbound.isEmpty() ? List.of() : List.of(inbound));
            }
            list.add(m);
        }
        config.put("layers", list);
        if (residual) {
            config.put("input_layers", List.of(List.of(inputName, 0, 0)));
            config.put("output_layers", List.of(List.of(outputName, 0, 0)));
        }
        Map<String, Object> modelConfig = new LinkedHashMap<>();
        modelConfig.put("class_name", residual ? "Functional" : "Sequential");
        modelConfig.put("config", config);
        Map<String, Object> topology = new LinkedHashMap<>();
        topology.put("keras_version", "tfjs-layers " + tfjsLayersVersion);
        topology.put("backend", "tensor_flow.js");
        topology.put("model_config", modelConfig);
        return topology;
    }
}
