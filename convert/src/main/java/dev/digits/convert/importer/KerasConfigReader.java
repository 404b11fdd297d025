package dev.digits.convert.importer;

import dev.digits.convert.importer.NetworkBuilder.Layout;
import dev.digits.convert.importer.NetworkBuilder.Value;
import dev.digits.core.model.Activation;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a Keras model configuration — the JSON a TF.js {@code model.json} holds as {@code modelTopology} and a
 * Keras {@code .h5}/{@code .keras} file as {@code model_config}/{@code config.json}: {@code {"class_name":
 * "Sequential"|"Functional"|"Model", "config": {...}}} — and its weights into a Digits network through the
 * {@link NetworkBuilder}. Sequential and Functional models are read, with Functional graphs in both the Keras 2
 * ({@code [[["name", 0, 0, {}]]]}) and the Keras 3 ({@code [{"args": [{"class_name": "__keras_tensor__", ...}]}]})
 * form of {@code inbound_nodes}.
 *
 * <p>Keras computes channels-last: kernels are stored HWIO ({@code [kh, kw, in, out]}) and dense kernels
 * {@code [in, out]}; they are transposed into the builder's OIHW and {@code [out][in]}. Image values are handed to
 * the builder labelled channels-first (the spec is layout-free, and the builder's convolutions and poolings take
 * that label) and seen channels-last only where the order of the numbers shows: at a Flatten, whose flattened
 * vector the next dense layer reads in Keras' (h, w, c) order.
 */
final class KerasConfigReader {
    /** The layer classes that become layers. */
    static final List<String> SUPPORTED = List.of("InputLayer", "Dense", "Conv2D", "MaxPooling2D", "AveragePooling2D",
            "GlobalAveragePooling2D", "Flatten", "Reshape", "Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout",
            "BatchNormalization", "Activation", "ReLU", "Softmax", "Add", "ZeroPadding2D", "Rescaling", "Normalization");

    /** The activations the spec has (besides softmax, which only ends a network). */
    private static final List<String> ACTIVATIONS = List.of("linear", "relu", "sigmoid", "tanh", "softmax");

    /** Keras' backend epsilon, the floor of a Normalization layer's standard deviation. */
    private static final double KERAS_EPSILON = 1e-7;

    /**
     * One stored weight: its name as the file gives it (e.g. {@code dense/kernel}, {@code conv2d_1/bias:0},
     * {@code layers/dense/vars/0}), its shape and values.
     */
    record Weight(String name, long[] shape, float[] values) {
        /** The last part of the name, without Keras 2's {@code :0}: {@code kernel}, {@code bias}, or a position. */
        String kind() {
            String n = name.replaceFirst(":\\d+$", "");
            int slash = n.lastIndexOf('/');
            return slash < 0 ? n : n.substring(slash + 1);
        }
    }

    /** One layer of the configuration, with the layers it reads. */
    private record Node(String className, String name, Map<String, Object> config, List<String> inbound, int index) {
    }

    private final NetworkBuilder b = new NetworkBuilder();
    private final Map<String, List<Weight>> weights;
    private final Map<String, Value> values = new HashMap<>();
    /** Values a softmax made: only the model's output may be one. */
    private final Set<Value> softmaxed = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    /**
     * The channels-last view of each image value, made once per value: a branch that flattens a value and another
     * that reads it must meet at the same value for the builder to find their common ancestor.
     */
    private final Map<Value, Value> channelsLast = new IdentityHashMap<>();
    private int count;

    private KerasConfigReader(Map<String, List<Weight>> weights) {
        this.weights = weights;
    }

