package dev.digits.convert;

import dev.digits.core.error.InvalidInputException;
import java.util.Locale;

/** How weights (and, for full integer, activations) are stored in an exported file. */
public enum Quantization {
    /** 32-bit floats: the reference; must agree with the trained model to 1e-4. */
    FLOAT32("float32"),
    /** 16-bit float weights, dequantized to float32 when loaded. */
    FLOAT16("float16"),
    /** 8-bit integer weights with per-channel scales, float activations (dynamic-range quantization). */
    DYNAMIC_INT8("int8-dynamic"),
    /** 8-bit weights and activations, calibrated on representative training images; integer input and output. */
    FULL_INT8("int8");

    private final String id;

    Quantization(String id) {
        this.id = id;
    }

    /** The name used on the command line and in file names. */
    public String id() {
        return id;
    }

    /** Parses a command-line name; the error lists the accepted ones. */
    public static Quantization parse(String s) {
        for (Quantization q : values()) if (q.id.equals(s.toLowerCase(Locale.ROOT))) return q;
        throw new InvalidInputException("unknown quantization '" + s + "'; choose float32, float16, int8-dynamic, int8 or all");
    }
}
