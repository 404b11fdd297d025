package dev.digits.convert.importer;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.NotFoundException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The model formats Digits imports, recognised by their content (the extension only where content cannot tell). */
public enum SourceFormat {
    /** ONNX protobuf ({@code .onnx}), weights inline or in external data files beside it. */
    ONNX("onnx"),
    /** A TensorFlow.js LayersModel: {@code model.json} and its weight shards. */
    TFJS("tfjs"),
    /** Keras HDF5 ({@code .h5}), as Keras 2 and 3 save it. */
    KERAS_H5("keras-h5"),
    /** The Keras zip ({@code .keras}): {@code config.json} and {@code model.weights.h5}. */
    KERAS("keras"),
    /** A TFLite flatbuffer ({@code .tflite}). */
    TFLITE("tflite");

    private final String id;

    SourceFormat(String id) {
        this.id = id;
    }

    /** The name the card records. */
    public String id() {
        return id;
    }

    /**
     * The format of {@code file}.
     *
     * @throws NotFoundException     when there is no such file
     * @throws InvalidInputException when it is none of the formats
     */
    public static SourceFormat of(Path file) throws IOException {
        if (Files.isDirectory(file) && Files.isRegularFile(file.resolve("model.json"))) return TFJS;
        if (!Files.isRegularFile(file)) throw new NotFoundException("model file " + file + " does not exist");
        byte[] head = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(head, 0, 8);
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n >= 8 && (head[0] & 0xff) == 0x89 && head[1] == 'H' && head[2] == 'D' && head[3] == 'F') return KERAS_H5;
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) return KERAS;
        if (n >= 8 && head[4] == 'T' && head[5] == 'F' && head[6] == 'L' && head[7] == '3') return TFLITE;
        int first = 0;
        while (first < n && Character.isWhitespace(head[first])) first++;
        if (first < n && head[first] == '{') return TFJS;
        if (name.endsWith(".onnx") || (n > 0 && head[0] == 0x08)) return ONNX;
        throw new InvalidInputException(file + " is not a model file Digits can import (" + n + " bytes read; expected ONNX,"
                + " a TF.js model.json, Keras .h5 or .keras, or .tflite)");
    }
}
