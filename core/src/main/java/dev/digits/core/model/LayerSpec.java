package dev.digits.core.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One layer of an architecture description. Immutable; build with the static factories (which mirror the JSON
 * form) and the {@code withX} methods for optional settings.
 */
public final class LayerSpec {
    /**
     * The epsilon of every batch normalisation, {@code γ·(x−μ)/√(σ²+ε)+β}: one value for the trainer and every
     * exporter, since a file computing with another one would not be the network that was trained (PyTorch's,
     * DJL's and Keras' default is 1e-5 or 1e-3; Digits trains and exports with 1e-5).
     */
    public static final float BATCHNORM_EPSILON = 1e-5f;

    private final LayerType type;
    private final String name;
    private final int units;
    private final int filters;
    private final int kernel;
    private final int stride;
    private final boolean samePadding;
    private final int pool;
    private final int padding;
    private final double rate;
    private final Activation activation;
    private final List<LayerSpec> layers;
    private final double scale;
    private final double offset;

    private LayerSpec(LayerType type, String name, int units, int filters, int kernel, int stride, boolean samePadding,
                      int pool, int padding, double rate, Activation activation, List<LayerSpec> layers) {
        this(type, name, units, filters, kernel, stride, samePadding, pool, padding, rate, activation, layers, 1, 0);
    }

    private LayerSpec(LayerType type, String name, int units, int filters, int kernel, int stride, boolean samePadding,
                      int pool, int padding, double rate, Activation activation, List<LayerSpec> layers,
                      double scale, double offset) {
        this.type = type;
        this.name = name;
        this.units = units;
        this.filters = filters;
        this.kernel = kernel;
        this.stride = stride;
        this.samePadding = samePadding;
        this.pool = pool;
        this.padding = padding;
        this.rate = rate;
        this.activation = activation;
        this.layers = layers;
        this.scale = scale;
        this.offset = offset;
    }

    private static LayerSpec of(LayerType type) {
        return new LayerSpec(type, null, 0, 0, 0, 1, false, 0, 0, 0, Activation.LINEAR, List.of());
    }

    public static LayerSpec dense(int units, Activation activation) {
        LayerSpec l = of(LayerType.DENSE);
        return new LayerSpec(l.type, null, units, 0, 0, 1, false, 0, 0, 0, activation, List.of());
    }

    public static LayerSpec conv2d(int filters, int kernel, Activation activation) {
        return new LayerSpec(LayerType.CONV2D, null, 0, filters, kernel, 1, false, 0, 0, 0, activation, List.of());
    }

    public static LayerSpec maxPool(int pool) {
        return new LayerSpec(LayerType.MAXPOOL2D, null, 0, 0, 0, pool, false, pool, 0, 0, Activation.LINEAR, List.of());
    }

    public static LayerSpec avgPool(int pool) {
        return new LayerSpec(LayerType.AVGPOOL2D, null, 0, 0, 0, pool, false, pool, 0, 0, Activation.LINEAR, List.of());
    }

    public static LayerSpec globalAvgPool() {
        return of(LayerType.GLOBAL_AVGPOOL);
    }

    public static LayerSpec flatten() {
        return of(LayerType.FLATTEN);
    }

    public static LayerSpec dropout(double rate) {
        return new LayerSpec(LayerType.DROPOUT, null, 0, 0, 0, 1, false, 0, 0, rate, Activation.LINEAR, List.of());
    }

    public static LayerSpec batchNorm() {
        return of(LayerType.BATCHNORM);
    }

    public static LayerSpec activation(Activation activation) {
        return new LayerSpec(LayerType.ACTIVATION, null, 0, 0, 0, 1, false, 0, 0, 0, activation, List.of());
    }

    public static LayerSpec zeroPad(int padding) {
        return new LayerSpec(LayerType.ZEROPAD2D, null, 0, 0, 0, 1, false, 0, padding, 0, Activation.LINEAR, List.of());
    }