    /**
     * Translates {@code model} ({@code {"class_name", "config"}}) with {@code stored} weights (any order; matched to
     * layers by name).
     *
     * @throws ImportException for a layer, option or graph Digits cannot express
     */
    static ImportedNetwork read(Map<String, Object> model, List<Weight> stored, String name, String description) {
        String cls = string(model.get("class_name"));
        if (!Set.of("Sequential", "Functional", "Model").contains(cls)) {
            throw new ImportException("the model is a Keras " + (cls == null ? "object without a class_name" : "'" + cls + "'")
                    + "; Digits imports Sequential and Functional models");
        }
        List<Node> nodes = cls.equals("Sequential") ? sequential(model.get("config")) : functional(map(model.get("config"), "config"));
        Set<String> names = new HashSet<>();
        for (Node n : nodes) names.add(n.name());
        KerasConfigReader r = new KerasConfigReader(group(stored, names));
        return r.translate(nodes, cls.equals("Sequential") ? null : map(model.get("config"), "config"), name, description);
    }

    /** The stored weights per layer, in file order: a weight belongs to the last part of its name that names a layer. */
    static Map<String, List<Weight>> group(List<Weight> stored, Set<String> layers) {
        Map<String, List<Weight>> out = new HashMap<>();
        for (Weight w : stored) {
            String[] parts = w.name().replaceFirst(":\\d+$", "").split("/");
            for (int i = parts.length - 2; i >= 0; i--) {
                if (layers.contains(parts[i])) {
                    out.computeIfAbsent(parts[i], k -> new ArrayList<>()).add(w);
                    break;
                }
            }
        }
        return out;
    }

    private static List<Node> sequential(Object config) {
        List<?> layers;
        Map<String, Object> c = null;
        if (config instanceof List<?> l) {
            layers = l; // Keras before 2.2.3 wrote the layer list itself.
        } else {
            c = map(config, "config");
            layers = list(c.get("layers"), "config.layers");
        }
        List<Node> nodes = new ArrayList<>();
        String previous = null;
        int i = 0;
        for (Object o : layers) {
            Map<String, Object> l = map(o, "a layer");
            Map<String, Object> lc = map(l.get("config"), "a layer's config");
            String cls = string(l.get("class_name"));
            String n = string(lc.get("name"));
            if (n == null) n = string(l.get("name"));
            if (n == null) n = "layer_" + i;
            if (previous == null && !"InputLayer".equals(cls)) {
                // The input is declared by the first layer (batch_input_shape), or by the model (build_input_shape).
                Object shape = lc.containsKey("batch_input_shape") ? lc.get("batch_input_shape") : lc.get("batch_shape");
                if (shape == null && c != null) shape = c.get("build_input_shape");
                if (shape == null) throw new ImportException("the Sequential model declares no input shape (no InputLayer,"
                        + " batch_input_shape or build_input_shape)");
                Map<String, Object> ic = new LinkedHashMap<>();
                ic.put("batch_input_shape", shape);
                ic.put("name", "input");
                nodes.add(new Node("InputLayer", "input", ic, List.of(), -1));
                previous = "input";
            }
            nodes.add(new Node(cls, n, lc, previous == null ? List.of() : List.of(previous), i++));
            previous = n;
        }
        return nodes;
    }

    private static List<Node> functional(Map<String, Object> config) {
        List<?> layers = list(config.get("layers"), "config.layers");
        List<Node> nodes = new ArrayList<>();
        int i = 0;
        for (Object o : layers) {
            Map<String, Object> l = map(o, "a layer");
            Map<String, Object> lc = map(l.get("config"), "a layer's config");
            String cls = string(l.get("class_name"));
            String n = string(l.get("name"));
            if (n == null) n = string(lc.get("name"));
            String where = where(cls, n, i, layers.size());
            List<?> inbound = l.get("inbound_nodes") instanceof List<?> x ? x : List.of();
            if (inbound.size() > 1) {
                throw new ImportException(where + " is applied " + inbound.size() + " times (a shared layer); Digits imports"
                        + " graphs in which each layer runs once");
            }
            List<String> from = new ArrayList<>();
            if (!inbound.isEmpty()) {
                Object node = inbound.get(0);
                if (node instanceof Map<?, ?> m) {
                    collectKerasTensors(m.get("args"), from, where); // Keras 3
                } else {
                    for (Object t : list(node, "an inbound node")) from.add(history(list(t, "an inbound tensor"), where)); // Keras 2
                }
            }
            nodes.add(new Node(cls, n, lc, from, i++));
        }
        return nodes;
    }

