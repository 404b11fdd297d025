package dev.digits.convert;

import dev.digits.core.error.InvalidInputException;
import java.util.Locale;

/** The file formats Digits writes. */
public enum ExportFormat {
    /** TensorFlow Lite flatbuffer (Android, iOS, ML Kit, LiteRT). */
    TFLITE("tflite"),
    /** ONNX (ONNX Runtime on servers, in the browser via WebAssembly, on mobile). */
    ONNX("onnx"),
    /** TensorFlow.js LayersModel (model.json and weight shards) for {@code tf.loadLayersModel}. */
    TFJS("tfjs");

    private final String id;

    ExportFormat(String id) {
        this.id = id;
    }

    /** The name used on the command line and in file names. */
    public String id() {
        return id;
    }

    /** Parses a command-line name; the error lists the accepted ones. */
    public static ExportFormat parse(String s) {
        for (ExportFormat f : values()) if (f.id.equals(s.toLowerCase(Locale.ROOT))) return f;
        throw new InvalidInputException("unknown format '" + s + "'; choose tflite, onnx, tfjs or all");
    }
}
