package dev.digits.core.model;

import java.util.Locale;

/** The layer kinds an architecture description may use; every trainer and exporter handles each of them. */
public enum LayerType {
    /** Fully connected: {@code units}, {@code activation}. */
    DENSE("dense"),
    /** 2-D convolution: {@code filters}, {@code kernel}, {@code stride} (1), {@code padding} (valid|same), {@code activation}. */
    CONV2D("conv2d"),
    /** Max pooling: {@code pool}, {@code stride} (= pool). */
    MAXPOOL2D("maxpool2d"),
    /** Average pooling: {@code pool}, {@code stride} (= pool). */
    AVGPOOL2D("avgpool2d"),
    /** Average over all positions: image → flat vector of channels. */
    GLOBAL_AVGPOOL("global_avgpool"),
    /** Image → flat vector (channel-major, as PyTorch flattens). */
    FLATTEN("flatten"),
    /** Dropout during training only: {@code rate}. Removed at export. */
    DROPOUT("dropout"),
    /** Batch normalisation over channels (or features); folded into the preceding convolution at export. */
    BATCHNORM("batchnorm"),
    /** A separate activation: {@code activation}. */
    ACTIVATION("activation"),
    /** Zero padding on every side: {@code padding} pixels. */
    ZEROPAD2D("zeropad2d"),
    /** {@code y = x·scale + offset} on every value: {@code scale}, {@code offset} (0); how a model states its input range. */
    RESCALE("rescale"),
    /** A residual block: {@code layers} (the body) added to the input, projected by a 1×1 convolution when shapes differ; {@code activation} after the sum. */
    RESIDUAL("residual");

    private final String jsonName;

    LayerType(String jsonName) {
        this.jsonName = jsonName;
    }

    /** The name used in architecture files. */
    public String jsonName() {
        return jsonName;
    }

    /** Looks a type up by its file name; the error lists the names accepted. */
    public static LayerType fromJson(String name) {
        for (LayerType t : values()) {
            if (t.jsonName.equals(name.toLowerCase(Locale.ROOT))) return t;
        }
        StringBuilder known = new StringBuilder();
        for (LayerType t : values()) {
            if (known.length() > 0) known.append(", ");
            known.append(t.jsonName);
        }
        throw new ModelSpecException("unknown layer type '" + name + "'; known types: " + known);
    }
}