    /** The layer names of every {@code __keras_tensor__} in a Keras 3 node's arguments, in order. */
    private static void collectKerasTensors(Object o, List<String> out, String where) {
        if (o instanceof Map<?, ?> m) {
            if ("__keras_tensor__".equals(m.get("class_name")) && m.get("config") instanceof Map<?, ?> c) {
                out.add(history(list(c.get("keras_history"), "keras_history"), where));
                return;
            }
            for (Object v : m.values()) collectKerasTensors(v, out, where);
        } else if (o instanceof List<?> l) {
            for (Object v : l) collectKerasTensors(v, out, where);
        }
    }

    /** {@code [layer, node, tensor, ...]} → the layer, when it is the only output of a layer's only application. */
    private static String history(List<?> h, String where) {
        String layer = string(h.get(0));
        int node = h.size() > 1 ? integer(h.get(1)) : 0;
        int tensor = h.size() > 2 ? integer(h.get(2)) : 0;
        if (node != 0 || tensor != 0) {
            throw new ImportException(where + " reads output " + tensor + " of application " + node + " of '" + layer
                    + "'; Digits imports graphs in which each layer runs once and has one output");
        }
        return layer;
    }

    /** The one layer name a Functional config's {@code input_layers}/{@code output_layers} names. */
    private static String single(Object refs, String what) {
        List<?> l = list(refs, what);
        // Keras 3 writes a single input or output as the triple itself, Keras 2 as a list of triples.
        if (!l.isEmpty() && l.get(0) instanceof String s) return s;
        if (l.size() != 1) {
            throw new ImportException("the model has " + l.size() + " " + what.replace('_', ' ') + "; Digits imports models with one"
                    + " input and one output");
        }
        return string(list(l.get(0), what).get(0));
    }

    private ImportedNetwork translate(List<Node> nodes, Map<String, Object> functional, String name, String description) {
        // Positions count the file's layers, not the input a Sequential model declares on its first layer.
        count = (int) nodes.stream().filter(n -> n.index() >= 0).count();
        Node input;
        String output;
        if (functional == null) {
            input = nodes.get(0);
            output = nodes.get(nodes.size() - 1).name();
        } else {
            String in = single(functional.get("input_layers"), "input_layers");
            output = single(functional.get("output_layers"), "output_layers");
            input = nodes.stream().filter(n -> n.name().equals(in)).findFirst()
                    .orElseThrow(() -> new ImportException("the input layer '" + in + "' is not among the layers"));
        }
        if (!"InputLayer".equals(input.className())) {
            throw new ImportException("the model's input '" + input.name() + "' is a " + input.className() + ", not an InputLayer");
        }
        SourceInput source = SourceInput.of(inputDims(input), input.name());
        // One channel: every layout holds the pixels in the same order, and the builder takes images labelled NCHW.
        values.put(input.name(), b.input(source.specShape(), source.layout() == Layout.FLAT ? Layout.FLAT : Layout.NCHW));

        // Keras lists layers in topological order; follow the inbound references anyway, so an unusual order works.
        List<Node> pending = new ArrayList<>();
        for (Node n : nodes) if (n != input) pending.add(n);
        while (!pending.isEmpty()) {
            boolean progress = false;
            for (java.util.Iterator<Node> it = pending.iterator(); it.hasNext(); ) {
                Node n = it.next();
                if (!values.keySet().containsAll(n.inbound())) continue;
                String where = where(n.className(), n.name(), n.index(), count);
                List<Value> in = new ArrayList<>();
                for (String s : n.inbound()) {
                    Value v = values.get(s);
                    if (softmaxed.contains(v)) {
                        throw new ImportException(where + " reads the output of a softmax; Digits imports networks whose softmax"
                                + " (if any) is their last layer");
                    }
                    in.add(v);
                }
                if (in.isEmpty()) throw new ImportException(where + " reads no input; Digits imports models with one input");
                try {
                    values.put(n.name(), layer(n, in, where));
                } catch (ImportException e) {
                    throw e.getMessage().startsWith("layer ") ? e : new ImportException(where + ": " + e.getMessage());
                }
                it.remove();
                progress = true;
            }
            if (!progress) {
                Node n = pending.get(0);
                throw new ImportException(where(n.className(), n.name(), n.index(), count) + " reads " + n.inbound()
                        + ", which no layer computes from the input");
            }
        }
        Value out = values.get(output);
        if (out == null) throw new ImportException("the output layer '" + output + "' is not among the layers");
        boolean softmax = softmaxed.contains(out);
        NetworkBuilder.Network net = b.finish(out, name, description, softmax);
        return new ImportedNetwork(net, source, softmax ? "probabilities" : "logits");
    }

