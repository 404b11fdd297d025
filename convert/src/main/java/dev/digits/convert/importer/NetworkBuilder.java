package dev.digits.convert.importer;

import dev.digits.core.model.Activation;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.LayerType;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.ModelSpecException;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a Digits architecture and its weights from the operations of a foreign graph, whatever the format: the
 * passes every importer shares (as tf2onnx runs its graph passes before the format handlers). Format readers call
 * one method per operation on {@link Value}s; the builder
 * <ul>
 *   <li>keeps PyTorch's layouts: kernels arrive OIHW, dense weights [out, in] in the order of the value they read,
 *       and a vector flattened from a channels-last image has its dense weights permuted into channels-first order;</li>
 *   <li>folds activations into the convolution or dense layer before them, merges consecutive rescalings, turns
 *       padding into "same", "valid" or an explicit zero padding;</li>
 *   <li>finds residual blocks: an addition of two values is a block whose body is one path from their last common
 *       value, and whose shortcut is the other path, empty or one 1×1 convolution (with its batch normalisation
 *       folded in);</li>
 *   <li>restates a batch normalisation's epsilon as Digits' own ({@link LayerSpec#BATCHNORM_EPSILON}) by adjusting
 *       the variance, so that the network computes exactly what the file did.</li>
 * </ul>
 * Values are immutable and remember the path of layers from the input that produced them, so a branch is just two
 * values sharing an ancestor.
 */
final class NetworkBuilder {
    /** How a value's numbers are laid out, as far as the foreign graph is concerned. */
    enum Layout {
        /** Channels first, as ONNX and PyTorch compute (and as the spec does). */
        NCHW,
        /** Channels last, as TensorFlow, Keras and TFLite compute. */
        NHWC,
        /** A vector; {@link Value#flattenedFrom} says from which image and order, if any. */
        FLAT
    }

    /** A value of the network: the layer that made it from its parent, its spec shape and its layout. */
    static final class Value {
        final Value parent;
        final LayerSpec layer;
        final Shape shape;
        final Layout layout;
        /** For a FLAT value made by flattening a channels-last image: that image (spec shape); otherwise null. */
        final Shape flattenedFrom;
        /** Which node of the network this is: shared by views of the same numbers in another layout. */
        final Object node;

        private Value(Value parent, LayerSpec layer, Shape shape, Layout layout, Shape flattenedFrom) {
            this(parent, layer, shape, layout, flattenedFrom, new Object());
        }

        private Value(Value parent, LayerSpec layer, Shape shape, Layout layout, Shape flattenedFrom, Object node) {
            this.node = node;
            this.parent = parent;
            this.layer = layer;
            this.shape = shape;
            this.layout = layout;
            this.flattenedFrom = flattenedFrom;
        }

        /** The spec shape (channels, height, width or a flat size). */
        Shape shape() {
            return shape;
        }

        Layout layout() {
            return layout;
        }

        /** The same numbers seen in another layout (a transpose the spec does not need). */
        Value relabel(Layout l) {
            return new Value(parent, layer, shape, l, flattenedFrom, node);
        }
    }

    private final Map<String, Tensor> weights = new HashMap<>();
    private final Set<String> names = new java.util.HashSet<>();
    private final Map<String, Integer> counters = new HashMap<>();
    private Shape input;
    private Value root;

    /** The network's input: {@code shape} in the spec's terms, laid out as {@code layout} in the foreign graph. */
    Value input(Shape shape, Layout layout) {
        input = shape;
        root = new Value(null, null, shape, layout, null);
        return root;
    }

    /**
     * Gives the input another shape of the same size (a graph whose first operation reshapes a flat input into an
     * image); allowed while only element-wise layers have run.
     */
    Value reshapeInput(Value x, Shape shape, Layout layout) {
        for (Value v = x; v.parent != null; v = v.parent) {
            if (v.layer.type() != LayerType.RESCALE && v.layer.type() != LayerType.DROPOUT) {
                throw new ImportException("a reshape of " + x.shape + " into " + shape + " after layers other than the input's"
                        + " scaling; only a flatten, or a reshape of the input itself, is supported");
            }
        }
        if (shape.size() != x.shape.size()) throw new ImportException("cannot reshape " + x.shape + " into " + shape);
        input = shape;
        // Rebuild the element-wise layers on the new shape.
        List<LayerSpec> layers = path(null, x);
        root = new Value(null, null, shape, layout, null);
        Value v = root;
        for (LayerSpec l : layers) v = new Value(v, l, shape, layout, null);
        return v;
    }

    /** A unique spec layer name from {@code hint} (a foreign layer or node name), or from the layer type. */
    String name(String hint, String type) {
        String base = hint == null ? "" : hint.replaceAll("[^A-Za-z0-9_]+", "_").replaceAll("^_+|_+$", "");
        if (base.isEmpty() || !Character.isLetter(base.charAt(0)) && base.charAt(0) != '_') {
            base = base.isEmpty() ? type : type + "_" + base;
        }
        if (base.length() > 48) base = base.substring(0, 48);
        String n = base;
        while (names.contains(n)) n = base + "_" + counters.merge(base, 1, Integer::sum);
        names.add(n);
        return n;
    }

    private static void requireImage(Value x, String what) {
        if (x.shape.isFlat()) throw new ImportException(what + " needs an image input but gets a vector of " + x.shape.size());
        if (x.layout != Layout.NCHW && x.shape.channels() != 1) {
            throw new ImportException(what + " reads a channels-last value; the graph must transpose it to channels-first first");
        }
    }

    /**
     * A 2-D convolution with kernel {@code w} [out, in, k, k] and bias {@code b} (null: zeros), stride {@code s} and
     * symmetric zero padding {@code pad}.
     */
    Value conv(Value x, String hint, Tensor w, float[] b, int stride, int pad) {
        requireImage(x, "convolution " + hint);
        int o = w.dim(0);
        int k = w.dim(2);
        if (w.dim(2) != w.dim(3)) throw new ImportException("convolution " + hint + " has a " + w.dim(2) + "×" + w.dim(3) + " kernel; only square kernels are supported");
        if (w.dim(1) != x.shape.channels()) {
            throw new ImportException("convolution " + hint + " takes " + w.dim(1) + " channels but its input has " + x.shape.channels()
                    + " (grouped and depthwise convolutions are not supported)");
        }
        Value in = x;
        boolean same = pad > 0 && k % 2 == 1 && pad == (k - 1) / 2;
        if (pad > 0 && !same) in = zeroPad(x, hint + "_pad", pad);
        String n = name(hint, "conv2d");
        LayerSpec l = LayerSpec.conv2d(o, k, Activation.LINEAR).withStride(stride).withSamePadding(same).withName(n);
        weights.put(n + ".weight", w);
        weights.put(n + ".bias", new Tensor(new long[] {o}, b == null ? new float[o] : b));
        int p = same ? pad : 0;
        int h = (in.shape.height() + 2 * p - k) / stride + 1;
        int wd = (in.shape.width() + 2 * p - k) / stride + 1;
        if (h < 1 || wd < 1) throw new ImportException("convolution " + hint + ": its " + k + "×" + k + " kernel is larger than its input " + in.shape);
        return new Value(in, l, Shape.image(o, h, wd), Layout.NCHW, null);
    }

    /**
     * A dense layer with weights {@code w} [out][in] whose columns follow the order of {@code x}'s values, and bias
     * {@code b} (null: zeros).
     */
    Value dense(Value x, String hint, float[] w, int out, float[] b) {
        Value in = x;
        if (!in.shape.isFlat()) {
            if (in.shape.height() == 1 && in.shape.width() == 1) {
                in = flatten(in, hint + "_flatten");
            } else {
                throw new ImportException("dense layer " + hint + " reads an image " + in.shape + "; it needs a flatten before it");
            }
        }
        int features = in.shape.size();
        if (w.length != out * features) {
            throw new ImportException("dense layer " + hint + " has " + w.length / Math.max(out, 1) + " inputs per unit but reads "
                    + features + " values");
        }
        float[] weight = w;
        if (in.flattenedFrom != null) {
            // The foreign graph flattened a channels-last image: its column j is the spec's column chw(j).
            Shape img = in.flattenedFrom;
            weight = new float[w.length];
            int c = img.channels();
            int hh = img.height();
            int ww = img.width();
            for (int j = 0; j < features; j++) {
                int ch = j % c;
                int pos = j / c;
                int col = ch * hh * ww + pos;
                for (int r = 0; r < out; r++) weight[r * features + col] = w[r * features + j];
            }
        }
        String n = name(hint, "dense");
        weights.put(n + ".weight", new Tensor(new long[] {out, features}, weight));
        weights.put(n + ".bias", new Tensor(new long[] {out}, b == null ? new float[out] : b));
        return new Value(in, LayerSpec.dense(out, Activation.LINEAR).withName(n), Shape.flat(out), Layout.FLAT, null);
    }

    /** Adds {@code bias} to the output of the dense or convolution layer that made {@code x} (a MatMul followed by Add). */
    Value addBias(Value x, float[] bias, String hint) {
        LayerSpec l = x.layer;
        if (l == null || (l.type() != LayerType.DENSE && l.type() != LayerType.CONV2D) || l.activation() != Activation.LINEAR) {
            throw new ImportException("the addition " + hint + " of a constant vector is only supported right after a dense or"
                    + " convolution layer");
        }
        Tensor old = weights.get(l.name() + ".bias");
        if (old.data().length != bias.length) {
            throw new ImportException("the addition " + hint + " adds " + bias.length + " values to " + old.data().length + " outputs");
        }
        float[] sum = old.data().clone();
        for (int i = 0; i < sum.length; i++) sum[i] += bias[i];
        // A copy under a new name: the value without the bias may still be read elsewhere.
        String n = name(l.name(), l.type().jsonName());
        weights.put(n + ".weight", weights.get(l.name() + ".weight"));
        weights.put(n + ".bias", new Tensor(old.shape(), sum));
        return new Value(x.parent, l.withName(n), x.shape, x.layout, x.flattenedFrom);
    }

    Value pool(Value x, String hint, boolean max, int k, int stride) {
        requireImage(x, "pooling " + hint);
        if (k > x.shape.height() || k > x.shape.width()) throw new ImportException("pooling " + hint + ": pool " + k + " is larger than " + x.shape);
        LayerSpec l = (max ? LayerSpec.maxPool(k) : LayerSpec.avgPool(k)).withStride(stride).withName(name(hint, max ? "maxpool2d" : "avgpool2d"));
        Shape out = Shape.image(x.shape.channels(), (x.shape.height() - k) / stride + 1, (x.shape.width() - k) / stride + 1);
        return new Value(x, l, out, Layout.NCHW, null);
    }

    Value globalAvgPool(Value x, String hint) {
        requireImage(x, "global average pooling " + hint);
        return new Value(x, LayerSpec.globalAvgPool().withName(name(hint, "global_avgpool")), Shape.flat(x.shape.channels()), Layout.FLAT, null);
    }

    /** Flattens an image in its layout's order (channels-first: as the spec; channels-last: remembered for the next dense layer). */
    Value flatten(Value x, String hint) {
        if (x.shape.isFlat()) return x;
        Shape flat = Shape.flat(x.shape.size());
        boolean orderMatters = x.layout == Layout.NHWC && x.shape.channels() > 1 && x.shape.height() * x.shape.width() > 1;
        return new Value(x, LayerSpec.flatten().withName(name(hint, "flatten")), flat, Layout.FLAT, orderMatters ? x.shape : null);
    }

    Value zeroPad(Value x, String hint, int p) {
        // Padding is the same operation in either layout.
        if (x.shape.isFlat()) throw new ImportException("padding " + hint + " needs an image input but gets a vector of " + x.shape.size());
        Shape out = Shape.image(x.shape.channels(), x.shape.height() + 2 * p, x.shape.width() + 2 * p);
        return new Value(x, LayerSpec.zeroPad(p).withName(name(hint, "zeropad2d")), out, x.layout, null);
    }

    Value dropout(Value x, String hint, double rate) {
        return new Value(x, LayerSpec.dropout(Math.min(Math.max(rate, 0), 0.99)).withName(name(hint, "dropout")), x.shape, x.layout, x.flattenedFrom);
    }

    /**
     * Batch normalisation over channels (or features) computing {@code γ(x−μ)/√(σ²+eps)+β}; restated with Digits'
     * epsilon by adding {@code eps − ε} to the variance.
     */
    Value batchNorm(Value x, String hint, float[] gamma, float[] beta, float[] mean, float[] var, double eps) {
        int c = x.shape.isFlat() ? x.shape.size() : x.shape.channels();
        if (gamma.length != c || beta.length != c || mean.length != c || var.length != c) {
            throw new ImportException("batch normalisation " + hint + " has " + gamma.length + " channels but its input has " + c);
        }
        float[] g = gamma;
        float[] bt = beta;
        float[] m = mean;
        if (x.flattenedFrom != null) {
            // Statistics per flattened feature follow the foreign (channels-last) order; put them in the spec's.
            g = toChw(gamma, x.flattenedFrom);
            bt = toChw(beta, x.flattenedFrom);
            m = toChw(mean, x.flattenedFrom);
            var = toChw(var, x.flattenedFrom);
        }
        float[] v = new float[c];
        for (int i = 0; i < c; i++) {
            v[i] = (float) (var[i] + eps - LayerSpec.BATCHNORM_EPSILON);
            if (!(v[i] + LayerSpec.BATCHNORM_EPSILON > 0)) throw new ImportException("batch normalisation " + hint + " has a negative variance");
        }
        String n = name(hint, "batchnorm");
        long[] s = {c};
        weights.put(n + ".gamma", new Tensor(s, g));
        weights.put(n + ".beta", new Tensor(s, bt));
        weights.put(n + ".running_mean", new Tensor(s, m));
        weights.put(n + ".running_var", new Tensor(s, v));
        // With reordered statistics the spec computes in its own order; the next dense layer still permutes.
        return new Value(x, LayerSpec.batchNorm().withName(n), x.shape, x.layout, x.flattenedFrom);
    }

    private static float[] toChw(float[] hwc, Shape img) {
        float[] out = new float[hwc.length];
        int c = img.channels();
        int hw = img.height() * img.width();
        for (int j = 0; j < hwc.length; j++) out[(j % c) * hw + j / c] = hwc[j];
        return out;
    }

    /** Whether {@code x·scale + offset} is the identity to float32 precision. */
    static boolean isIdentity(double scale, double offset) {
        return Math.abs(scale - 1) < 1e-6 && Math.abs(offset) < 1e-6;
    }

    /** {@code y = x·scale + offset}; merged into a rescaling right before it. */
    Value rescale(Value x, String hint, double scale, double offset) {
        if (isIdentity(scale, offset)) return x;
        if (x.layer != null && x.layer.type() == LayerType.RESCALE) {
            double s = x.layer.scale() * scale;
            double o = x.layer.offset() * scale + offset;
            if (isIdentity(s, o)) return x.parent;
            return new Value(x.parent, LayerSpec.rescale(s, o).withName(x.layer.name()), x.shape, x.layout, x.flattenedFrom);
        }
        return new Value(x, LayerSpec.rescale(scale, offset).withName(name(hint, "rescale")), x.shape, x.layout, x.flattenedFrom);
    }

    /** An activation; folded into the convolution or dense layer that made {@code x} when that one has none. */
    Value activation(Value x, String hint, Activation a) {
        if (a == Activation.LINEAR) return x;
        LayerSpec l = x.layer;
        if (l != null && l.activation() == Activation.LINEAR && (l.type() == LayerType.CONV2D || l.type() == LayerType.DENSE
                || l.type() == LayerType.RESIDUAL)) {
            return new Value(x.parent, withActivation(l, a), x.shape, x.layout, x.flattenedFrom);
        }
        return new Value(x, LayerSpec.activation(a).withName(name(hint, "activation")), x.shape, x.layout, x.flattenedFrom);
    }

    private static LayerSpec withActivation(LayerSpec l, Activation a) {
        switch (l.type()) {
            case DENSE:
                return LayerSpec.dense(l.units(), a).withName(l.name());
            case CONV2D:
                return LayerSpec.conv2d(l.filters(), l.kernel(), a).withStride(l.stride()).withSamePadding(l.samePadding()).withName(l.name());
            case RESIDUAL:
                return LayerSpec.residual(l.layers(), a).withName(l.name());
            default:
                throw new IllegalStateException(l.type().toString());
        }
    }

    /**
     * The sum of two values: a residual block. The body is the longer path from the values' last common ancestor,
     * the shortcut the other one, which must be empty or one 1×1 convolution (optionally with batch normalisation).
     */
    Value add(Value a, Value b, String hint) {
        if (!a.shape.equals(b.shape)) throw new ImportException("addition " + hint + " adds " + a.shape + " to " + b.shape);
        Value common = commonAncestor(a, b);
        List<LayerSpec> pa = path(common, a);
        List<LayerSpec> pb = path(common, b);
        List<LayerSpec> body;
        List<LayerSpec> shortcut;
        if (isShortcut(pb) && (!isShortcut(pa) || pa.size() >= pb.size())) {
            body = pa;
            shortcut = withoutDropout(pb);
        } else if (isShortcut(pa)) {
            body = pb;
            shortcut = withoutDropout(pa);
        } else {
            throw new ImportException("addition " + hint + ": neither branch is a shortcut Digits can express (the identity or one"
                    + " 1×1 convolution); branches: " + describe(pa) + " and " + describe(pb));
        }
        if (body.isEmpty()) throw new ImportException("addition " + hint + " adds a value to itself");
        String n = name(hint, "residual");
        Shape in = common.shape;
        if (!shortcut.isEmpty()) {
            LayerSpec conv = shortcut.get(0);
            Tensor w = weights.get(conv.name() + ".weight");
            float[] weight = w.data().clone();
            float[] bias = weights.get(conv.name() + ".bias").data().clone();
            if (shortcut.size() == 2) foldBatchNorm(shortcut.get(1).name(), weight, bias);
            int stride = in.isFlat() ? 1 : in.height() / a.shape.height();
            if (conv.stride() != stride || in.isFlat()) {
                throw new ImportException("addition " + hint + ": the shortcut's 1×1 convolution has stride " + conv.stride()
                        + " where the body divides the size by " + stride);
            }
            weights.put(n + ".shortcut.weight", new Tensor(w.shape(), weight));
            weights.put(n + ".shortcut.bias", new Tensor(new long[] {bias.length}, bias));
        } else if (!in.equals(a.shape)) {
            throw new ImportException("addition " + hint + ": an identity shortcut from " + in + " cannot be added to " + a.shape);
        }
        LayerSpec block = LayerSpec.residual(body, Activation.LINEAR).withName(n);
        return new Value(common, block, a.shape, a.layout, null);
    }

    private static List<LayerSpec> withoutDropout(List<LayerSpec> path) {
        List<LayerSpec> q = new ArrayList<>();
        for (LayerSpec l : path) if (l.type() != LayerType.DROPOUT) q.add(l);
        return q;
    }

    private static boolean isShortcut(List<LayerSpec> path) {
        List<LayerSpec> p = withoutDropout(path);
        if (p.isEmpty()) return true;
        LayerSpec c = p.get(0);
        boolean conv = c.type() == LayerType.CONV2D && c.kernel() == 1 && !c.samePadding() && c.activation() == Activation.LINEAR;
        return conv && (p.size() == 1 || (p.size() == 2 && p.get(1).type() == LayerType.BATCHNORM));
    }

    private void foldBatchNorm(String bn, float[] weight, float[] bias) {
        float[] g = weights.get(bn + ".gamma").data();
        float[] be = weights.get(bn + ".beta").data();
        float[] m = weights.get(bn + ".running_mean").data();
        float[] v = weights.get(bn + ".running_var").data();
        int per = weight.length / g.length;
        for (int c = 0; c < g.length; c++) {
            double s = g[c] / Math.sqrt(v[c] + LayerSpec.BATCHNORM_EPSILON);
            for (int i = 0; i < per; i++) weight[c * per + i] = (float) (weight[c * per + i] * s);
            bias[c] = (float) ((bias[c] - m[c]) * s + be[c]);
        }
    }

    private static String describe(List<LayerSpec> p) {
        if (p.isEmpty()) return "(identity)";
        StringBuilder s = new StringBuilder("[");
        for (LayerSpec l : p) s.append(s.length() > 1 ? ", " : "").append(l.describe());
        return s.append(']').toString();
    }

    private static Value commonAncestor(Value a, Value b) {
        IdentityHashMap<Object, Boolean> seen = new IdentityHashMap<>();
        for (Value v = a; v != null; v = v.parent) seen.put(v.node, true);
        for (Value v = b; v != null; v = v.parent) if (seen.containsKey(v.node)) return v;
        throw new ImportException("two values of the graph share no input");
    }

    /** The layers from {@code from} (exclusive; null for the input) to {@code to}. */
    private static List<LayerSpec> path(Value from, Value to) {
        Deque<LayerSpec> out = new ArrayDeque<>();
        for (Value v = to; (from == null || v.node != from.node) && v.parent != null; v = v.parent) out.addFirst(v.layer);
        return new ArrayList<>(out);
    }

    /**
     * The network ending at {@code out}: softmax folded into the last dense layer (or added, for a file answering
     * logits), weights restricted to those the spec names.
     *
     * @param endsInSoftmax whether the file itself applies softmax
     */
    Network finish(Value out, String name, String description, boolean endsInSoftmax) {
        if (!out.shape.isFlat()) throw new ImportException("the model's output is " + out.shape + ", not one score per class");
        Value last = out;
        if (last.layer != null && last.layer.type() == LayerType.DENSE && last.layer.activation() == Activation.LINEAR) {
            last = new Value(last.parent, LayerSpec.dense(last.layer.units(), Activation.SOFTMAX).withName(last.layer.name()), last.shape, last.layout, null);
        } else {
            last = new Value(last, LayerSpec.activation(Activation.SOFTMAX).withName(name("softmax", "softmax")), last.shape, last.layout, null);
        }
        List<LayerSpec> layers = path(null, last);
        ModelSpec spec;
        try {
            spec = ModelSpec.of(name, description, input, layers);
        } catch (ModelSpecException e) {
            throw new ImportException("the imported network is not one Digits can run: " + e.getMessage());
        }
        Map<String, Tensor> used = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> p : spec.parameters().entrySet()) {
            Tensor t = weights.get(p.getKey());
            if (t == null) throw new IllegalStateException("no weights for " + p.getKey());
            if (!java.util.Arrays.equals(t.shape(), p.getValue())) {
                throw new ImportException("weights " + p.getKey() + " have shape " + java.util.Arrays.toString(t.shape())
                        + " where the network needs " + java.util.Arrays.toString(p.getValue()));
            }
            used.put(p.getKey(), t);
        }
        return new Network(spec, Collections.unmodifiableMap(used), endsInSoftmax);
    }

    /** A translated network: the spec (ending in softmax), its weights and whether the file itself ended in softmax. */
    record Network(ModelSpec spec, Map<String, Tensor> weights, boolean endsInSoftmax) {
        /** The same network reading {@code scale·x + offset} of its input (the detected input contract). */
        Network withInputRescale(double scale, double offset) {
            if (scale == 1 && offset == 0) return this;
            List<LayerSpec> layers = new ArrayList<>(spec.layers());
            LayerSpec first = layers.get(0);
            if (first.type() == LayerType.RESCALE) {
                double s = scale * first.scale();
                double o = offset * first.scale() + first.offset();
                // A contract of 0–255 pixels meeting the file's own division by 255 cancels out, to float precision.
                if (isIdentity(s, o)) layers.remove(0);
                else layers.set(0, LayerSpec.rescale(s, o).withName(first.name()));
            } else {
                String n = "input_rescale";
                for (ModelSpec.Node node : spec.nodes()) if (node.layer().name().equals(n)) n = "input_rescale_0";
                layers.add(0, LayerSpec.rescale(scale, offset).withName(n));
            }
            return new Network(ModelSpec.of(spec.name(), spec.description(), spec.inputShape(), layers), weights, endsInSoftmax);
        }
    }
}