    /**
     * {@code y = x·scale + offset} on every value, as Keras' {@code Rescaling} layer: how a model states the input
     * range it was trained on (x/255 → [0,1] models need none; a model trained on 0–255 pixels starts with scale 255,
     * one trained on {@code (x/255 − 0.1307)/0.3081} with scale 1/0.3081 and offset −0.1307/0.3081).
     */
    public static LayerSpec rescale(double scale, double offset) {
        if (!Double.isFinite(scale) || !Double.isFinite(offset) || scale == 0) {
            throw new ModelSpecException("rescale: \"scale\" must be a finite non-zero number and \"offset\" finite, got "
                    + scale + " and " + offset);
        }
        return new LayerSpec(LayerType.RESCALE, null, 0, 0, 0, 1, false, 0, 0, 0, Activation.LINEAR, List.of(), scale, offset);
    }

    public static LayerSpec residual(List<LayerSpec> body, Activation after) {
        return new LayerSpec(LayerType.RESIDUAL, null, 0, 0, 0, 1, false, 0, 0, 0, after, List.copyOf(body));
    }

    /** The same layer with another stride (convolutions and pooling). */
    public LayerSpec withStride(int s) {
        return new LayerSpec(type, name, units, filters, kernel, s, samePadding, pool, padding, rate, activation, layers, scale, offset);
    }

    /** The same convolution with "same" padding (output size = ceil(input / stride)). */
    public LayerSpec withSamePadding(boolean same) {
        return new LayerSpec(type, name, units, filters, kernel, stride, same, pool, padding, rate, activation, layers, scale, offset);
    }

    /** The same layer under another name. */
    public LayerSpec withName(String n) {
        return new LayerSpec(type, n, units, filters, kernel, stride, samePadding, pool, padding, rate, activation, layers, scale, offset);
    }

    LayerSpec withLayers(List<LayerSpec> body) {
        return new LayerSpec(type, name, units, filters, kernel, stride, samePadding, pool, padding, rate, activation, List.copyOf(body),
                scale, offset);
    }

    public LayerType type() {
        return type;
    }

    /** Unique within the model once the model is built (names are generated where the file gives none). */
    public String name() {
        return name;
    }

    public int units() {
        return units;
    }

    public int filters() {
        return filters;
    }

    public int kernel() {
        return kernel;
    }

    public int stride() {
        return stride;
    }

    public boolean samePadding() {
        return samePadding;
    }

    public int pool() {
        return pool;
    }

    /** Zero padding on each side ({@link LayerType#ZEROPAD2D}). */
    public int padding() {
        return padding;
    }

    public double rate() {
        return rate;
    }

    public Activation activation() {
        return activation;
    }

    /** The factor of a {@link LayerType#RESCALE} layer (1 for other layers). */
    public double scale() {
        return scale;
    }

    /** The offset of a {@link LayerType#RESCALE} layer, added after scaling (0 for other layers). */
    public double offset() {
        return offset;
    }

    /** The body of a residual block; empty for other layers. */
    public List<LayerSpec> layers() {
        return Collections.unmodifiableList(layers);
    }

    /**
     * Zero padding on each spatial side of a convolution: {@code (kernel - 1) / 2} for "same", 0 for "valid".
     * "same" is symmetric, as in PyTorch, so with stride 2 it is not TensorFlow's SAME (which puts the odd pixel
     * after): exporters for such formats emit an explicit pad before a VALID convolution.
     */
    public int pads() {
        return samePadding ? (kernel - 1) / 2 : 0;
    }

    private static final Map<LayerType, Set<String>> KEYS = Map.ofEntries(
            Map.entry(LayerType.DENSE, Set.of("units", "activation")),
            Map.entry(LayerType.CONV2D, Set.of("filters", "kernel", "stride", "padding", "activation")),
            Map.entry(LayerType.MAXPOOL2D, Set.of("pool", "stride")),
            Map.entry(LayerType.AVGPOOL2D, Set.of("pool", "stride")),
            Map.entry(LayerType.GLOBAL_AVGPOOL, Set.of()),
            Map.entry(LayerType.FLATTEN, Set.of()),
            Map.entry(LayerType.DROPOUT, Set.of("rate")),
            Map.entry(LayerType.BATCHNORM, Set.of()),
            Map.entry(LayerType.ACTIVATION, Set.of("activation")),
            Map.entry(LayerType.ZEROPAD2D, Set.of("padding")),
            Map.entry(LayerType.RESCALE, Set.of("scale", "offset")),
            Map.entry(LayerType.RESIDUAL, Set.of("layers", "activation")));