    private static long[] inputDims(Node input) {
        Map<String, Object> c = input.config();
        Object shape = c.containsKey("batch_input_shape") ? c.get("batch_input_shape") : c.get("batch_shape");
        if (shape == null && c.get("input_shape") != null) {
            List<Object> s = new ArrayList<>();
            s.add(null);
            s.addAll(list(c.get("input_shape"), "input_shape"));
            shape = s;
        }
        if (shape == null) throw new ImportException("the InputLayer '" + input.name() + "' declares no shape");
        List<?> l = list(shape, "the input shape");
        long[] dims = new long[l.size()];
        for (int i = 0; i < dims.length; i++) dims[i] = l.get(i) == null ? -1 : integer(l.get(i));
        return dims;
    }

    static String where(String cls, String name, int index, int of) {
        return "layer " + cls + " '" + name + "'" + (index >= 0 ? " (layer " + (index + 1) + " of " + of + ")" : "");
    }

    private Value layer(Node n, List<Value> in, String where) {
        Map<String, Object> c = n.config();
        String cls = n.className() == null ? "" : n.className();
        Value x = in.get(0);
        if (!cls.equals("Add") && in.size() != 1) throw new ImportException(where + " reads " + in.size() + " values; expected one");
        String dataFormat = string(c.get("data_format"));
        if ("channels_first".equals(dataFormat)) {
            throw new ImportException(where + " computes channels-first (data_format channels_first); Digits imports Keras models"
                    + " in the default channels_last format");
        }
        switch (cls) {
            case "InputLayer":
                throw new ImportException(where + " is a second input; Digits imports models with one input");
            case "Dense":
                return dense(n, x, where);
            case "Conv2D":
                return conv(n, x, where);
            case "MaxPooling2D":
            case "AveragePooling2D":
                return pool(n, x, where, cls.equals("MaxPooling2D"));
            case "GlobalAveragePooling2D":
                return b.globalAvgPool(image(x, where), n.name());
            case "Flatten":
                return flatten(x, n.name());
            case "Reshape":
                return reshape(x, c, n.name(), where);
            case "Dropout":
            case "SpatialDropout2D":
            case "GaussianDropout":
                return b.dropout(x, n.name(), number(c.get("rate"), 0));
            case "GaussianNoise":
                return b.dropout(x, n.name(), 0); // noise only while training
            case "BatchNormalization":
                return batchNorm(n, x, where);
            case "Activation":
                return activation(x, n.name(), c.get("activation"), where);
            case "ReLU": {
                if (c.get("max_value") != null || number(c.get("negative_slope"), 0) != 0 || number(c.get("threshold"), 0) != 0) {
                    throw new ImportException(where + " has max_value, negative_slope or threshold; only the plain ReLU is supported");
                }
                return b.activation(x, n.name(), Activation.RELU);
            }
            case "Softmax": {
                Object axis = c.get("axis");
                if (axis != null && !(axis instanceof Number a && (a.intValue() == -1 || a.intValue() == 1))
                        && !(axis instanceof List<?> l && l.size() == 1 && (integer(l.get(0)) == -1 || integer(l.get(0)) == 1))) {
                    throw new ImportException(where + " over axis " + axis + "; only a softmax over classes is supported");
                }
                return activation(x, n.name(), "softmax", where);
            }
            case "Add":
                if (in.size() != 2) throw new ImportException(where + " adds " + in.size() + " values; only the sum of two (a residual connection) is supported");
                return b.add(in.get(0), in.get(1), n.name());
            case "ZeroPadding2D":
                return zeroPad(n, x, where);
            case "Rescaling":
                return b.rescale(x, n.name(), number(c.get("scale"), 1), number(c.get("offset"), 0));
            case "Normalization":
                return normalization(n, x, where);
            default:
                throw new ImportException(where + " is not supported; supported layers: " + String.join(", ", SUPPORTED));
        }
    }

