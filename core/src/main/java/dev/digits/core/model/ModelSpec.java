package dev.digits.core.model;

import dev.digits.core.json.Json;
import dev.digits.core.json.JsonException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one declarative description of a network that training and every exporter read. Immutable and validated:
 * once built, every layer has a unique name and a known output shape, and the network ends in a softmax over
 * {@link #classes()} outputs.
 *
 * <p>JSON form (input in Keras order, height × width × channels):
 * <pre>{@code
 * {"name": "cnn", "input": [28, 28, 1], "layers": [
 *   {"type": "conv2d", "filters": 32, "kernel": 3, "activation": "relu"},
 *   {"type": "maxpool2d", "pool": 2},
 *   {"type": "flatten"},
 *   {"type": "dense", "units": 10, "activation": "softmax"}]}
 * }</pre>
 * Any layer may carry {@code "repeat": n}; residual blocks hold their body in {@code "layers"}.
 *
 * <p>Parameters are named {@code <layer>.weight}, {@code <layer>.bias} (dense, conv2d),
 * {@code <layer>.gamma|beta|running_mean|running_var} (batchnorm) and {@code <residual>.shortcut.weight|bias} for the
 * 1×1 projection a residual block gets when its body changes the shape; layouts are PyTorch's (see {@link Tensor}).
 */
public final class ModelSpec {
    private final String name;
    private final String description;
    private final Shape input;
    private final List<LayerSpec> layers;
    private final List<Node> nodes;

    /**
     * One layer with its place in the network: its input and output shapes and its parameters.
     * Residual blocks appear once, followed by the nodes of their body ({@link #depth()} one deeper).
     */
    public static final class Node {
        private final LayerSpec layer;
        private final int depth;
        private final Shape in;
        private final Shape out;
        private final Map<String, long[]> parameters;

        Node(LayerSpec layer, int depth, Shape in, Shape out, Map<String, long[]> parameters) {
            this.layer = layer;
            this.depth = depth;
            this.in = in;
            this.out = out;
            this.parameters = parameters;
        }

        public LayerSpec layer() {
            return layer;
        }

        /** 0 for top-level layers, 1 inside a residual block, and so on. */
        public int depth() {
            return depth;
        }

        public Shape inputShape() {
            return in;
        }

        public Shape outputShape() {
            return out;
        }

        /** Parameters owned directly by this layer (not its body), name → PyTorch shape. */
        public Map<String, long[]> parameters() {
            return Collections.unmodifiableMap(parameters);
        }

        /** Number of values in {@link #parameters()}. */
        public long parameterCount() {
            long n = 0;
            for (long[] s : parameters.values()) n += count(s);
            return n;
        }
    }

    private ModelSpec(String name, String description, Shape input, List<LayerSpec> layers) {
        if (name == null || name.isBlank()) throw new ModelSpecException("the model needs a \"name\"");
        this.name = name;
        this.description = description == null ? "" : description;
        this.input = input;
        this.nodes = new ArrayList<>();
        Map<String, Integer> counters = new HashMap<>();
        Map<String, String> taken = new HashMap<>();
        this.layers = List.copyOf(nameAll(layers, counters, taken));
        Shape out = infer(this.layers, input, 0, "layer ");
        if (this.layers.isEmpty()) throw new ModelSpecException("model '" + name + "' has no layers");
        LayerSpec last = this.layers.get(this.layers.size() - 1);
        if (last.activation() != Activation.SOFTMAX || !out.isFlat()
                || (last.type() != LayerType.DENSE && last.type() != LayerType.ACTIVATION)) {
            throw new ModelSpecException("layer " + this.layers.size() + " (" + last.describe() + "): the last layer must be"
                    + " a dense layer with \"activation\": \"softmax\" (one output per class), e.g."
                    + " {\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}");
        }
        for (int i = 0; i < this.layers.size() - 1; i++) {
            if (hasSoftmax(this.layers.get(i))) {
                throw new ModelSpecException("layer " + (i + 1) + " (" + this.layers.get(i).describe()
                        + "): softmax is only allowed on the last layer; use relu, sigmoid, tanh or linear here");
            }
        }
    }

    private static boolean hasSoftmax(LayerSpec l) {
        if (l.activation() == Activation.SOFTMAX) return true;
        for (LayerSpec b : l.layers()) if (hasSoftmax(b)) return true;
        return false;
    }

    private static List<LayerSpec> nameAll(List<LayerSpec> layers, Map<String, Integer> counters, Map<String, String> taken) {
        List<LayerSpec> out = new ArrayList<>();
        for (LayerSpec l : layers) {
            String n = l.name();
            // A layer repeated with "repeat" carries its name twice: later copies get generated names.
            if (n == null || taken.containsKey(n)) {
                String base = l.type().jsonName();
                do {
                    int c = counters.merge(base, 1, Integer::sum);
                    n = base + "_" + c;
                } while (taken.containsKey(n));
            }
            if (!n.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new ModelSpecException("layer name '" + n + "' must be letters, digits and underscores, starting with a letter");
            }
            taken.put(n, "used");
            LayerSpec named = l.withName(n);
            if (l.type() == LayerType.RESIDUAL) named = named.withLayers(nameAll(l.layers(), counters, taken));
            out.add(named);
        }
        return out;
    }

    private Shape infer(List<LayerSpec> list, Shape in, int depth, String prefix) {
        Shape s = in;
        int i = 0;
        for (LayerSpec l : list) {
            i++;
            String at = prefix + i + " (" + l.name() + ": " + l.describe() + ")";
            Map<String, long[]> params = new LinkedHashMap<>();
            Shape out;
            switch (l.type()) {
                case DENSE:
                    if (!s.isFlat()) {
                        throw new ModelSpecException(at + ": dense needs a flat input but gets " + s
                                + "; add {\"type\": \"flatten\"} or {\"type\": \"global_avgpool\"} before it");
                    }
                    params.put(l.name() + ".weight", new long[] {l.units(), s.size()});
                    params.put(l.name() + ".bias", new long[] {l.units()});
                    out = Shape.flat(l.units());
                    break;
                case CONV2D: {
                    image(s, at);
                    int h = convOut(s.height(), l, at);
                    int w = convOut(s.width(), l, at);
                    params.put(l.name() + ".weight", new long[] {l.filters(), s.channels(), l.kernel(), l.kernel()});
                    params.put(l.name() + ".bias", new long[] {l.filters()});
                    out = Shape.image(l.filters(), h, w);
                    break;
                }
                case MAXPOOL2D:
                case AVGPOOL2D: {
                    image(s, at);
                    if (l.pool() > s.height() || l.pool() > s.width()) {
                        throw new ModelSpecException(at + ": pool " + l.pool() + " is larger than its input " + s
                                + "; remove a pooling layer or use a smaller pool");
                    }
                    out = Shape.image(s.channels(), (s.height() - l.pool()) / l.stride() + 1, (s.width() - l.pool()) / l.stride() + 1);
                    break;
                }
                case GLOBAL_AVGPOOL:
                    image(s, at);
                    out = Shape.flat(s.channels());
                    break;
                case FLATTEN:
                    out = Shape.flat(s.size());
                    break;
                case ZEROPAD2D:
                    image(s, at);
                    out = Shape.image(s.channels(), s.height() + 2 * l.padding(), s.width() + 2 * l.padding());
                    break;
                case BATCHNORM:
                    for (String p : new String[] {"gamma", "beta", "running_mean", "running_var"}) {
                        params.put(l.name() + "." + p, new long[] {s.channels()});
                    }
                    out = s;
                    break;
                case RESIDUAL: {
                    Node block = new Node(l, depth, s, null, params);
                    nodes.add(block);
                    int at0 = nodes.size() - 1;
                    Shape body = infer(l.layers(), s, depth + 1, at + " layer ");
                    if (!body.equals(s)) {
                        if (s.isFlat() || body.isFlat() || s.height() % body.height() != 0
                                || s.height() / body.height() != s.width() / body.width()) {
                            throw new ModelSpecException(at + ": the block turns " + s + " into " + body
                                    + "; a residual body may change channels and divide height and width by a stride, nothing else");
                        }
                        params.put(l.name() + ".shortcut.weight", new long[] {body.channels(), s.channels(), 1, 1});
                        params.put(l.name() + ".shortcut.bias", new long[] {body.channels()});
                    }
                    nodes.set(at0, new Node(l, depth, s, body, params));
                    s = body;
                    continue;
                }
                default:
                    out = s;
            }
            nodes.add(new Node(l, depth, s, out, params));
            s = out;
        }
        return s;
    }

    private static void image(Shape s, String at) {
        if (s.isFlat()) {
            throw new ModelSpecException(at + ": needs an image input (height, width, channels) but gets the flat " + s
                    + "; move it before the flatten/dense layers or give the model an image \"input\"");
        }
    }

    private static int convOut(int size, LayerSpec l, String at) {
        if (l.kernel() > size + 2 * l.pads()) {
            throw new ModelSpecException(at + ": kernel " + l.kernel() + "×" + l.kernel() + " is larger than its "
                    + size + "×" + size + " input; use \"padding\": \"same\", a smaller kernel or fewer pooling layers");
        }
        return (size + 2 * l.pads() - l.kernel()) / l.stride() + 1;
    }

    static long count(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Builds and validates a spec from Java. */
    public static ModelSpec of(String name, String description, Shape input, List<LayerSpec> layers) {
        return new ModelSpec(name, description, input, layers);
    }

    /** Parses and validates the JSON form; errors name the layer at fault. */
    @SuppressWarnings("unchecked")
    public static ModelSpec parse(String json) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(json);
        } catch (JsonException e) {
            throw new ModelSpecException("not valid JSON: " + e.getMessage());
        }
        for (String k : m.keySet()) {
            if (!List.of("name", "description", "input", "layers", "format").contains(k)) {
                throw new ModelSpecException("unknown top-level setting \"" + k + "\"; allowed: name, description, input, layers");
            }
        }
        Object in = m.get("input");
        Shape input;
        if (!(in instanceof List) || (((List<?>) in).size() != 3 && ((List<?>) in).size() != 1)) {
            throw new ModelSpecException("\"input\" must be [height, width, channels] (e.g. [28, 28, 1]) or [features] (e.g. [784])");
        }
        List<Object> dims = (List<Object>) in;
        int[] d = new int[dims.size()];
        for (int i = 0; i < d.length; i++) {
            if (!(dims.get(i) instanceof Number) || ((Number) dims.get(i)).intValue() < 1) {
                throw new ModelSpecException("\"input\" dimensions must be positive whole numbers, got " + in);
            }
            d[i] = ((Number) dims.get(i)).intValue();
        }
        input = d.length == 3 ? Shape.image(d[2], d[0], d[1]) : Shape.flat(d[0]);
        Object ls = m.get("layers");
        if (!(ls instanceof List)) throw new ModelSpecException("\"layers\" must be a list of layer objects");
        Object name = m.get("name");
        return new ModelSpec(name instanceof String ? (String) name : null,
                m.get("description") instanceof String ? (String) m.get("description") : "",
                input, LayerSpec.parseLayers((List<Object>) ls, "layer "));
    }

    /** Reads a spec file; errors name the file. */
    public static ModelSpec read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelSpecException("architecture file " + file + " does not exist");
        }
        try {
            return parse(text);
        } catch (ModelSpecException e) {
            throw new ModelSpecException(file + ": " + e.getMessage());
        }
    }

    /** Reads a spec from a stream (e.g. a class-path resource). */
    public static ModelSpec read(InputStream in) throws IOException {
        return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }

    /** The JSON form, pretty-printed; {@link #parse} reads it back to an equal spec. */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "digits-spec/1");
        m.put("name", name);
        if (!description.isEmpty()) m.put("description", description);
        m.put("input", input.hwc());
        List<Object> ls = new ArrayList<>();
        for (LayerSpec l : layers) ls.add(l.toJson());
        m.put("layers", ls);
        return Json.writePretty(m);
    }

    /** The same network under another name. */
    public ModelSpec withName(String newName) {
        return new ModelSpec(newName, description, input, layers);
    }

    public String name() {
        return name;
    }

    public String description() {
        return description;
    }

    public Shape inputShape() {
        return input;
    }

    /** The top-level layers, named. */
    public List<LayerSpec> layers() {
        return layers;
    }

    /** Every layer, residual bodies included, in execution order. */
    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** Number of outputs (classes) of the final softmax. */
    public int classes() {
        return outputShape().size();
    }

    public Shape outputShape() {
        Node last = null;
        for (Node n : nodes) if (n.depth() == 0) last = n;
        return last.outputShape();
    }

    /** All parameters, name → PyTorch shape, in execution order. */
    public Map<String, long[]> parameters() {
        Map<String, long[]> all = new LinkedHashMap<>();
        for (Node n : nodes) all.putAll(n.parameters());
        return all;
    }

    /** Total number of trainable and running (batchnorm) values. */
    public long parameterCount() {
        long n = 0;
        for (Node node : nodes) n += node.parameterCount();
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelSpec && ((ModelSpec) o).toJson().equals(toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return "ModelSpec(" + name + ", " + nodes.size() + " layers)";
    }
}