    /**
     * Reads one layer from its JSON object. {@code "repeat": n} is accepted by the caller, not here.
     *
     * @param where how to name this layer in an error ("layer 3")
     */
    @SuppressWarnings("unchecked")
    static LayerSpec fromJson(Map<String, Object> m, String where) {
        Object t = m.get("type");
        if (!(t instanceof String)) throw new ModelSpecException(where + ": missing \"type\"");
        LayerType type;
        try {
            type = LayerType.fromJson((String) t);
        } catch (ModelSpecException e) {
            throw new ModelSpecException(where + ": " + e.getMessage());
        }
        String at = where + " (" + type.jsonName() + ")";
        for (String k : m.keySet()) {
            if (!k.equals("type") && !k.equals("name") && !k.equals("repeat") && !KEYS.get(type).contains(k)) {
                throw new ModelSpecException(at + ": unknown setting \"" + k + "\"; " + type.jsonName()
                        + " takes " + (KEYS.get(type).isEmpty() ? "no settings" : String.join(", ", KEYS.get(type))));
            }
        }
        String name = m.get("name") instanceof String ? (String) m.get("name") : null;
        Activation act;
        try {
            act = Activation.fromJson(m.get("activation") instanceof String ? (String) m.get("activation") : null);
        } catch (ModelSpecException e) {
            throw new ModelSpecException(at + ": " + e.getMessage());
        }
        LayerSpec l;
        switch (type) {
            case DENSE:
                l = dense(positive(m, "units", at, -1), act);
                break;
            case CONV2D: {
                l = conv2d(positive(m, "filters", at, -1), positive(m, "kernel", at, -1), act)
                        .withStride(positive(m, "stride", at, 1));
                Object p = m.getOrDefault("padding", "valid");
                if (!"valid".equals(p) && !"same".equals(p)) {
                    throw new ModelSpecException(at + ": padding must be \"valid\" or \"same\", got " + p);
                }
                l = l.withSamePadding("same".equals(p));
                if (l.samePadding() && l.kernel() % 2 == 0) {
                    throw new ModelSpecException(at + ": \"padding\": \"same\" needs an odd kernel (3, 5, ...), got " + l.kernel());
                }
                break;
            }
            case MAXPOOL2D:
            case AVGPOOL2D: {
                int pool = positive(m, "pool", at, 2);
                l = (type == LayerType.MAXPOOL2D ? maxPool(pool) : avgPool(pool)).withStride(positive(m, "stride", at, pool));
                break;
            }
            case DROPOUT: {
                Object r = m.get("rate");
                if (!(r instanceof Number) || ((Number) r).doubleValue() < 0 || ((Number) r).doubleValue() >= 1) {
                    throw new ModelSpecException(at + ": \"rate\" must be a number in [0, 1), got " + r);
                }
                l = dropout(((Number) r).doubleValue());
                break;
            }
            case ACTIVATION:
                if (!m.containsKey("activation")) throw new ModelSpecException(at + ": missing \"activation\"");
                l = activation(act);
                break;
            case ZEROPAD2D:
                l = zeroPad(positive(m, "padding", at, -1));
                break;
            case RESCALE: {
                Object sc = m.get("scale");
                Object off = m.getOrDefault("offset", 0);
                if (!(sc instanceof Number) || !(off instanceof Number)) {
                    throw new ModelSpecException(at + ": needs a number \"scale\" and optionally a number \"offset\", e.g."
                            + " {\"type\": \"rescale\", \"scale\": 255}");
                }
                try {
                    l = rescale(((Number) sc).doubleValue(), ((Number) off).doubleValue());
                } catch (ModelSpecException e) {
                    throw new ModelSpecException(at + ": " + e.getMessage());
                }
                break;
            }
            case RESIDUAL: {
                Object body = m.get("layers");
                if (!(body instanceof List) || ((List<?>) body).isEmpty()) {
                    throw new ModelSpecException(at + ": \"layers\" must be a non-empty list of layers (the block's body)");
                }
                l = residual(parseLayers((List<Object>) body, at + " layer "), act);
                break;
            }
            default:
                l = of(type);
        }
        return l.withName(name);
    }