    private Value dense(Node n, Value x, String where) {
        Map<String, Object> c = n.config();
        int units = integer(c.get("units"));
        if (!x.shape().isFlat() && (x.shape().height() != 1 || x.shape().width() != 1)) {
            throw new ImportException(where + " reads an image " + hwc(x.shape()) + " (Keras applies it to every pixel); Digits"
                    + " supports dense layers on vectors: add a Flatten or GlobalAveragePooling2D before it");
        }
        int features = x.shape().size();
        Weight k = weight(n, "kernel", 0, where);
        requireShape(k, new long[] {features, units}, where, "kernel");
        float[] w = new float[units * features];
        for (int i = 0; i < features; i++) for (int o = 0; o < units; o++) w[o * features + i] = k.values()[i * units + o];
        float[] bias = bool(c.get("use_bias"), true) ? vector(weight(n, "bias", 1, where), units, where, "bias") : null;
        Value y = b.dense(x, n.name(), w, units, bias);
        return activation(y, n.name(), c.get("activation"), where);
    }

    private Value conv(Node n, Value x, String where) {
        Map<String, Object> c = n.config();
        image(x, where);
        int filters = integer(c.get("filters"));
        int[] k = pair(c.get("kernel_size"), where, "kernel_size");
        int[] s = pair(c.get("strides") == null ? 1 : c.get("strides"), where, "strides");
        int[] d = pair(c.get("dilation_rate") == null ? 1 : c.get("dilation_rate"), where, "dilation_rate");
        if (k[0] != k[1]) throw new ImportException(where + " has a " + k[0] + "×" + k[1] + " kernel; only square kernels are supported");
        if (s[0] != s[1]) throw new ImportException(where + " has strides " + s[0] + "×" + s[1] + "; only equal strides are supported");
        if (d[0] != 1 || d[1] != 1) throw new ImportException(where + " is dilated (dilation_rate " + d[0] + "); not supported");
        if (c.get("groups") != null && integer(c.get("groups")) != 1) {
            throw new ImportException(where + " is a grouped convolution (groups " + c.get("groups") + "); not supported");
        }
        int cin = x.shape().channels();
        Weight kernel = weight(n, "kernel", 0, where);
        requireShape(kernel, new long[] {k[0], k[1], cin, filters}, where, "kernel");
        // HWIO (Keras) → OIHW (the builder).
        float[] hwio = kernel.values();
        float[] oihw = new float[hwio.length];
        int kk = k[0];
        for (int y = 0; y < kk; y++) {
            for (int xx = 0; xx < kk; xx++) {
                for (int i = 0; i < cin; i++) {
                    for (int o = 0; o < filters; o++) {
                        oihw[((o * cin + i) * kk + y) * kk + xx] = hwio[((y * kk + xx) * cin + i) * filters + o];
                    }
                }
            }
        }
        float[] bias = bool(c.get("use_bias"), true) ? vector(weight(n, "bias", 1, where), filters, where, "bias") : null;
        int pad = samePadding(string(c.get("padding")), x.shape(), kk, s[0], where);
        Value y = b.conv(x, n.name(), new Tensor(new long[] {filters, cin, kk, kk}, oihw), bias, s[0], pad);
        return activation(y, n.name(), c.get("activation"), where);
    }

