package dev.digits.core.model;

import java.util.Locale;

/** Activation functions every exporter can express. */
public enum Activation {
    LINEAR, RELU, SIGMOID, TANH, SOFTMAX;

    /** The name used in architecture files. */
    public String jsonName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a name from an architecture file; {@code null} or "none" mean linear. */
    public static Activation fromJson(String name) {
        if (name == null || name.equalsIgnoreCase("none")) return LINEAR;
        for (Activation a : values()) {
            if (a.jsonName().equalsIgnoreCase(name)) return a;
        }
        throw new ModelSpecException("unknown activation '" + name + "'; known: linear, relu, sigmoid, tanh, softmax");
    }
}