    @SuppressWarnings("unchecked")
    static List<LayerSpec> parseLayers(List<Object> list, String prefix) {
        List<LayerSpec> out = new ArrayList<>();
        int i = 0;
        for (Object o : list) {
            i++;
            if (!(o instanceof Map)) throw new ModelSpecException(prefix + i + ": expected an object like {\"type\": \"dense\", ...}");
            Map<String, Object> m = (Map<String, Object>) o;
            int repeat = positive(m, "repeat", prefix + i, 1);
            LayerSpec l = fromJson(m, prefix + i);
            for (int r = 0; r < repeat; r++) out.add(l);
        }
        return out;
    }

    private static int positive(Map<String, Object> m, String key, String at, int fallback) {
        Object v = m.get(key);
        if (v == null) {
            if (fallback > 0) return fallback;
            throw new ModelSpecException(at + ": missing \"" + key + "\"");
        }
        if (!(v instanceof Number) || ((Number) v).doubleValue() != Math.rint(((Number) v).doubleValue())
                || ((Number) v).intValue() < 1) {
            throw new ModelSpecException(at + ": \"" + key + "\" must be a positive whole number, got " + v);
        }
        return ((Number) v).intValue();
    }

    /** The JSON form (as read by {@link ModelSpec#parse}). */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", type.jsonName());
        if (name != null) m.put("name", name);
        switch (type) {
            case DENSE:
                m.put("units", units);
                m.put("activation", activation.jsonName());
                break;
            case CONV2D:
                m.put("filters", filters);
                m.put("kernel", kernel);
                if (stride != 1) m.put("stride", stride);
                m.put("padding", samePadding ? "same" : "valid");
                m.put("activation", activation.jsonName());
                break;
            case MAXPOOL2D:
            case AVGPOOL2D:
                m.put("pool", pool);
                if (stride != pool) m.put("stride", stride);
                break;
            case DROPOUT:
                m.put("rate", rate);
                break;
            case ACTIVATION:
                m.put("activation", activation.jsonName());
                break;
            case ZEROPAD2D:
                m.put("padding", padding);
                break;
            case RESCALE:
                m.put("scale", scale);
                m.put("offset", offset);
                break;
            case RESIDUAL: {
                List<Object> body = new ArrayList<>();
                for (LayerSpec l : layers) body.add(l.toJson());
                m.put("layers", body);
                m.put("activation", activation.jsonName());
                break;
            }
            default:
        }
        return m;
    }

    /** Keras-like short description, e.g. {@code conv2d 32 3×3 relu}. */
    public String describe() {
        switch (type) {
            case DENSE: return "dense " + units + " " + activation.jsonName();
            case CONV2D: return "conv2d " + filters + " " + kernel + "×" + kernel + (stride != 1 ? " /" + stride : "")
                    + (samePadding ? " same" : "") + " " + activation.jsonName();
            case MAXPOOL2D: return "maxpool2d " + pool;
            case AVGPOOL2D: return "avgpool2d " + pool;
            case DROPOUT: return "dropout " + rate;
            case ACTIVATION: return activation.jsonName();
            case ZEROPAD2D: return "zeropad2d " + padding;
            case RESCALE: return "rescale ×" + (float) scale + (offset != 0 ? (offset > 0 ? " +" : " ") + (float) offset : "");
            case RESIDUAL: return "residual (" + layers.size() + " layers) " + activation.jsonName();
            default: return type.jsonName();
        }
    }

    @Override
    public String toString() {
        return (name != null ? name + ": " : "") + describe();
    }
}