    /**
     * The symmetric padding of Keras' {@code padding}: {@code same} pads {@code max((⌈n/s⌉−1)·s + k − n, 0)} pixels
     * per axis, the odd one at the bottom and right (TensorFlow's rule), which only a symmetric padding can express.
     */
    private static int samePadding(String padding, Shape in, int k, int stride, String where) {
        if (padding == null || padding.equals("valid")) return 0;
        if (!padding.equals("same")) throw new ImportException(where + " has padding '" + padding + "'; only valid and same are supported");
        int total = -1;
        for (int size : new int[] {in.height(), in.width()}) {
            int out = (size + stride - 1) / stride;
            int t = Math.max((out - 1) * stride + k - size, 0);
            if (t % 2 != 0) {
                throw new ImportException(where + " pads 'same' unevenly on its " + in.height() + "×" + in.width() + " input (kernel "
                        + k + ", stride " + stride + ": " + t + " pixels, the odd one at the bottom and right); Digits supports symmetric"
                        + " padding only: use stride 1, an input size the stride divides so the padding is even, or a ZeroPadding2D"
                        + " with padding 'valid'");
            }
            if (total >= 0 && t != total) throw new ImportException(where + " pads its height and width differently; not supported");
            total = t;
        }
        return total / 2;
    }

    private Value pool(Node n, Value x, String where, boolean max) {
        Map<String, Object> c = n.config();
        image(x, where);
        int[] k = pair(c.get("pool_size") == null ? 2 : c.get("pool_size"), where, "pool_size");
        int[] s = c.get("strides") == null ? k : pair(c.get("strides"), where, "strides");
        if (k[0] != k[1] || s[0] != s[1]) throw new ImportException(where + " has a non-square pool or stride; not supported");
        String padding = string(c.get("padding"));
        if ("same".equals(padding)) {
            for (int size : new int[] {x.shape().height(), x.shape().width()}) {
                int out = (size + s[0] - 1) / s[0];
                if ((out - 1) * s[0] + k[0] - size > 0) {
                    throw new ImportException(where + " pads its " + x.shape().height() + "×" + x.shape().width() + " input ('same');"
                            + " only pooling without padding is supported");
                }
            }
        } else if (padding != null && !padding.equals("valid")) {
            throw new ImportException(where + " has padding '" + padding + "'; not supported");
        }
        return b.pool(x, n.name(), max, k[0], s[0]);
    }

    private Value batchNorm(Node n, Value x, String where) {
        Map<String, Object> c = n.config();
        Object axis = c.get("axis");
        int a = axis == null ? -1 : axis instanceof List<?> l ? (l.size() == 1 ? integer(l.get(0)) : 99) : integer(axis);
        int last = x.shape().isFlat() ? 1 : 3;
        if (a != -1 && a != last) {
            throw new ImportException(where + " normalises over axis " + axis + "; only the channels (axis -1) are supported");
        }
        int ch = x.shape().isFlat() ? x.shape().size() : x.shape().channels();
        boolean scale = bool(c.get("scale"), true);
        boolean center = bool(c.get("center"), true);
        int pos = 0;
        float[] gamma = scale ? vector(weight(n, "gamma", pos++, where), ch, where, "gamma") : fill(ch, 1f);
        float[] beta = center ? vector(weight(n, "beta", pos++, where), ch, where, "beta") : fill(ch, 0f);
        float[] mean = vector(weight(n, "moving_mean", pos++, where), ch, where, "moving_mean");
        float[] var = vector(weight(n, "moving_variance", pos, where), ch, where, "moving_variance");
        return b.batchNorm(x, n.name(), gamma, beta, mean, var, number(c.get("epsilon"), 1e-3));
    }

    /**
     * Keras' Normalization: {@code (x − mean) / max(√variance, 1e-7)}, the statistics given in the config or adapted
     * (stored as the weights {@code mean}, {@code variance}, {@code count}). One value for all: a rescaling; one per
     * channel or feature: a batch normalisation with that denominator.
     */
    private Value normalization(Node n, Value x, String where) {
        Map<String, Object> c = n.config();
        if (bool(c.get("invert"), false)) throw new ImportException(where + " inverts the normalisation; not supported");
        float[] mean = c.get("mean") != null ? floats(c.get("mean")) : weight(n, "mean", 0, where).values();
        float[] var = c.get("variance") != null ? floats(c.get("variance")) : weight(n, "variance", 1, where).values();
        if (mean.length != var.length) throw new ImportException(where + " has " + mean.length + " means and " + var.length + " variances");
        if (mean.length == 1) {
            double d = Math.max(Math.sqrt(var[0]), KERAS_EPSILON);
            return b.rescale(x, n.name(), 1 / d, -mean[0] / d);
        }
        float[] denominator2 = new float[var.length];
        for (int i = 0; i < var.length; i++) {
            double d = Math.max(Math.sqrt(var[i]), KERAS_EPSILON);
            denominator2[i] = (float) (d * d);
        }
        // γ(x − μ)/√(σ² + ε) with γ = 1, β = 0, σ² = d², ε = 0 is (x − μ)/d.
        return b.batchNorm(x, n.name(), fill(mean.length, 1f), fill(mean.length, 0f), mean, denominator2, 0);
    }

    private Value zeroPad(Node n, Value x, String where) {
        image(x, where);
        Object p = n.config().get("padding");
        List<Integer> all = new ArrayList<>();
        if (p instanceof Number) {
            all.add(integer(p));
        } else {
            for (Object o : list(p, "padding")) {
                if (o instanceof List<?> l) for (Object v : l) all.add(integer(v));
                else all.add(integer(o));
            }
        }
        for (int v : all) {
            if (v != all.get(0)) throw new ImportException(where + " pads unevenly " + p + "; only the same padding on every side is supported");
        }
        return all.get(0) == 0 ? x : b.zeroPad(x, n.name(), all.get(0));
    }

    private Value reshape(Value x, Map<String, Object> c, String hint, String where) {
        List<?> target = list(c.get("target_shape"), "target_shape");
        long[] t = new long[target.size()];
        long known = 1;
        int unknown = -1;
        for (int i = 0; i < t.length; i++) {
            t[i] = integer(target.get(i));
            if (t[i] == -1) unknown = i;
            else known *= t[i];
        }
        Shape s = x.shape();
        if (unknown >= 0) t[unknown] = s.size() / known;
        long size = 1;
        for (long d : t) size *= d;
        if (size != s.size()) throw new ImportException(where + " reshapes " + hwc(s) + " into " + Arrays.toString(t));
        if (t.length == 1) return flatten(x, hint);
        if (t.length == 2 || (t.length == 3 && t[2] == 1)) {
            Shape img = Shape.image(1, (int) t[0], (int) t[1]);
            if (!s.isFlat() && s.equals(img)) return x;
            if (s.isFlat()) return b.reshapeInput(x, img, Layout.NCHW);
        }
        throw new ImportException(where + " reshapes " + hwc(s) + " into " + Arrays.toString(t) + "; only a flatten, or a reshape"
                + " of the flat input into a one-channel image, is supported");
    }

    private Value flatten(Value x, String hint) {
        if (x.shape().isFlat()) return x;
        Value view = channelsLast.computeIfAbsent(x, v -> v.relabel(Layout.NHWC));
        return b.flatten(view, hint);
    }

    private Value activation(Value x, String hint, Object spec, String where) {
        String a = activationName(spec);
        switch (a) {
            case "linear":
                return x;
            case "relu":
                return b.activation(x, hint, Activation.RELU);
            case "sigmoid":
                return b.activation(x, hint, Activation.SIGMOID);
            case "tanh":
                return b.activation(x, hint, Activation.TANH);
            case "softmax":
                if (!x.shape().isFlat()) throw new ImportException(where + " applies softmax to an image; Digits models end in a softmax over classes");
                softmaxed.add(x);
                return x;
            default:
                throw new ImportException(where + " uses activation '" + a + "'; supported activations: " + String.join(", ", ACTIVATIONS));
        }
    }

    /** An activation as Keras 2 (a string) or Keras 3 (a string, or a serialized function object) writes it. */
    private static String activationName(Object spec) {
        if (spec == null) return "linear";
        if (spec instanceof String s) return s.toLowerCase(java.util.Locale.ROOT);
        if (spec instanceof Map<?, ?> m) {
            if (m.get("config") instanceof Map<?, ?> c && c.get("name") instanceof String s) return s.toLowerCase(java.util.Locale.ROOT);
            if (m.get("class_name") instanceof String s) return s.toLowerCase(java.util.Locale.ROOT);
        }
        return String.valueOf(spec);
    }

    private static Value image(Value x, String where) {
        if (x.shape().isFlat()) throw new ImportException(where + " needs an image but reads a vector of " + x.shape().size()
                + " values; reshape the input into (28, 28, 1) first");
        return x;
    }

    /** The weight {@code kind} of layer {@code n}: by its name, or by its position where the file numbers them. */
    private Weight weight(Node n, String kind, int position, String where) {
        List<Weight> ws = weights.getOrDefault(n.name(), List.of());
        for (Weight w : ws) if (w.kind().equals(kind)) return w;
        boolean numbered = !ws.isEmpty() && ws.stream().allMatch(w -> w.kind().matches("\\d+"));
        if (numbered) {
            for (Weight w : ws) if (Integer.parseInt(w.kind()) == position) return w;
        }
        throw new ImportException(where + " has no stored " + kind + " (weights found for it: "
                + (ws.isEmpty() ? "none" : ws.stream().map(Weight::name).toList()) + ")");
    }

    private static void requireShape(Weight w, long[] expected, String where, String what) {
        if (!Arrays.equals(w.shape(), expected)) {
            throw new ImportException(where + ": its " + what + " '" + w.name() + "' has shape " + Arrays.toString(w.shape())
                    + " where its input and config need " + Arrays.toString(expected));
        }
    }

    private static float[] vector(Weight w, int n, String where, String what) {
        if (w.values().length != n) {
            throw new ImportException(where + ": its " + what + " '" + w.name() + "' holds " + w.values().length + " values, not " + n);
        }
        return w.values();
    }

    private static float[] fill(int n, float v) {
        float[] out = new float[n];
        Arrays.fill(out, v);
        return out;
    }

    private static String hwc(Shape s) {
        return s.isFlat() ? "(" + s.size() + ",)" : "(" + s.height() + ", " + s.width() + ", " + s.channels() + ")";
    }

    private static int[] pair(Object o, String where, String what) {
        if (o instanceof Number) return new int[] {integer(o), integer(o)};
        List<?> l = list(o, what);
        if (l.size() == 1) return new int[] {integer(l.get(0)), integer(l.get(0))};
        if (l.size() != 2) throw new ImportException(where + " has " + what + " " + o + "; expected two values");
        return new int[] {integer(l.get(0)), integer(l.get(1))};
    }

    private static float[] floats(Object o) {
        if (o instanceof Number num) return new float[] {num.floatValue()};
        List<Float> out = new ArrayList<>();
        flattenNumbers(o, out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) f[i] = out.get(i);
        return f;
    }

    private static void flattenNumbers(Object o, List<Float> out) {
        if (o instanceof Number num) out.add(num.floatValue());
        else if (o instanceof List<?> l) for (Object v : l) flattenNumbers(v, out);
        else throw new ImportException("expected numbers, found " + o);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o, String what) {
        if (!(o instanceof Map)) throw new ImportException("the model configuration's " + what + " is not an object");
        return (Map<String, Object>) o;
    }

    static List<?> list(Object o, String what) {
        if (!(o instanceof List<?> l)) throw new ImportException("the model configuration's " + what + " is not a list");
        return l;
    }

    static String string(Object o) {
        return o instanceof String s ? s : null;
    }

    static int integer(Object o) {
        if (!(o instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw new ImportException("the model configuration has '" + o + "' where a whole number belongs");
        }
        return n.intValue();
    }

    private static double number(Object o, double fallback) {
        if (o == null) return fallback;
        if (o instanceof Number n) return n.doubleValue();
        // Keras 3 may wrap a scalar in a list.
        if (o instanceof List<?> l && l.size() == 1 && l.get(0) instanceof Number n) return n.doubleValue();
        throw new ImportException("the model configuration has '" + o + "' where a number belongs");
    }

    private static boolean bool(Object o, boolean fallback) {
        return o instanceof Boolean v ? v : fallback;
    }
}
